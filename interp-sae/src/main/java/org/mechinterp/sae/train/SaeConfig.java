package org.mechinterp.sae.train;

import com.google.gson.JsonObject;
import java.util.Objects;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.SaeMetadata;

/**
 * Everything that determines a training run (with the data and the seed, the result is bit-reproducible).
 *
 * <p>Losses, per batch of B rows x (after input normalisation), with r = x − x̂:
 * <ul>
 *   <li>reconstruction: (1/B) Σ_b ‖r_b‖² (sum over the d features, mean over tokens, as SAELens);</li>
 *   <li>ReLU: + λ_t (1/B) Σ_b Σ_i f_bi ‖W_dec,i‖, λ_t ramped linearly from 0 to {@link #l1Coefficient()} over
 *       {@link #l1WarmupSteps()};</li>
 *   <li>TopK / BatchTopK: + α·L_aux with L_aux = Σ_b ‖ê_b − r_b‖² / Σ_b ‖x_b − x̄‖² (AuxK: ê from the
 *       {@link #auxK()} largest pre-activations of dead latents, no b_dec; r detached);</li>
 *   <li>Matryoshka (BatchTopK selection): the reconstruction loss summed over the nested prefixes of
 *       {@link #groupSizes()}: Σ_g (1/B) Σ_b ‖x_b − x̂_b^(g)‖², x̂^(g) decoded from the latents of groups 0..g only
 *       (the last prefix is the whole dictionary), as SAELens' MatryoshkaBatchTopKTrainingSAE; saved as a JumpReLU
 *       with the BatchTopK global threshold;</li>
 *   <li>JumpReLU: + λ·L0 (L0 = mean active latents per token, straight-through gradient to θ with a rectangle
 *       kernel of width {@link #bandwidth()}) or, when {@link #targetL0()} &gt; 0, + λ(L0/target − 1)².</li>
 * </ul>
 * A <b>transcoder</b> ({@link #dOut()} &gt; 0) reads x at one hook and reconstructs y at another (of the same
 * tokens): z = W_encᵀx + b_enc (no b_dec subtraction), ŷ = W_decᵀf + b_dec (+ W_skip x with {@link #skip()}), and
 * every loss above uses r = y − ŷ. Its training stream serves rows [x | y] of width d_in + d_out.
 *
 * <p>Adam (β1, β2, ε), learning rate warmed up linearly over {@link #warmupSteps()} and decayed linearly to 0 over
 * the last {@link #decayFraction()} of the steps, global gradient-norm clipping at {@link #gradClip()} (0 = off).
 * With {@link #unitNormDecoder()} the decoder rows are kept at unit norm (gradient component along each row
 * removed before the update, rows renormalised after it).
 *
 * <p>Immutable; built with {@link #builder()} ({@code set*} required, {@code opt*} optional, checked in
 * {@link Builder#build()}).
 */
public final class SaeConfig {
    private final Architecture architecture;
    private final int dIn;
    private final int dSae;
    private final int dOut;
    private final boolean skip;
    private final String outputHook;
    private final int[] groupSizes;
    private final int k;
    private final double l1Coefficient;
    private final int l1WarmupSteps;
    private final double l0Coefficient;
    private final double targetL0;
    private final double bandwidth;
    private final double initThreshold;
    private final double learningRate;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final int warmupSteps;
    private final double decayFraction;
    private final double gradClip;
    private final int steps;
    private final int batchSize;
    private final long seed;
    private final int deadWindow;
    private final int auxK;
    private final double auxAlpha;
    private final boolean normalizeInput;
    private final int initSampleRows;
    private final boolean geometricMedianInit;
    private final boolean unitNormDecoder;
    private final double thresholdDecay;
    private final SaeMetadata metadata;

    private SaeConfig(Builder b) {
        architecture = b.architecture;
        dIn = b.dIn;
        dSae = b.dSae;
        dOut = b.dOut;
        skip = b.skip;
        outputHook = b.outputHook;
        groupSizes = b.groupSizes.clone();
        k = b.k;
        l1Coefficient = b.l1Coefficient;
        steps = b.steps;
        l1WarmupSteps = b.l1WarmupSteps >= 0 ? b.l1WarmupSteps : Math.max(1, steps / 20);
        l0Coefficient = b.l0Coefficient;
        targetL0 = b.targetL0;
        bandwidth = b.bandwidth;
        initThreshold = b.initThreshold;
        learningRate = b.learningRate > 0 ? b.learningRate
                : architecture.isTopKFamily() ? 2e-4 / Math.sqrt(dSae / 16384.0) : 3e-4;
        beta1 = b.beta1;
        beta2 = b.beta2;
        epsilon = b.epsilon;
        warmupSteps = b.warmupSteps >= 0 ? b.warmupSteps : Math.min(1000, steps / 10);
        decayFraction = b.decayFraction;
        gradClip = b.gradClip;
        batchSize = b.batchSize;
        seed = b.seed;
        deadWindow = b.deadWindow > 0 ? b.deadWindow : Math.max(1, 10_000_000 / batchSize);
        auxK = b.auxK > 0 ? b.auxK : Math.max(1, Math.min(dIn / 2, 256));
        auxAlpha = b.auxAlpha;
        normalizeInput = b.normalizeInput;
        initSampleRows = b.initSampleRows > 0 ? b.initSampleRows : Math.min(16384, 4 * batchSize);
        geometricMedianInit = b.geometricMedianInit;
        unitNormDecoder = b.unitNormDecoder != null ? b.unitNormDecoder : architecture != Architecture.RELU;
        thresholdDecay = b.thresholdDecay;
        metadata = b.metadata;
    }

    /**
     * A new builder with every optional field at its default.
     *
     * @return an empty builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The family trained (BatchTopK and Matryoshka are saved as JumpReLU).
     *
     * @return the training architecture
     */
    public Architecture architecture() { return architecture; }
    /**
     * Input width d.
     *
     * @return d_in, the width of each input row x
     */
    public int dIn() { return dIn; }
    /**
     * Number of latents n.
     *
     * @return n (d_sae), the dictionary size
     */
    public int dSae() { return dSae; }
    /**
     * Output width of a transcoder; 0 for an SAE.
     *
     * @return d_out, or 0 for an SAE
     */
    public int dOut() { return dOut; }
    /**
     * Whether this is a transcoder ({@link #dOut()} &gt; 0).
     *
     * @return true if {@link #dOut()} &gt; 0
     */
    public boolean isTranscoder() { return dOut > 0; }
    /**
     * Width of the reconstruction: d_out for a transcoder, d_in for an SAE.
     *
     * @return d_out for a transcoder, d_in for an SAE
     */
    public int outputDim() { return dOut > 0 ? dOut : dIn; }
    /**
     * The hook a transcoder predicts (SAELens {@code hook_name_out}); empty for an SAE.
     *
     * @return the output hook name; empty for an SAE or when not given
     */
    public String outputHook() { return outputHook; }
    /**
     * Whether a transcoder has the linear skip W_skip [d_out, d_in].
     *
     * @return true if the transcoder is trained with W_skip
     */
    public boolean skip() { return skip; }
    /**
     * Matryoshka group sizes (summing to d_sae; a copy); empty for other families.
     *
     * @return a fresh copy of the group sizes; length 0 unless the architecture is MATRYOSHKA
     */
    public int[] groupSizes() { return groupSizes.clone(); }
    /**
     * The prefix ends of the reconstruction levels: the cumulative group sizes for Matryoshka ({@code [.., n]}),
     * {@code [n]} (one level) otherwise.
     *
     * @return a new array of increasing prefix ends, the last equal to n
     */
    public int[] levelEnds() {
        if (groupSizes.length == 0) {
            return new int[] {dSae};
        }
        int[] ends = new int[groupSizes.length];
        int sum = 0;
        for (int g = 0; g < ends.length; g++) {
            sum += groupSizes[g];
            ends[g] = sum;
        }
        return ends;
    }
    /**
     * Active latents per token (TopK) or on average (BatchTopK); 0 for other families.
     *
     * @return k (latents per token), 0 unless the family is TopK
     */
    public int k() { return k; }
    /**
     * λ of the ReLU L1 penalty.
     *
     * @return the final λ (≥ 0) reached after {@link #l1WarmupSteps()}
     */
    public double l1Coefficient() { return l1Coefficient; }
    /**
     * Steps over which the ReLU L1 coefficient ramps linearly up to {@link #l1Coefficient()}; 0 = no ramp.
     *
     * @return the L1 warmup length in steps
     */
    public int l1WarmupSteps() { return l1WarmupSteps; }
    /**
     * λ of the JumpReLU sparsity loss.
     *
     * @return λ of the JumpReLU L0 (or target-L0) term, ≥ 0
     */
    public double l0Coefficient() { return l0Coefficient; }
    /**
     * JumpReLU target L0; 0 = plain L0 penalty.
     *
     * @return the target mean active latents per token; 0 selects the plain λ·L0 penalty
     */
    public double targetL0() { return targetL0; }
    /**
     * JumpReLU straight-through bandwidth ε.
     *
     * @return ε &gt; 0, the width of the rectangle kernel of the threshold's straight-through gradient
     */
    public double bandwidth() { return bandwidth; }
    /**
     * JumpReLU initial θ.
     *
     * @return θ given to every latent at initialisation (&gt; 0)
     */
    public double initThreshold() { return initThreshold; }
    /**
     * Peak Adam learning rate, reached after the warmup.
     *
     * @return the peak learning rate
     */
    public double learningRate() { return learningRate; }
    /**
     * Adam's first-moment decay β1.
     *
     * @return β1 in [0, 1)
     */
    public double beta1() { return beta1; }
    /**
     * Adam's second-moment decay β2.
     *
     * @return β2 in [0, 1)
     */
    public double beta2() { return beta2; }
    /**
     * Adam's ε added to the square root of the second moment.
     *
     * @return ε &gt; 0
     */
    public double epsilon() { return epsilon; }
    /**
     * Steps of linear learning-rate warmup from lr/warmup to lr.
     *
     * @return the warmup length in steps (0 = none)
     */
    public int warmupSteps() { return warmupSteps; }
    /**
     * Fraction of the steps, at the end, over which the learning rate decays linearly to 0.
     *
     * @return the decay fraction in [0, 1]
     */
    public double decayFraction() { return decayFraction; }
    /**
     * Maximum global gradient norm; 0 disables clipping.
     *
     * @return the clipping threshold on the global L2 norm of all gradients, ≥ 0
     */
    public double gradClip() { return gradClip; }
    /**
     * Total number of optimisation steps.
     *
     * @return the number of steps, ≥ 1
     */
    public int steps() { return steps; }
    /**
     * Rows (tokens) per step B.
     *
     * @return B ≥ 1
     */
    public int batchSize() { return batchSize; }
    /**
     * Seed of every random choice (initialisation and data order), for bit-reproducible runs.
     *
     * @return the seed
     */
    public long seed() { return seed; }
    /**
     * A latent is dead after this many steps without firing (AuxK, dead fraction); density window length.
     *
     * @return the dead window in steps
     */
    public int deadWindow() { return deadWindow; }
    /**
     * Number of dead latents' pre-activations used by the AuxK loss.
     *
     * @return k_aux, the number of dead latents reconstructing the residual
     */
    public int auxK() { return auxK; }
    /**
     * α of AuxK; 0 disables it.
     *
     * @return α ≥ 0 of the auxiliary loss
     */
    public double auxAlpha() { return auxAlpha; }
    /**
     * Whether inputs are scaled so that E‖x‖ = √d (scale folded into the saved weights).
     *
     * @return true if input normalisation is on
     */
    public boolean normalizeInput() { return normalizeInput; }
    /**
     * Rows read at the start to estimate the input scale and initialise b_dec.
     *
     * @return the number of initial rows sampled
     */
    public int initSampleRows() { return initSampleRows; }
    /**
     * b_dec initialised to the geometric median (true) or the mean (false) of the initial sample.
     *
     * @return true for the geometric median, false for the mean
     */
    public boolean geometricMedianInit() { return geometricMedianInit; }
    /**
     * Whether the decoder rows are kept at unit L2 norm during training (see the class comment).
     *
     * @return true if decoder rows are constrained to unit norm
     */
    public boolean unitNormDecoder() { return unitNormDecoder; }
    /**
     * BatchTopK threshold EMA decay: θ ← decay·θ + (1 − decay)·(smallest kept activation), bias-corrected.
     *
     * @return the decay in [0, 1) of the BatchTopK threshold's exponential moving average
     */
    public double thresholdDecay() { return thresholdDecay; }
    /**
     * Where the training activations come from; recorded in the saved SAE.
     *
     * @return the metadata ({@link SaeMetadata#unknown()} unless set)
     */
    public SaeMetadata metadata() { return metadata; }

    /**
     * Learning rate at step t (0-based): linear warmup, then constant, then linear decay to 0.
     *
     * @param t step index, 0-based
     * @return the learning rate used at step t, in [0, {@link #learningRate()}]
     */
    public double learningRateAt(int t) {
        double lr = learningRate;
        if (warmupSteps > 0 && t < warmupSteps) {
            lr *= (t + 1) / (double) warmupSteps;
        }
        int decaySteps = (int) Math.round(steps * decayFraction);
        int decayStart = steps - decaySteps;
        if (decaySteps > 0 && t >= decayStart) {
            lr *= Math.max(0.0, (steps - t) / (double) decaySteps);
        }
        return lr;
    }

    /**
     * The ReLU L1 coefficient at step t: linear warmup from λ/warmup to λ.
     *
     * @param t step index, 0-based
     * @return λ·(t+1)/warmup while t &lt; {@link #l1WarmupSteps()}, λ afterwards
     */
    public double l1CoefficientAt(int t) {
        return l1WarmupSteps > 0 && t < l1WarmupSteps ? l1Coefficient * (t + 1) / l1WarmupSteps : l1Coefficient;
    }

    /**
     * Every field as JSON (names in snake case), for checkpoints and provenance.
     *
     * @return a new JSON object with one snake-case member per field
     */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("architecture", architecture.cliName());
        o.addProperty("d_in", dIn);
        o.addProperty("d_sae", dSae);
        if (dOut > 0) {
            o.addProperty("d_out", dOut);
            o.addProperty("skip", skip);
            o.addProperty("hook_name_out", outputHook);
        }
        if (groupSizes.length > 0) {
            com.google.gson.JsonArray g = new com.google.gson.JsonArray();
            for (int v : groupSizes) {
                g.add(v);
            }
            o.add("group_sizes", g);
        }
        o.addProperty("k", k);
        o.addProperty("l1_coefficient", l1Coefficient);
        o.addProperty("l1_warmup_steps", l1WarmupSteps);
        o.addProperty("l0_coefficient", l0Coefficient);
        o.addProperty("target_l0", targetL0);
        o.addProperty("bandwidth", bandwidth);
        o.addProperty("init_threshold", initThreshold);
        o.addProperty("lr", learningRate);
        o.addProperty("beta1", beta1);
        o.addProperty("beta2", beta2);
        o.addProperty("epsilon", epsilon);
        o.addProperty("warmup_steps", warmupSteps);
        o.addProperty("decay_fraction", decayFraction);
        o.addProperty("grad_clip", gradClip);
        o.addProperty("steps", steps);
        o.addProperty("batch_size", batchSize);
        o.addProperty("seed", seed);
        o.addProperty("dead_window", deadWindow);
        o.addProperty("aux_k", auxK);
        o.addProperty("aux_alpha", auxAlpha);
        o.addProperty("normalize_input", normalizeInput);
        o.addProperty("init_sample_rows", initSampleRows);
        o.addProperty("geometric_median_init", geometricMedianInit);
        o.addProperty("unit_norm_decoder", unitNormDecoder);
        o.addProperty("threshold_decay", thresholdDecay);
        o.addProperty("model_name", metadata.modelName());
        o.addProperty("hook_name", metadata.hookName());
        o.addProperty("context_size", metadata.contextSize());
        o.addProperty("prepend_bos", metadata.prependBos());
        return o;
    }

    /**
     * The config written by {@link #toJson()}.
     *
     * @param o a JSON object as written by {@link #toJson()}; not modified
     * @return the config, validated by {@link Builder#build()}
     * @throws IllegalArgumentException if a field is missing or invalid (names it)
     */
    public static SaeConfig fromJson(JsonObject o) {
        try {
            return builder().setArchitecture(Architecture.parse(o.get("architecture").getAsString()))
                    .setDims(o.get("d_in").getAsInt(), o.get("d_sae").getAsInt())
                    .optK(o.get("k").getAsInt())
                    .optTranscoder(o.has("d_out") ? o.get("d_out").getAsInt() : 0,
                            o.has("skip") && o.get("skip").getAsBoolean())
                    .optOutputHook(o.has("hook_name_out") ? o.get("hook_name_out").getAsString() : "")
                    .optGroupSizes(o.has("group_sizes") ? intArray(o.getAsJsonArray("group_sizes")) : new int[0])
                    .optL1Coefficient(o.get("l1_coefficient").getAsDouble())
                    .optL1WarmupSteps(o.get("l1_warmup_steps").getAsInt())
                    .optL0Coefficient(o.get("l0_coefficient").getAsDouble())
                    .optTargetL0(o.get("target_l0").getAsDouble())
                    .optBandwidth(o.get("bandwidth").getAsDouble())
                    .optInitThreshold(o.get("init_threshold").getAsDouble())
                    .optLearningRate(o.get("lr").getAsDouble())
                    .optAdam(o.get("beta1").getAsDouble(), o.get("beta2").getAsDouble(),
                            o.get("epsilon").getAsDouble())
                    .optWarmupSteps(o.get("warmup_steps").getAsInt())
                    .optDecayFraction(o.get("decay_fraction").getAsDouble())
                    .optGradClip(o.get("grad_clip").getAsDouble())
                    .setSteps(o.get("steps").getAsInt())
                    .optBatchSize(o.get("batch_size").getAsInt())
                    .optSeed(o.get("seed").getAsLong())
                    .optDeadWindow(o.get("dead_window").getAsInt())
                    .optAuxK(o.get("aux_k").getAsInt())
                    .optAuxAlpha(o.get("aux_alpha").getAsDouble())
                    .optNormalizeInput(o.get("normalize_input").getAsBoolean())
                    .optInitSampleRows(o.get("init_sample_rows").getAsInt())
                    .optGeometricMedianInit(o.get("geometric_median_init").getAsBoolean())
                    .optUnitNormDecoder(o.get("unit_norm_decoder").getAsBoolean())
                    .optThresholdDecay(o.get("threshold_decay").getAsDouble())
                    .optMetadata(new SaeMetadata(o.get("model_name").getAsString(), o.get("hook_name").getAsString(),
                            o.get("context_size").getAsInt(), o.get("prepend_bos").getAsBoolean()))
                    .build();
        } catch (NullPointerException | UnsupportedOperationException | IllegalStateException e) {
            throw new IllegalArgumentException("training config JSON is missing a field or has a wrong type: "
                    + o, e);
        }
    }

    private static int[] intArray(com.google.gson.JsonArray a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).getAsInt();
        }
        return v;
    }

    @Override
    public String toString() {
        return "SaeConfig" + toJson();
    }

    /** Builder; see the accessors of {@link SaeConfig} for the meaning and defaults of each field. */
    public static final class Builder {
        private Architecture architecture;
        private int dIn = -1;
        private int dSae = -1;
        private int dOut;
        private boolean skip;
        private String outputHook = "";
        private int[] groupSizes = new int[0];
        private int k;
        private double l1Coefficient = 5.0;
        private int l1WarmupSteps = -1;
        private double l0Coefficient = 1.0;
        private double targetL0;
        private double bandwidth = 0.001;
        private double initThreshold = 0.001;
        private double learningRate = -1;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double epsilon = 1e-8;
        private int warmupSteps = -1;
        private double decayFraction = 0.2;
        private double gradClip = 1.0;
        private int steps = -1;
        private int batchSize = 4096;
        private long seed;
        private int deadWindow = -1;
        private int auxK = -1;
        private double auxAlpha = 1.0 / 32;
        private boolean normalizeInput = true;
        private int initSampleRows = -1;
        private boolean geometricMedianInit = true;
        private Boolean unitNormDecoder;
        private double thresholdDecay = 0.999;
        private SaeMetadata metadata = SaeMetadata.unknown();

        private Builder() {}

        /**
         * Sets the family to train (required).
         *
         * @param a the architecture, not null
         * @return this builder
         */
        public Builder setArchitecture(Architecture a) { architecture = Objects.requireNonNull(a); return this; }
        /**
         * Input width d and number of latents n.
         *
         * @param dIn input width d_in, ≥ 1
         * @param dSae number of latents n, ≥ 1
         * @return this builder
         */
        public Builder setDims(int dIn, int dSae) { this.dIn = dIn; this.dSae = dSae; return this; }
        /**
         * Makes this a transcoder with output width {@code dOut} (0 = an SAE), with or without the linear skip
         * connection.
         *
         * @param dOut transcoder output width d_out, or 0 for an SAE
         * @param skip whether to train the linear skip W_skip [d_out, d_in] (transcoders only)
         * @return this builder
         */
        public Builder optTranscoder(int dOut, boolean skip) { this.dOut = dOut; this.skip = skip; return this; }
        /**
         * The hook a transcoder predicts (recorded as {@code hook_name_out}).
         *
         * @param v the output hook name, not null
         * @return this builder
         */
        public Builder optOutputHook(String v) { outputHook = Objects.requireNonNull(v); return this; }
        /**
         * Matryoshka group sizes (each ≥ 1, summing to d_sae); required for {@link Architecture#MATRYOSHKA}.
         *
         * @param sizes the group sizes in dictionary order; copied
         * @return this builder
         */
        public Builder optGroupSizes(int... sizes) { groupSizes = sizes.clone(); return this; }
        /**
         * Total optimisation steps.
         *
         * @param v number of steps, ≥ 1
         * @return this builder
         */
        public Builder setSteps(int v) { steps = v; return this; }
        /**
         * Required for TopK and BatchTopK.
         *
         * @param v k, in [1, n]
         * @return this builder
         */
        public Builder optK(int v) { k = v; return this; }
        /**
         * Sets the final L1 coefficient λ of the ReLU sparsity penalty.
         *
         * @param v λ, finite and ≥ 0
         * @return this builder
         */
        public Builder optL1Coefficient(double v) { l1Coefficient = v; return this; }
        /**
         * Default 5% of the steps.
         *
         * @param v L1 warmup length in steps, ≥ 0
         * @return this builder
         */
        public Builder optL1WarmupSteps(int v) { l1WarmupSteps = v; return this; }
        /**
         * Sets λ of the JumpReLU L0 (or target-L0) term.
         *
         * @param v λ, finite and ≥ 0
         * @return this builder
         */
        public Builder optL0Coefficient(double v) { l0Coefficient = v; return this; }
        /**
         * Sets the JumpReLU target L0 (0 = plain L0 penalty).
         *
         * @param v target mean active latents per token, finite and ≥ 0
         * @return this builder
         */
        public Builder optTargetL0(double v) { targetL0 = v; return this; }
        /**
         * Sets the JumpReLU straight-through bandwidth ε.
         *
         * @param v ε, finite and &gt; 0
         * @return this builder
         */
        public Builder optBandwidth(double v) { bandwidth = v; return this; }
        /**
         * Sets the initial JumpReLU threshold θ of every latent.
         *
         * @param v θ, finite and &gt; 0
         * @return this builder
         */
        public Builder optInitThreshold(double v) { initThreshold = v; return this; }
        /**
         * Default 2e-4/√(n/2^14) for the TopK family, 3e-4 otherwise.
         *
         * @param v peak learning rate
         * @return this builder
         */
        public Builder optLearningRate(double v) { learningRate = v; return this; }
        /**
         * Sets Adam's hyper-parameters.
         *
         * @param b1 β1 in [0, 1)
         * @param b2 β2 in [0, 1)
         * @param eps ε &gt; 0
         * @return this builder
         */
        public Builder optAdam(double b1, double b2, double eps) { beta1 = b1; beta2 = b2; epsilon = eps; return this; }
        /**
         * Default min(1000, steps/10).
         *
         * @param v warmup length in steps, ≥ 0
         * @return this builder
         */
        public Builder optWarmupSteps(int v) { warmupSteps = v; return this; }
        /**
         * Sets the fraction of the steps, at the end, over which the learning rate decays linearly to 0.
         *
         * @param v fraction in [0, 1]
         * @return this builder
         */
        public Builder optDecayFraction(double v) { decayFraction = v; return this; }
        /**
         * Sets the global gradient-norm clipping threshold (0 = off).
         *
         * @param v threshold, finite and ≥ 0
         * @return this builder
         */
        public Builder optGradClip(double v) { gradClip = v; return this; }
        /**
         * Sets the rows (tokens) per step B.
         *
         * @param v B ≥ 1
         * @return this builder
         */
        public Builder optBatchSize(int v) { batchSize = v; return this; }
        /**
         * Sets the seed of initialisation and data order.
         *
         * @param v the seed
         * @return this builder
         */
        public Builder optSeed(long v) { seed = v; return this; }
        /**
         * Default: the number of steps covering 10M tokens.
         *
         * @param v dead window in steps
         * @return this builder
         */
        public Builder optDeadWindow(int v) { deadWindow = v; return this; }
        /**
         * Default min(d/2, 256).
         *
         * @param v k_aux, the number of dead latents used by AuxK
         * @return this builder
         */
        public Builder optAuxK(int v) { auxK = v; return this; }
        /**
         * Sets α of the AuxK loss (0 disables it).
         *
         * @param v α, finite and ≥ 0
         * @return this builder
         */
        public Builder optAuxAlpha(double v) { auxAlpha = v; return this; }
        /**
         * Sets whether inputs are scaled so that E‖x‖ = √d (scale folded into the saved weights).
         *
         * @param v true to normalise
         * @return this builder
         */
        public Builder optNormalizeInput(boolean v) { normalizeInput = v; return this; }
        /**
         * Default min(16384, 4·batch).
         *
         * @param v number of rows sampled at the start, ≥ 1
         * @return this builder
         */
        public Builder optInitSampleRows(int v) { initSampleRows = v; return this; }
        /**
         * Sets b_dec's initialisation: geometric median (true) or mean (false) of the initial sample.
         *
         * @param v true for the geometric median
         * @return this builder
         */
        public Builder optGeometricMedianInit(boolean v) { geometricMedianInit = v; return this; }
        /**
         * Default true except for ReLU.
         *
         * @param v true to keep decoder rows at unit norm
         * @return this builder
         */
        public Builder optUnitNormDecoder(boolean v) { unitNormDecoder = v; return this; }
        /**
         * Sets the BatchTopK threshold EMA decay.
         *
         * @param v decay in [0, 1)
         * @return this builder
         */
        public Builder optThresholdDecay(double v) { thresholdDecay = v; return this; }
        /**
         * Sets where the training activations come from.
         *
         * @param v the metadata, not null
         * @return this builder
         */
        public Builder optMetadata(SaeMetadata v) { metadata = Objects.requireNonNull(v); return this; }

        /**
         * @return the validated, immutable config (unset optional fields given their defaults)
         * @throws IllegalArgumentException naming the first invalid field
         */
        public SaeConfig build() {
            if (architecture == null) {
                throw new IllegalArgumentException("architecture is required");
            }
            if (dIn < 1 || dSae < 1) {
                throw new IllegalArgumentException("d_in and d_sae must be >= 1, got " + dIn + ", " + dSae);
            }
            if (steps < 1) {
                throw new IllegalArgumentException("steps must be >= 1, got " + steps);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
            }
            if (architecture.isTopKFamily()) {
                if (k < 1 || k > dSae) {
                    throw new IllegalArgumentException(architecture.cliName() + " needs 1 <= k <= d_sae=" + dSae
                            + ", got k=" + k);
                }
            } else {
                k = 0;
            }
            if (dOut < 0) {
                throw new IllegalArgumentException("d_out must be >= 0 (0 = an SAE), got " + dOut);
            }
            if (skip && dOut == 0) {
                throw new IllegalArgumentException("the skip connection applies to transcoders only (set d_out)");
            }
            if (architecture == Architecture.RELU && dOut > 0) {
                throw new IllegalArgumentException("transcoders are trained with topk, batchtopk, matryoshka or "
                        + "jumprelu, not relu");
            }
            checkGroups();
            positive("bandwidth", bandwidth);
            positive("init threshold", initThreshold);
            finiteNonNegative("l1 coefficient", l1Coefficient);
            finiteNonNegative("l0 coefficient", l0Coefficient);
            finiteNonNegative("target L0", targetL0);
            finiteNonNegative("gradient clip", gradClip);
            finiteNonNegative("aux alpha", auxAlpha);
            if (learningRate != -1) {
                positive("learning rate", learningRate);
            }
            if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && epsilon > 0)) {
                throw new IllegalArgumentException("Adam needs 0 <= beta < 1 and epsilon > 0, got " + beta1 + ", "
                        + beta2 + ", " + epsilon);
            }
            if (!(decayFraction >= 0 && decayFraction <= 1)) {
                throw new IllegalArgumentException("decay fraction must be in [0, 1], got " + decayFraction);
            }
            if (!(thresholdDecay >= 0 && thresholdDecay < 1)) {
                throw new IllegalArgumentException("threshold decay must be in [0, 1), got " + thresholdDecay);
            }
            return new SaeConfig(this);
        }

        private void checkGroups() {
            if (architecture != Architecture.MATRYOSHKA) {
                if (groupSizes.length > 0) {
                    throw new IllegalArgumentException("group sizes apply to the matryoshka architecture only, not "
                            + architecture.cliName());
                }
                return;
            }
            if (groupSizes.length == 0) {
                throw new IllegalArgumentException("matryoshka needs group sizes (e.g. 64,192,768 summing to d_sae)");
            }
            long sum = 0;
            for (int g : groupSizes) {
                if (g < 1) {
                    throw new IllegalArgumentException("every matryoshka group size must be >= 1, got "
                            + java.util.Arrays.toString(groupSizes));
                }
                sum += g;
            }
            if (sum != dSae) {
                throw new IllegalArgumentException("matryoshka group sizes " + java.util.Arrays.toString(groupSizes)
                        + " sum to " + sum + ", not d_sae=" + dSae);
            }
        }

        private static void positive(String name, double v) {
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException(name + " must be finite and > 0, got " + v);
            }
        }

        private static void finiteNonNegative(String name, double v) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException(name + " must be finite and >= 0, got " + v);
            }
        }
    }
}
