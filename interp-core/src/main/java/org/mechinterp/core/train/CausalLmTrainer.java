package org.mechinterp.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.TokenBatch;

/**
 * Trains a {@link HookedTransformer} of a given {@link ModelConfig} from {@link org.mechinterp.core.model.RandomWeights}
 * as a causal language model.
 *
 * <p>Each step draws {@code B} sequences from the {@link SequenceSource} (each from its own split of the data
 * stream), runs the forward pass inside a {@code GradientCollector}, and minimises the mean next-token
 * cross-entropy over the counted targets, {@code L = Σ_{b,t} w_{bt}·(−log softmax(z_{bt})[y_{bt}]) / Σ w_{bt}}
 * with {@code w = 1} for targets in a group and 0 for {@link TrainingSequence#IGNORED}. Gradients are clipped by
 * global L2 norm, AdamW updates the leaves in place outside the collector, and the accumulated gradients are
 * zeroed. The seed of {@link TrainerConfig} fixes the initial weights ({@code SplittableRandom(seed).nextLong()})
 * and the data order (a split of the same generator): the same seed, source and config give bit-identical
 * weights on the same machine and thread count.
 *
 * <p>Ownership: the trainer owns the parameters, optimizer state and one scratch manager per step (closed at the
 * end of the step, so native memory does not grow with the number of steps); {@link #close()} frees everything.
 * Snapshots ({@link #snapshot()}) are owned by the caller. One GradientCollector exists per JVM: do not train on
 * two threads. Not thread-safe.
 */
public final class CausalLmTrainer implements AutoCloseable {
    private final ModelConfig modelConfig;
    private final TrainerConfig config;
    private final SequenceSource source;
    private final List<TrainingSequence> evalSet;
    private final TrainableParameters params;
    private final AdamW optimizer;
    private final SplittableRandom data;
    private final LearningRateSchedule schedule;
    private final TrainingCurve curve = new TrainingCurve();
    private int step;

    private CausalLmTrainer(ModelConfig modelConfig, TrainerConfig config, SequenceSource source,
            List<TrainingSequence> evalSet) {
        this.modelConfig = modelConfig;
        this.config = config;
        this.source = source;
        this.evalSet = List.copyOf(evalSet);
        SplittableRandom master = new SplittableRandom(config.seed());
        long initSeed = master.nextLong();
        this.data = master.split();
        this.schedule = config.schedule();
        this.params = TrainableParameters.random(modelConfig, initSeed);
        try {
            List<NDArray> leaves = new ArrayList<>(params.named().values());
            boolean[] decay = new boolean[leaves.size()];
            for (int i = 0; i < decay.length; i++) {
                decay[i] = leaves.get(i).getShape().dimension() >= 2;
            }
            this.optimizer = new AdamW(leaves, decay, params.manager(), config.beta1(), config.beta2(),
                    config.epsilon(), config.weightDecay());
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
    }

    /**
     * A trainer for a new model with random weights.
     *
     * @param model architecture of the model to train (weights start from {@code RandomWeights})
     * @param config hyper-parameters
     * @param source training sequences; all of one length, ids below the vocabulary size
     * @param evalSet held-out sequences for {@link #evaluate()} (may be empty; copied)
     * @return the trainer; close it to free the model
     * @throws IllegalArgumentException for a held-out sequence with out-of-vocabulary ids or groups beyond the
     *     configured names
     */
    public static CausalLmTrainer create(ModelConfig model, TrainerConfig config, SequenceSource source,
            List<TrainingSequence> evalSet) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(source, "source");
        for (TrainingSequence s : evalSet) {
            check(s, model, config, "held-out");
        }
        return new CausalLmTrainer(model, config, source, evalSet);
    }

    /**
     * Hyper-parameters.
     *
     * @return Hyper-parameters
     */
    public TrainerConfig config() {
        return config;
    }

    /**
     * The model config.
     *
     * @return the model config
     */
    public ModelConfig modelConfig() {
        return modelConfig;
    }

    /**
     * The trained leaves (owned by the trainer).
     *
     * @return the trained leaves (owned by the trainer)
     */
    public TrainableParameters parameters() {
        return params;
    }

    /**
     * Steps completed.
     *
     * @return steps completed
     */
    public int stepsDone() {
        return step;
    }

    /**
     * Whether every configured step has run.
     *
     * @return true once {@code steps()} optimizer steps were made
     */
    public boolean finished() {
        return step >= config.steps();
    }

    /**
     * Everything recorded so far (a live view; mutated by later steps).
     *
     * @return everything recorded so far (a live view; mutated by later steps)
     */
    public TrainingCurve curve() {
        return curve;
    }

    /**
     * Runs the remaining steps, evaluating before the first step, every {@link TrainerConfig#evalEvery()} steps
     * and after the last one (when there is a held-out set).
     *
     * @param listener the listener
     */
    public void run(TrainingListener listener) {
        Objects.requireNonNull(listener, "listener");
        if (step == 0 && !evalSet.isEmpty() && config.evalEvery() > 0) {
            listener.onEval(evaluate());
        }
        while (!finished()) {
            StepStats s = step();
            listener.onStep(s);
            boolean due = config.evalEvery() > 0 && step % config.evalEvery() == 0;
            if (!evalSet.isEmpty() && (due || finished())) {
                listener.onEval(evaluate());
            }
        }
    }

    /**
     * One optimizer step on a fresh batch.
     *
     * @return one optimizer step on a fresh batch
     * @throws IllegalStateException if training is finished, or if the loss or gradient became non-finite
     * @throws IllegalArgumentException if the source produced sequences of different lengths, out-of-vocabulary
     *     ids or unknown groups
     */
    public StepStats step() {
        if (finished()) {
            throw new IllegalStateException("training already finished after " + step + " steps");
        }
        long t0 = System.nanoTime();
        List<TrainingSequence> batch = new ArrayList<>(config.batchSize());
        for (int i = 0; i < config.batchSize(); i++) {
            TrainingSequence s = source.next(data.split());
            check(s, modelConfig, config, "training");
            if (!batch.isEmpty() && s.length() != batch.get(0).length()) {
                throw new IllegalArgumentException("training sequences must all have the same length: got "
                        + batch.get(0).length() + " and " + s.length() + " targets");
            }
            batch.add(s);
        }
        double lr = schedule.at(step);
        double lossValue;
        double norm;
        try (NDManager scratch = params.manager().newSubManager()) {
            try (GradientCollector gc = scratch.getEngine().newGradientCollector()) {
                HookedTransformer model = params.bind(scratch);
                Losses l = losses(model, scratch, batch, true);
                gc.backward(l.mean);
                lossValue = l.mean.getFloat();
            }
            List<NDArray> grads = params.gradients(scratch);
            norm = globalNorm(grads);
            if (!Double.isFinite(lossValue) || !Double.isFinite(norm)) {
                throw new IllegalStateException("training diverged at step " + step + ": loss " + lossValue
                        + ", gradient norm " + norm + " (lower the learning rate)");
            }
            if (config.gradClip() > 0 && norm > config.gradClip()) {
                float scale = (float) (config.gradClip() / (norm + 1e-6));
                for (NDArray g : grads) {
                    g.muli(scale);
                }
            }
            optimizer.update(grads, lr, scratch);
            for (NDArray g : grads) {
                g.muli(0f); // backward accumulates into .grad: start the next step from zero
            }
        }
        StepStats stats = new StepStats(step, lr, lossValue, norm, (System.nanoTime() - t0) / 1e9);
        step++;
        curve.add(stats);
        return stats;
    }

    /**
     * Cross-entropy of the current weights on the held-out set (no gradients), recorded in {@link #curve()}.
     *
     * @return cross-entropy of the current weights on the held-out set (no gradients), recorded in {@link #curve()}
     * @throws IllegalStateException if there is no held-out set
     */
    public EvalResult evaluate() {
        if (evalSet.isEmpty()) {
            throw new IllegalStateException("no held-out sequences to evaluate on");
        }
        int groups = config.groups().size();
        double[] sum = new double[groups];
        long[] count = new long[groups];
        try (NDManager eval = params.manager().newSubManager()) {
            HookedTransformer model = params.bind(eval);
            for (int from = 0; from < evalSet.size(); from += config.batchSize()) {
                List<TrainingSequence> chunk = evalSet.subList(from, Math.min(evalSet.size(),
                        from + config.batchSize()));
                try (NDManager scratch = eval.newSubManager()) {
                    Losses l = losses(model, scratch, chunk, false);
                    float[] nll = l.perToken.toFloatArray();
                    int t = chunk.get(0).length();
                    for (int b = 0; b < chunk.size(); b++) {
                        TrainingSequence s = chunk.get(b);
                        for (int j = 0; j < t; j++) {
                            int g = s.group(j);
                            if (g >= 0) {
                                sum[g] += nll[b * t + j];
                                count[g]++;
                            }
                        }
                    }
                }
            }
        }
        Map<String, Double> groupLoss = new LinkedHashMap<>();
        Map<String, Long> groupCount = new LinkedHashMap<>();
        double total = 0;
        long n = 0;
        for (int g = 0; g < groups; g++) {
            if (count[g] > 0) {
                groupLoss.put(config.groups().get(g), sum[g] / count[g]);
                groupCount.put(config.groups().get(g), count[g]);
                total += sum[g];
                n += count[g];
            }
        }
        EvalResult r = new EvalResult(step, n == 0 ? Double.NaN : total / n, groupLoss, groupCount);
        curve.add(r);
        return r;
    }

    /**
     * A standalone copy of the current weights; the caller closes it.
     *
     * @return a standalone copy of the current weights; the caller closes it
     */
    public HookedTransformer snapshot() {
        return params.snapshot();
    }

    /** Per-target NLL [B,T] and the masked mean (a scalar), both owned by the manager passed to {@link #losses}. */
    record Losses(NDArray perToken, NDArray mean) {}

    /**
     * Per-target NLL [B,T] and the masked mean (a scalar), computed from {@code model}'s logits in {@code owner};
     * with {@code differentiable} the logits stay connected to the graph.
     */
    static Losses losses(HookedTransformer model, NDManager owner, List<TrainingSequence> batch,
            boolean differentiable) {
        int b = batch.size();
        int t = batch.get(0).length();
        int[][] inputs = new int[b][];
        long[] targets = new long[b * t];
        float[] weights = new float[b * t];
        double counted = 0;
        for (int i = 0; i < b; i++) {
            TrainingSequence s = batch.get(i);
            if (s.length() != t) {
                throw new IllegalArgumentException("sequences of one batch must have the same length: got " + t
                        + " and " + s.length() + " targets");
            }
            inputs[i] = s.inputs();
            for (int j = 0; j < t; j++) {
                targets[i * t + j] = s.token(j + 1);
                if (s.group(j) >= 0) {
                    weights[i * t + j] = 1f;
                    counted++;
                }
            }
        }
        if (counted == 0) {
            throw new IllegalArgumentException("no counted target in the batch: every target group is IGNORED");
        }
        TokenBatch tokens = TokenBatch.of(inputs);
        NDArray logits = differentiable ? model.forwardDifferentiable(owner, tokens) : model.forward(owner, tokens);
        NDArray logp = logits.logSoftmax(-1);                                              // [B,T,V]
        NDArray oneHot = owner.create(targets, new Shape(b, t)).oneHot(model.config().vocabSize());
        NDArray nll = logp.mul(oneHot).sum(new int[] {-1}).neg();                          // [B,T]
        // divide by a torch-owned scalar, not div(Number): autograd keeps the divisor (see ForwardPass.scalar)
        NDArray count = owner.full(new Shape(), (float) counted, DataType.FLOAT32);
        NDArray mean = nll.mul(owner.create(weights, new Shape(b, t))).sum().div(count);
        return new Losses(nll, mean);
    }

    private static double globalNorm(List<NDArray> grads) {
        double s = 0;
        for (NDArray g : grads) {
            s += g.square().sum().getFloat();
        }
        return Math.sqrt(s);
    }

    private static void check(TrainingSequence s, ModelConfig model, TrainerConfig config, String what) {
        int[] tokens = s.tokens();
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] >= model.vocabSize()) {
                throw new IllegalArgumentException(what + " sequence has token id " + tokens[i] + " at position " + i
                        + ", outside the vocabulary [0, " + model.vocabSize() + ")");
            }
        }
        if (tokens.length - 1 > model.maxPositions()) {
            throw new IllegalArgumentException(what + " sequence of " + (tokens.length - 1)
                    + " inputs exceeds the model's " + model.maxPositions() + " positions");
        }
        for (int g : s.targetGroups()) {
            if (g >= config.groups().size()) {
                throw new IllegalArgumentException(what + " sequence uses loss group " + g + " but only "
                        + config.groups().size() + " are named " + config.groups());
            }
        }
    }

    @Override
    public void close() {
        optimizer.close();
        params.close();
    }
}
