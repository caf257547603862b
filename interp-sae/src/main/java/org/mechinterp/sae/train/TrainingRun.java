package org.mechinterp.sae.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.mechinterp.core.Interp;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.core.io.SafetensorsWriter;
import org.mechinterp.sae.io.AtomicFiles;
import org.mechinterp.sae.io.Provenance;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.model.SparseCodes;
import org.mechinterp.sae.store.ActivationBatches;
import org.mechinterp.sae.store.Checksums;

/**
 * One SAE training run, advanced a step at a time, checkpointable and resumable bit for bit.
 *
 * <p>A transcoder's stream serves rows [x | y] (width d_in + d_out): x feeds the encoder, y is the target. Its
 * input and output are normalised separately (scales s_in, s_out, each making E‖s·v‖ = √width on the initial
 * sample) and both scales are folded into the exported weights.
 *
 * <p>State: the parameters (Java float arrays, in the normalised input space), Adam moments, the step count, the
 * input scale s (E‖s·x‖ = √d on the initial sample) and a transcoder's output scale, the BatchTopK threshold EMA, the latent tracker and the
 * position of the activation stream. The run draws random numbers only at initialisation (from
 * {@code SplittableRandom(seed)}); later steps are deterministic functions of that state and the data, so a
 * checkpoint holds everything a resumed run needs to produce bit-identical weights.
 *
 * <p>The run does not own the {@link ActivationBatches} it reads (the caller closes them); it holds no native
 * memory between steps (each step opens and closes its own NDManager). Not thread-safe.
 */
public final class TrainingRun {
    /** Checkpoint format version written to {@code state.json} (2: with checksums). */
    static final int FORMAT = 2;
    /** Key in {@code state.json} of the SHA-256 of its other content. */
    private static final String JSON_CHECKSUM = "checksum";
    /** Key in {@code state.json} of the SHA-256 of {@code state.safetensors}. */
    private static final String TENSORS_CHECKSUM = "state_sha256";
    static final String LATEST = "LATEST";
    private static final String STATE_JSON = "state.json";
    private static final String STATE_TENSORS = "state.safetensors";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private final SaeConfig config;
    private final ActivationBatches data;
    private final SaeParameters params;
    private final SaeParameters grad;
    private final Adam adam;
    private final LatentTracker tracker;
    private double inputScale;
    private double outputScale;
    private double thresholdEma;
    private long thresholdUpdates;
    private int step;
    private float[] batch;
    private float[] batchX;
    private float[] batchY;
    /** Native copies of the encoder input and the encoder, reused across steps (see {@link DirectStaging}). */
    private final DirectStaging inputStaging = new DirectStaging();
    private final DirectStaging encoderStaging = new DirectStaging();

    private TrainingRun(SaeConfig config, ActivationBatches data) {
        this.config = config;
        this.data = data;
        int width = config.dIn() + config.dOut();
        if (data.dim() != width) {
            throw new IllegalArgumentException("activation stream has width " + data.dim() + " but the "
                    + (config.isTranscoder() ? "transcoder config needs rows [x | y] of d_in + d_out = "
                            + config.dIn() + " + " + config.dOut() : "SAE config has d_in=" + config.dIn()));
        }
        this.params = new SaeParameters(config.dIn(), config.outputDim(), config.dSae(),
                config.architecture() == Architecture.JUMPRELU, config.skip());
        this.grad = params.zerosLike();
        this.adam = new Adam(params, config.beta1(), config.beta2(), config.epsilon());
        this.tracker = new LatentTracker(config.dSae(), config.deadWindow());
    }

    /**
     * Starts a run: reads {@link SaeConfig#initSampleRows()} rows to estimate the input scale and initialise
     * b_dec (geometric median or mean), then draws the decoder rows (random directions, norm 0.1 for ReLU and 1
     * otherwise) and sets W_enc = W_decᵀ, b_enc = 0, θ = {@link SaeConfig#initThreshold()} for JumpReLU.
     *
     * @param config the training configuration (its d_in must match the stream)
     * @param data the activation stream; the initial sample is read from it, and it is not closed
     * @return a run at step 0, ready for {@link #step()}
     * @throws IllegalArgumentException if the stream's width differs from d_in or the sample is all zeros or not
     *     finite
     * @throws IOException if reading the stream fails
     */
    public static TrainingRun start(SaeConfig config, ActivationBatches data) throws IOException {
        Interp.configureDjl();
        TrainingRun run = new TrainingRun(config, data);
        run.initialise();
        return run;
    }

    private void initialise() throws IOException {
        int dIn = config.dIn();
        int d = config.outputDim();
        int rows = config.initSampleRows();
        float[] raw = new float[rows * data.dim()];
        data.next(raw, rows);
        float[] x = new float[rows * dIn];
        float[] sample = config.isTranscoder() ? new float[rows * d] : x;
        split(raw, rows, x, sample);
        inputScale = scaleFor(x, rows, dIn, "input");
        outputScale = config.isTranscoder() ? scaleFor(sample, rows, d, "output") : inputScale;
        scaleInPlace(sample, rows * d, (float) outputScale);
        double[] centre = config.geometricMedianInit() ? GeometricMedian.of(sample, rows, d, 100, 1e-7)
                : GeometricMedian.mean(sample, rows, d);
        for (int j = 0; j < d; j++) {
            params.bDec[j] = (float) centre[j];
        }
        SplittableRandom random = new SplittableRandom(config.seed());
        double norm = config.architecture() == Architecture.RELU ? 0.1 : 1.0;
        for (int i = 0; i < config.dSae(); i++) {
            double s = 0;
            double[] row = new double[d];
            for (int j = 0; j < d; j++) {
                row[j] = gaussian(random);
                s += row[j] * row[j];
            }
            double f = norm / Math.sqrt(s);
            for (int j = 0; j < d; j++) {
                params.wDec[i * d + j] = (float) (row[j] * f);
            }
        }
        if (config.isTranscoder()) {
            // the encoder reads another space than the decoder writes: its own random unit rows (drawn after the
            // decoder's, so SAE initialisations are unchanged); W_skip starts at 0 (SAELens)
            for (int i = 0; i < config.dSae(); i++) {
                double s = 0;
                double[] row = new double[dIn];
                for (int j = 0; j < dIn; j++) {
                    row[j] = gaussian(random);
                    s += row[j] * row[j];
                }
                for (int j = 0; j < dIn; j++) {
                    params.encT[i * dIn + j] = (float) (row[j] / Math.sqrt(s));
                }
            }
        } else {
            System.arraycopy(params.wDec, 0, params.encT, 0, params.wDec.length);
        }
        Arrays.fill(params.logThreshold, (float) Math.log(config.initThreshold()));
    }

    /** √width / mean row norm of the sample (1 without input normalisation). */
    private double scaleFor(float[] v, int rows, int width, String what) {
        double normSum = 0;
        for (int b = 0; b < rows; b++) {
            normSum += Math.sqrt(TopKKernels.sumSquares(v, b * width, width));
        }
        double meanNorm = normSum / rows;
        if (!(meanNorm > 0) || Double.isInfinite(meanNorm)) {
            throw new IllegalArgumentException("the initial sample of " + rows + " " + what + " activation rows has "
                    + "mean norm " + meanNorm + ": cannot normalise (all zeros, NaN or Inf in the data?)");
        }
        return config.normalizeInput() ? Math.sqrt(width) / meanNorm : 1.0;
    }

    /**
     * Splits stream rows into the encoder input x [rows, d_in] and a transcoder's target y [rows, d_out]; for an
     * SAE the rows are x and y is x itself (nothing is copied when {@code y == x == raw}).
     */
    private void split(float[] raw, int rows, float[] x, float[] y) {
        if (!config.isTranscoder()) {
            if (x != raw) {
                System.arraycopy(raw, 0, x, 0, rows * config.dIn());
            }
            return;
        }
        int dIn = config.dIn();
        int dOut = config.dOut();
        int w = dIn + dOut;
        for (int b = 0; b < rows; b++) {
            System.arraycopy(raw, b * w, x, b * dIn, dIn);
            System.arraycopy(raw, b * w + dIn, y, b * dOut, dOut);
        }
    }

    private static double gaussian(SplittableRandom r) {
        // Box–Muller: a fixed number of draws per value, so streams are reproducible across JDKs
        double u = 1.0 - r.nextDouble();
        double v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** Statistics of one step (on the normalised inputs). */
    public record StepStats(int step, double loss, double mse, double l0, double fvu, double deadFraction,
            double denseFraction, double learningRate) {}

    /**
     * Steps completed so far.
     *
     * @return the number of steps done, in [0, {@link SaeConfig#steps()}]
     */
    public int stepsDone() {
        return step;
    }

    /**
     * Whether every configured step has been done.
     *
     * @return true when {@link #stepsDone()} has reached {@link SaeConfig#steps()}
     */
    public boolean finished() {
        return step >= config.steps();
    }

    /**
     * The configuration of this run.
     *
     * @return the (immutable) config
     */
    public SaeConfig config() {
        return config;
    }

    /**
     * The input scale s (training sees s·x).
     *
     * @return s &gt; 0 by which raw inputs are multiplied (1 without normalisation)
     */
    public double inputScale() {
        return inputScale;
    }

    /**
     * A transcoder's output scale (training predicts s_out·y); the input scale for an SAE.
     *
     * @return s_out &gt; 0 by which targets are multiplied
     */
    public double outputScale() {
        return outputScale;
    }

    /**
     * The BatchTopK global threshold in the normalised space: the bias-corrected EMA of the smallest kept activation
     * per step, θ_ema / (1 − decay^t) with θ_ema ← decay·θ_ema + (1 − decay)·min (as Adam corrects its moments, so
     * the zero start does not drag θ down in short runs); 0 before the first step and for other families.
     *
     * @return the bias-corrected threshold (normalised space), 0 before the first step or for other families
     */
    public float batchThreshold() {
        return thresholdUpdates == 0 ? 0f
                : (float) (thresholdEma / (1 - Math.pow(config.thresholdDecay(), thresholdUpdates)));
    }

    /**
     * The live parameters in the normalised space (owned by the run; do not modify).
     *
     * @return the parameters, modified in place by each step
     */
    public SaeParameters parameters() {
        return params;
    }

    /**
     * The per-latent firing record behind the dead mask and dead/dense fractions.
     *
     * @return the run's tracker (live, updated by each step)
     */
    public LatentTracker tracker() {
        return tracker;
    }

    /**
     * Reads one batch and performs one optimisation step.
     *
     * @return the step's losses, L0, dead fraction and learning rate
     * @throws NonFiniteLossException if the loss is NaN or infinite (the weights are not updated; the run cannot
     *     continue)
     * @throws IllegalStateException if all steps are done
     * @throws IOException if reading the batch fails
     */
    public StepStats step() throws IOException {
        if (finished()) {
            throw new IllegalStateException("all " + config.steps() + " steps are done");
        }
        int rows = config.batchSize();
        int dIn = config.dIn();
        int d = config.outputDim();
        boolean tc = config.isTranscoder();
        if (batch == null) {
            batch = new float[rows * data.dim()];
            if (tc) {
                batchX = new float[rows * dIn];
                batchY = new float[rows * d];
            }
        }
        data.next(batch, rows);
        float[] x = tc ? batchX : batch;
        float[] y = tc ? batchY : batch;
        split(batch, rows, x, y);
        scaleInPlace(x, rows * dIn, (float) inputScale);
        if (tc) {
            scaleInPlace(y, rows * d, (float) outputScale);
        }
        double lr = config.learningRateAt(step);
        Architecture arch = config.architecture();
        Outcome r = arch.isTopKFamily() ? topKStep(x, y, rows) : denseStep(x, y, rows);
        double loss = r.loss();
        double mse = r.mse();
        if (!Double.isFinite(loss)) {
            Arrays.stream(grad.arrays()).forEach(a -> Arrays.fill(a, 0f));
            throw new NonFiniteLossException(step, "training stopped at step " + step + ": the loss is " + loss
                    + " (reconstruction " + mse + "). Check the activations for NaN/Inf or lower the learning rate"
                    + " (now " + lr + ").");
        }
        if (config.unitNormDecoder() && !arch.isTopKFamily()) {
            Adam.projectDecoderGradient(params, grad); // the TopK kernels project each row as they finish it
        }
        float clip = 1f;
        if (config.gradClip() > 0) {
            double norm = Adam.globalNorm(grad);
            if (norm > config.gradClip()) {
                clip = (float) (config.gradClip() / norm);
            }
        }
        adam.update(params, grad, lr, step + 1L, config.unitNormDecoder(), clip);
        tracker.record(r.fires(), rows);
        step++;
        return new StepStats(step, loss, mse, r.l0(), r.fvu(), tracker.deadFraction(), tracker.denseFraction(), lr);
    }

    /** What one step's forward/backward measured: the loss and its parts, and how often each latent fired. */
    private record Outcome(double loss, double mse, double fvu, double l0, long[] fires) {
    }

    /**
     * TopK, BatchTopK and Matryoshka: encoder GEMM and selection in libtorch, the sparse backward in Java (gradients
     * into {@code grad}); updates the BatchTopK threshold average.
     */
    private Outcome topKStep(float[] x, float[] y, int rows) {
        boolean tc = config.isTranscoder();
        int d = config.outputDim();
        Architecture arch = config.architecture();
        float[] xc = tc ? x : TopKKernels.centre(x, rows, params.bDec);
        SparseCodes codes;
        SparseCodes aux = null;
        float[] target = y;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray z = TopKKernels.preActivations(m, xc, rows, params, inputStaging, encoderStaging);
            codes = arch == Architecture.TOPK ? TopKKernels.selectTopK(z, config.k())
                    : TopKKernels.selectBatchTopK(z, rows * config.k());
            if (config.auxAlpha() > 0) {
                aux = TopKKernels.selectAux(m, z, tracker.dead(), config.auxK());
            }
            if (config.skip()) {
                target = SkipConnection.subtract(m, y, x, rows, params);
            }
        }
        float[] gOut = config.skip() ? new float[rows * d] : null;
        TopKKernels.Options opt = new TopKKernels.Options(
                arch == Architecture.MATRYOSHKA ? config.levelEnds() : null, !tc,
                tc ? TopKKernels.totalVariance(y, rows, d) : Double.NaN, gOut, config.unitNormDecoder());
        TopKKernels.Losses losses = TopKKernels.forwardBackward(target, xc, rows, params, codes, aux,
                config.auxAlpha(), opt, grad);
        if (gOut != null) {
            SkipConnection.addGradient(gOut, x, rows, params, grad);
        }
        long[] fires = new long[config.dSae()];
        float minKept = Float.POSITIVE_INFINITY;
        long active = 0;
        float[] val = codes.value();
        int[] idx = codes.index();
        for (int e = 0; e < codes.entries(); e++) {
            if (val[e] > 0f) {
                fires[idx[e]]++;
                active++;
                minKept = Math.min(minKept, val[e]);
            }
        }
        if (arch.isBatchTopK() && active > 0) {
            double decay = config.thresholdDecay();
            thresholdEma = decay * thresholdEma + (1 - decay) * minKept;
            thresholdUpdates++;
        }
        double loss = losses.mse() + losses.inner() + config.auxAlpha() * losses.aux();
        return new Outcome(loss, losses.mse(), losses.fvu(), active / (double) rows, fires);
    }

    /** ReLU and JumpReLU: the dense kernels (gradients into {@code grad}). */
    private Outcome denseStep(float[] x, float[] y, int rows) {
        DenseKernels.Result r = config.architecture() == Architecture.RELU
                ? DenseKernels.reluStep(x, rows, params, config.l1CoefficientAt(step), grad)
                : DenseKernels.jumpReluStep(x, config.isTranscoder() ? y : null, rows, params, config.bandwidth(),
                        config.l0Coefficient(), config.targetL0(), grad);
        return new Outcome(r.mse() + r.sparsity(), r.mse(), r.fvu(), r.l0(), r.fires());
    }

    /**
     * The SAE in the normalised input space (what training sees), without folding the input scale.
     *
     * @return a new SAE (JumpReLU with the global threshold for BatchTopK and Matryoshka) for inputs scaled by {@link
     *     #inputScale()}
     */
    public Sae normalisedSae() {
        Architecture arch = config.architecture();
        float[] threshold = null;
        if (arch == Architecture.JUMPRELU) {
            threshold = new float[config.dSae()];
            for (int i = 0; i < threshold.length; i++) {
                threshold[i] = (float) Math.exp(params.logThreshold[i]);
            }
        } else if (arch.isBatchTopK()) {
            threshold = new float[config.dSae()];
            Arrays.fill(threshold, batchThreshold());
        }
        return Sae.builder().setArchitecture(arch.inferenceArchitecture()).setDims(config.dIn(), config.dSae())
                .optTranscoder(config.dOut(), config.outputHook()).optWSkip(config.skip() ? params.wSkip : null)
                .optK(config.k()).setEncoderRows(params.encT).setBEnc(params.bEnc).setWDec(params.wDec)
                .setBDec(params.bDec).optThreshold(threshold).optMetadata(config.metadata())
                .optProvenance(Provenance.create(config.toJson(), config.seed(), step,
                        config.metadata().modelName(), config.metadata().hookName()))
                .build();
    }

    /**
     * The trained SAE for raw activations: the input scale folded into the weights (see
     * {@link Sae#foldScales}), BatchTopK and Matryoshka exported as JumpReLU with the learned global threshold.
     *
     * @return a new SAE that takes raw activations
     */
    public Sae export() {
        return normalisedSae().foldScales(inputScale, outputScale);
    }

    // ---------------------------------------------------------------- checkpoints

    /**
     * Writes a checkpoint under {@code root}: folder {@code step-NNNNNNNN} (written to a temporary folder and
     * renamed atomically), then the pointer file {@code LATEST} (atomic), then older step folders are deleted. A
     * crash at any point leaves {@code LATEST} naming a complete checkpoint. If the folder for this step already
     * exists it holds the same state (training is deterministic) and is kept.
     *
     * @param root checkpoint root folder (created if missing)
     * @return the checkpoint folder
     * @throws IOException if writing or renaming fails
     */
    public Path checkpoint(Path root) throws IOException {
        Files.createDirectories(root);
        String name = String.format("step-%08d", step);
        Path target = root.resolve(name);
        if (!Files.isDirectory(target)) {
            Path tmp = AtomicFiles.tempDirectoryFor(target);
            try {
                writeState(tmp);
                AtomicFiles.publishDirectory(tmp, target);
            } catch (IOException | RuntimeException e) {
                AtomicFiles.deleteTree(tmp);
                throw e;
            }
        }
        AtomicFiles.writeString(root.resolve(LATEST), name + "\n");
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, "step-*")) {
            for (Path p : ds) {
                if (!p.getFileName().toString().equals(name)) {
                    AtomicFiles.deleteTree(p);
                }
            }
        }
        removeInterruptedWrites(root);
        return target;
    }

    /**
     * Deletes the temporary folders and files of checkpoint writes a killed process left behind
     * ({@code .step-*.tmp}, {@code .LATEST.*.tmp}): they are never read, and each can be as large as a checkpoint.
     * Safe because one run owns its checkpoint folder.
     */
    private static void removeInterruptedWrites(Path root) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, ".{step-,LATEST}*.tmp")) {
            for (Path p : ds) {
                AtomicFiles.deleteTree(p);
            }
        }
    }

    private void writeState(Path dir) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "interp-sae-checkpoint");
        String[] names = SaeParameters.names();
        float[][] p = params.arrays();
        float[][] m = adam.m.arrays();
        float[][] v = adam.v.arrays();
        for (int i = 0; i < names.length; i++) {
            if (p[i].length > 0) {
                w.addF32("param." + names[i], p[i], p[i].length);
                w.addF32("adam_m." + names[i], m[i], m[i].length);
                w.addF32("adam_v." + names[i], v[i], v[i].length);
            }
        }
        w.addI32("tracker.steps_since_fired", tracker.stepsSinceFired, tracker.stepsSinceFired.length);
        w.addI64("tracker.window_fires", tracker.windowFires, tracker.windowFires.length);
        w.write(dir.resolve(STATE_TENSORS));
        JsonObject o = new JsonObject();
        o.addProperty(TENSORS_CHECKSUM, Checksums.sha256(dir.resolve(STATE_TENSORS)));
        o.addProperty("format", FORMAT);
        o.addProperty("step", step);
        o.addProperty("input_scale_bits", Double.doubleToRawLongBits(inputScale));
        o.addProperty("input_scale", inputScale);
        o.addProperty("output_scale_bits", Double.doubleToRawLongBits(outputScale));
        o.addProperty("threshold_ema_bits", Double.doubleToRawLongBits(thresholdEma));
        o.addProperty("threshold_updates", thresholdUpdates);
        o.addProperty("tracker_window_tokens", tracker.windowTokens);
        o.addProperty("tracker_window_steps", tracker.windowSteps);
        o.addProperty("tracker_last_dense_fraction_bits", Double.doubleToRawLongBits(tracker.lastDenseFraction));
        o.addProperty("stream_position", data.position());
        o.add("config", config.toJson());
        o.addProperty(JSON_CHECKSUM, Checksums.sha256(GSON.toJson(o)));
        AtomicFiles.writeString(dir.resolve(STATE_JSON), GSON.toJson(o));
    }

    /**
     * Whether {@code root} holds a checkpoint ({@code LATEST} present).
     *
     * @param root checkpoint root folder
     * @return true if {@code root/LATEST} is a regular file
     */
    public static boolean hasCheckpoint(Path root) {
        return Files.isRegularFile(root.resolve(LATEST));
    }

    /**
     * The training config stored in the latest checkpoint under {@code root}.
     *
     * @param root checkpoint root folder
     * @return the config recorded in the latest checkpoint's state
     * @throws IOException if the checkpoint cannot be read, or its state is malformed or fails its checksum
     */
    public static SaeConfig checkpointConfig(Path root) throws IOException {
        return SaeConfig.fromJson(readStateJson(latestDir(root)).getAsJsonObject("config"));
    }

    /**
     * Resumes from the latest checkpoint under {@code root}: restores every piece of state and seeks
     * {@code data} to the stored stream position. Continuing it gives bit-identical results to a run that was
     * never interrupted.
     *
     * @param root checkpoint root folder
     * @param data the stream the run was started on (same data, same order); it is repositioned, not closed
     * @return the run, continuing at the stored step
     * @throws NoSuchFileException if there is no checkpoint
     * @throws IOException if the checkpoint is incomplete or malformed (names the file and the problem)
     */
    public static TrainingRun resume(Path root, ActivationBatches data) throws IOException {
        Interp.configureDjl();
        removeInterruptedWrites(root);
        Path dir = latestDir(root);
        JsonObject o = readStateJson(dir);
        verify(dir, o);
        SaeConfig config = SaeConfig.fromJson(o.getAsJsonObject("config"));
        TrainingRun run = new TrainingRun(config, data);
        run.step = o.get("step").getAsInt();
        if (run.step < 0 || run.step > config.steps()) {
            throw new IOException(dir.resolve(STATE_JSON) + ": step " + run.step + " is outside 0.." + config.steps()
                    + " (the run's total steps); the checkpoint is corrupt: delete " + root + " to start over");
        }
        run.inputScale = Double.longBitsToDouble(o.get("input_scale_bits").getAsLong());
        run.outputScale = o.has("output_scale_bits")
                ? Double.longBitsToDouble(o.get("output_scale_bits").getAsLong()) : run.inputScale;
        run.thresholdEma = Double.longBitsToDouble(o.get("threshold_ema_bits").getAsLong());
        run.thresholdUpdates = o.get("threshold_updates").getAsLong();
        run.tracker.windowTokens = o.get("tracker_window_tokens").getAsLong();
        run.tracker.windowSteps = o.get("tracker_window_steps").getAsInt();
        run.tracker.lastDenseFraction = Double.longBitsToDouble(
                o.get("tracker_last_dense_fraction_bits").getAsLong());
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(STATE_TENSORS))) {
            String[] names = SaeParameters.names();
            float[][] p = run.params.arrays();
            float[][] m = run.adam.m.arrays();
            float[][] v = run.adam.v.arrays();
            for (int i = 0; i < names.length; i++) {
                if (p[i].length > 0) {
                    readInto(f, "param." + names[i], p[i]);
                    readInto(f, "adam_m." + names[i], m[i]);
                    readInto(f, "adam_v." + names[i], v[i]);
                }
            }
            int[] since = f.readInts("tracker.steps_since_fired");
            long[] fires = f.readLongs("tracker.window_fires");
            if (since.length != config.dSae() || fires.length != config.dSae()) {
                throw new IOException(f.path() + ": tracker arrays have " + since.length + "/" + fires.length
                        + " entries, expected d_sae=" + config.dSae());
            }
            System.arraycopy(since, 0, run.tracker.stepsSinceFired, 0, since.length);
            System.arraycopy(fires, 0, run.tracker.windowFires, 0, fires.length);
        }
        try {
            data.seek(o.get("stream_position").getAsString());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the checkpoint in " + root + " was trained on another activation "
                    + "stream than the one given (a different store, hook, seed or row filter): resume with the "
                    + "same --store, --hook and --seed, or use a new output folder (" + e.getMessage() + ")", e);
        }
        return run;
    }

    /**
     * Checks the format and both checksums, so that a checkpoint changed after it was written (disk corruption, an
     * edit) is refused instead of silently training on from altered weights or a different step.
     */
    private static void verify(Path dir, JsonObject o) throws IOException {
        Path json = dir.resolve(STATE_JSON);
        String fix = "; delete " + dir.getParent() + " to start the run over";
        if (!o.has("format") || o.get("format").getAsInt() != FORMAT) {
            throw new IOException(json + ": checkpoint format " + o.get("format") + " is not " + FORMAT
                    + (o.has("format") && o.get("format").getAsInt() < FORMAT
                            ? " (written by an older version without checksums, so it cannot be verified)" : "")
                    + fix);
        }
        JsonObject content = o.deepCopy();
        var recorded = content.remove(JSON_CHECKSUM);
        if (recorded == null || !recorded.getAsString().equals(Checksums.sha256(GSON.toJson(content)))) {
            throw new IOException(json + ": its checksum does not match its content (the file was edited or "
                    + "damaged after it was written)" + fix);
        }
        String actual = Checksums.sha256(dir.resolve(STATE_TENSORS));
        if (!actual.equals(o.get(TENSORS_CHECKSUM).getAsString())) {
            throw new IOException(dir.resolve(STATE_TENSORS) + ": SHA-256 " + actual + " differs from the "
                    + o.get(TENSORS_CHECKSUM).getAsString() + " recorded in state.json (the weights were changed or "
                    + "damaged after the checkpoint was written)" + fix);
        }
    }

    private static void readInto(SafetensorsFile f, String name, float[] dst) throws IOException {
        if (!f.contains(name)) {
            throw new IOException(f.path() + ": checkpoint tensor '" + name + "' is missing");
        }
        float[] v = f.readFloats(name);
        if (v.length != dst.length) {
            throw new IOException(f.path() + ": checkpoint tensor '" + name + "' has " + v.length
                    + " values, expected " + dst.length);
        }
        System.arraycopy(v, 0, dst, 0, v.length);
    }

    private static Path latestDir(Path root) throws IOException {
        Path pointer = root.resolve(LATEST);
        if (!Files.isRegularFile(pointer)) {
            throw new NoSuchFileException(pointer.toString(), null, "no checkpoint to resume from");
        }
        String name = Files.readString(pointer, StandardCharsets.UTF_8).strip();
        Path dir = root.resolve(name);
        if (name.isEmpty() || name.contains("/") || !Files.isDirectory(dir)) {
            throw new IOException(pointer + " names '" + name + "', which is not a checkpoint folder in " + root);
        }
        return dir;
    }

    private static JsonObject readStateJson(Path dir) throws IOException {
        Path file = dir.resolve(STATE_JSON);
        try {
            return JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException(file + ": not a valid checkpoint state (" + e.getMessage() + ")", e);
        }
    }

    private static void scaleInPlace(float[] x, int count, float s) {
        if (s != 1f) {
            for (int i = 0; i < count; i++) {
                x[i] *= s;
            }
        }
    }
}
