package org.mechinterp.core.train;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.List;

/**
 * Hyper-parameters of {@link CausalLmTrainer}: AdamW (decoupled weight decay on matrices only, i.e. every
 * parameter with two or more axes, embeddings included; none on norm weights and biases) with the
 * {@link LearningRateSchedule}, gradient clipping by global L2 norm, batch size, number of steps, evaluation
 * interval and the seed (weights and data order both derive from it). Built with {@link #builder()}: {@code set*}
 * required, {@code opt*} with the defaults stated there; validated in {@link Builder#build()}. Immutable.
 */
public final class TrainerConfig {
    private final int steps;
    private final int batchSize;
    private final double learningRate;
    private final int warmupSteps;
    private final double minLrRatio;
    private final LearningRateSchedule.Decay decay;
    private final double weightDecay;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double gradClip;
    private final int evalEvery;
    private final long seed;
    private final List<String> groups;

    private TrainerConfig(Builder b, int warmupSteps) {
        steps = b.steps;
        batchSize = b.batchSize;
        learningRate = b.learningRate;
        this.warmupSteps = warmupSteps;
        minLrRatio = b.minLrRatio;
        decay = b.decay;
        weightDecay = b.weightDecay;
        beta1 = b.beta1;
        beta2 = b.beta2;
        epsilon = b.epsilon;
        gradClip = b.gradClip;
        evalEvery = b.evalEvery;
        seed = b.seed;
        groups = List.copyOf(b.groups);
    }

    /**
     * A new builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The number of steps.
     *
     * @return the number of steps
     */
    public int steps() { return steps; }
    /**
     * The batch size.
     *
     * @return the batch size
     */
    public int batchSize() { return batchSize; }
    /**
     * The peak learning rate.
     *
     * @return the peak learning rate
     */
    public double learningRate() { return learningRate; }
    /**
     * The number of warm-up steps.
     *
     * @return the number of warm-up steps
     */
    public int warmupSteps() { return warmupSteps; }
    /**
     * The final learning rate as a fraction of the peak.
     *
     * @return the final learning rate as a fraction of the peak
     */
    public double minLrRatio() { return minLrRatio; }
    /**
     * The decay schedule.
     *
     * @return the decay schedule
     */
    public LearningRateSchedule.Decay decay() { return decay; }
    /**
     * The AdamW weight decay.
     *
     * @return the AdamW weight decay
     */
    public double weightDecay() { return weightDecay; }
    /**
     * AdamW beta1.
     *
     * @return AdamW beta1
     */
    public double beta1() { return beta1; }
    /**
     * AdamW beta2.
     *
     * @return AdamW beta2
     */
    public double beta2() { return beta2; }
    /**
     * AdamW epsilon.
     *
     * @return AdamW epsilon
     */
    public double epsilon() { return epsilon; }
    /**
     * Maximum global gradient norm; 0 disables clipping.
     *
     * @return maximum global gradient norm; 0 disables clipping
     */
    public double gradClip() { return gradClip; }
    /**
     * Evaluate every this many steps (and after the last one); 0 evaluates only at the end.
     *
     * @return evaluate every this many steps (and after the last one); 0 evaluates only at the end
     */
    public int evalEvery() { return evalEvery; }
    /**
     * The random seed.
     *
     * @return the random seed
     */
    public long seed() { return seed; }
    /**
     * Names of the target groups of {@link TrainingSequence}, index = group id.
     *
     * @return names of the target groups of {@link TrainingSequence}, index = group id
     */
    public List<String> groups() { return groups; }

    /**
     * The schedule these settings describe.
     *
     * @return the schedule these settings describe
     */
    public LearningRateSchedule schedule() {
        return new LearningRateSchedule(learningRate, warmupSteps, steps, minLrRatio, decay);
    }

    /**
     * All settings as JSON (snake_case keys), for provenance files.
     *
     * @return all settings as JSON (snake_case keys), for provenance files
     */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("steps", steps);
        o.addProperty("batch_size", batchSize);
        o.addProperty("optimizer", "AdamW");
        o.addProperty("learning_rate", learningRate);
        o.addProperty("warmup_steps", warmupSteps);
        o.addProperty("lr_decay", decay.name().toLowerCase(java.util.Locale.ROOT));
        o.addProperty("min_lr_ratio", minLrRatio);
        o.addProperty("weight_decay", weightDecay);
        o.addProperty("weight_decay_applies_to", "parameters with >= 2 axes (matrices, embeddings)");
        o.addProperty("beta1", beta1);
        o.addProperty("beta2", beta2);
        o.addProperty("epsilon", epsilon);
        o.addProperty("grad_clip_global_norm", gradClip);
        o.addProperty("eval_every", evalEvery);
        o.addProperty("seed", seed);
        JsonArray g = new JsonArray();
        groups.forEach(g::add);
        o.add("loss_groups", g);
        return o;
    }

    /** Builder; {@code set*} required, {@code opt*} optional. */
    public static final class Builder {
        private int steps;
        private int batchSize;
        private double learningRate;
        private int warmupSteps = -1;
        private double minLrRatio = 0.1;
        private LearningRateSchedule.Decay decay = LearningRateSchedule.Decay.COSINE;
        private double weightDecay = 0.01;
        private double beta1 = 0.9;
        private double beta2 = 0.95;
        private double epsilon = 1e-8;
        private double gradClip = 1.0;
        private int evalEvery;
        private long seed;
        private List<String> groups = List.of("all");

        private Builder() {}

        /**
         * Number of optimizer steps, > 0.
         *
         * @param v the number of steps
         * @return this builder
         */
        public Builder setSteps(int v) { steps = v; return this; }
        /**
         * Sequences per step, > 0.
         *
         * @param v Sequences per step, > 0
         * @return this builder
         */
        public Builder setBatchSize(int v) { batchSize = v; return this; }
        /**
         * Peak learning rate, > 0.
         *
         * @param v the peak learning rate
         * @return this builder
         */
        public Builder setLearningRate(double v) { learningRate = v; return this; }
        /**
         * Linear warm-up steps (default: 5% of the steps, at least 1).
         *
         * @param v the number of warm-up steps
         * @return this builder
         */
        public Builder optWarmupSteps(int v) { warmupSteps = v; return this; }
        /**
         * Final rate as a fraction of the peak (default 0.1).
         *
         * @param v the final learning rate as a fraction of the peak
         * @return this builder
         */
        public Builder optMinLrRatio(double v) { minLrRatio = v; return this; }
        /**
         * Decay after warm-up (default cosine).
         *
         * @param v Decay after warm-up (default cosine)
         * @return this builder
         */
        public Builder optDecay(LearningRateSchedule.Decay v) { decay = v; return this; }
        /**
         * Decoupled weight decay of matrices (default 0.01).
         *
         * @param v the AdamW weight decay
         * @return this builder
         */
        public Builder optWeightDecay(double v) { weightDecay = v; return this; }
        /**
         * Adam betas (default 0.9, 0.95).
         *
         * @param b1 the b1
         * @param b2 the b2
         * @return this builder
         */
        public Builder optBetas(double b1, double b2) { beta1 = b1; beta2 = b2; return this; }
        /**
         * Adam epsilon (default 1e-8).
         *
         * @param v AdamW epsilon
         * @return this builder
         */
        public Builder optEpsilon(double v) { epsilon = v; return this; }
        /**
         * Global-norm gradient clipping threshold (default 1; 0 disables).
         *
         * @param v Global-norm gradient clipping threshold (default 1; 0 disables)
         * @return this builder
         */
        public Builder optGradClip(double v) { gradClip = v; return this; }
        /**
         * Evaluation interval in steps (default 0: only after the last step).
         *
         * @param v Evaluation interval in steps (default 0: only after the last step)
         * @return this builder
         */
        public Builder optEvalEvery(int v) { evalEvery = v; return this; }
        /**
         * Seed of the initial weights and the data order (default 0).
         *
         * @param v Seed of the initial weights and the data order (default 0)
         * @return this builder
         */
        public Builder optSeed(long v) { seed = v; return this; }
        /**
         * Names of the loss groups (default one group "all").
         *
         * @param v Names of the loss groups (default one group "all")
         * @return this builder
         */
        public Builder optGroups(List<String> v) { groups = List.copyOf(v); return this; }

        /**
         * @return the validated configuration
         * @throws IllegalArgumentException naming the first invalid setting
         */
        public TrainerConfig build() {
            if (steps <= 0) {
                throw new IllegalArgumentException("steps must be > 0, got " + steps);
            }
            if (batchSize <= 0) {
                throw new IllegalArgumentException("batch size must be > 0, got " + batchSize);
            }
            int warmup = warmupSteps < 0 ? Math.max(1, steps / 20) : warmupSteps;
            if (warmup > steps) {
                throw new IllegalArgumentException("warm-up steps (" + warmup + ") exceed steps (" + steps + ")");
            }
            if (!(weightDecay >= 0)) {
                throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
            }
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
            }
            if (!(epsilon > 0)) {
                throw new IllegalArgumentException("Adam epsilon must be > 0, got " + epsilon);
            }
            if (!(gradClip >= 0)) {
                throw new IllegalArgumentException("gradient clip must be >= 0 (0 disables), got " + gradClip);
            }
            if (evalEvery < 0) {
                throw new IllegalArgumentException("eval interval must be >= 0, got " + evalEvery);
            }
            if (groups.isEmpty()) {
                throw new IllegalArgumentException("at least one loss group name is needed");
            }
            TrainerConfig c = new TrainerConfig(this, warmup);
            c.schedule(); // validates learning rate, warm-up and ratio
            return c;
        }
    }
}
