package org.mechinterp.core.generate;

import java.util.Arrays;

/**
 * How {@link Generator} decodes: number of new tokens, sampling (temperature, top-k, top-p, seed), stop tokens, and
 * whether to use the key/value cache. Immutable; made with {@link #builder()}, validated in {@link Builder#build()}.
 *
 * <p>Defaults: greedy (temperature 0), no top-k or top-p filtering, seed 0, the model's {@code eos_token_id}s as
 * stop tokens, the key/value cache on.
 */
public final class GenerationOptions {
    private final int maxNewTokens;
    private final double temperature;
    private final int topK;
    private final double topP;
    private final long seed;
    private final int[] stopTokens;
    private final boolean useCache;

    private GenerationOptions(Builder b) {
        this.maxNewTokens = b.maxNewTokens;
        this.temperature = b.temperature;
        this.topK = b.topK;
        this.topP = b.topP;
        this.seed = b.seed;
        this.stopTokens = b.stopTokens == null ? null : b.stopTokens.clone();
        this.useCache = b.useCache;
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
     * Greedy decoding of {@code maxNewTokens} tokens with the other defaults.
     *
     * @param maxNewTokens the max new tokens
     * @return Greedy decoding of {@code maxNewTokens} tokens with the other defaults
     */
    public static GenerationOptions greedy(int maxNewTokens) {
        return builder().setMaxNewTokens(maxNewTokens).build();
    }

    /**
     * Most tokens generated per sequence (fewer when a stop token comes first).
     *
     * @return most tokens generated per sequence (fewer when a stop token comes first)
     */
    public int maxNewTokens() {
        return maxNewTokens;
    }

    /**
     * Softmax temperature; 0 means greedy (argmax, the lowest id on ties).
     *
     * @return softmax temperature; 0 means greedy (argmax, the lowest id on ties)
     */
    public double temperature() {
        return temperature;
    }

    /**
     * Sample among the {@code topK} most likely tokens only; 0 means no limit.
     *
     * @return sample among the {@code topK} most likely tokens only; 0 means no limit
     */
    public int topK() {
        return topK;
    }

    /**
     * Sample from the smallest set of most likely tokens whose probability reaches {@code topP}; 1 means all.
     *
     * @return sample from the smallest set of most likely tokens whose probability reaches {@code topP}; 1 means all
     */
    public double topP() {
        return topP;
    }

    /**
     * Seed of the random numbers; one generator per sequence, split from it in batch order.
     *
     * @return seed of the random numbers; one generator per sequence, split from it in batch order
     */
    public long seed() {
        return seed;
    }

    /**
     * The stop tokens, or null for the model's {@code eos_token_id}s.
     *
     * @return the stop tokens, or null for the model's {@code eos_token_id}s
     */
    public int[] stopTokens() {
        return stopTokens == null ? null : stopTokens.clone();
    }

    /**
     * True to use a key/value cache; false to recompute the whole sequence at every step (the reference).
     *
     * @return true to use a key/value cache; false to recompute the whole sequence at every step (the reference)
     */
    public boolean useCache() {
        return useCache;
    }

    /**
     * Whether decoding is greedy (temperature 0).
     *
     * @return true for argmax decoding
     */
    public boolean isGreedy() {
        return temperature == 0;
    }

    @Override
    public String toString() {
        return "GenerationOptions[maxNewTokens=" + maxNewTokens + ", temperature=" + temperature + ", topK=" + topK
                + ", topP=" + topP + ", seed=" + seed + ", stop=" + (stopTokens == null ? "eos"
                : Arrays.toString(stopTokens)) + ", cache=" + useCache + "]";
    }

    /** Builder; {@code set*} are required, {@code opt*} have defaults. */
    public static final class Builder {
        private int maxNewTokens = -1;
        private double temperature;
        private int topK;
        private double topP = 1;
        private long seed;
        private int[] stopTokens;
        private boolean useCache = true;

        private Builder() {}

        /**
         * Sets the max new tokens.
         *
         * @param v the max new tokens
         * @return this builder
         */
        public Builder setMaxNewTokens(int v) { maxNewTokens = v; return this; }
        /**
         * 0 (the default) is greedy decoding.
         *
         * @param v 0 (the default) is greedy decoding
         * @return this builder
         */
        public Builder optTemperature(double v) { temperature = v; return this; }
        /**
         * 0 (the default) is no top-k filtering.
         *
         * @param v 0 (the default) is no top-k filtering
         * @return this builder
         */
        public Builder optTopK(int v) { topK = v; return this; }
        /**
         * 1 (the default) is no nucleus filtering.
         *
         * @param v 1 (the default) is no nucleus filtering
         * @return this builder
         */
        public Builder optTopP(double v) { topP = v; return this; }
        /**
         * Sets the random seed (optional).
         *
         * @param v the random seed
         * @return this builder
         */
        public Builder optSeed(long v) { seed = v; return this; }
        /**
         * Tokens that end a sequence (kept as its last token); none at all for an empty list.
         *
         * @param ids Tokens that end a sequence (kept as its last token); none at all for an empty list
         * @return this builder
         */
        public Builder optStopTokens(int... ids) { stopTokens = ids.clone(); return this; }
        /**
         * Stop at the model's {@code eos_token_id}s (the default).
         *
         * @return this builder
         */
        public Builder optModelStopTokens() { stopTokens = null; return this; }
        /**
         * Sets the use cache (optional).
         *
         * @param v the use cache
         * @return this builder
         */
        public Builder optUseCache(boolean v) { useCache = v; return this; }

        /**
         * Validates and builds.
         *
         * @return the generation options
         * @throws IllegalArgumentException naming the first invalid setting
         */
        public GenerationOptions build() {
            if (maxNewTokens < 1) {
                throw new IllegalArgumentException(maxNewTokens == -1 ? "the number of new tokens is not set"
                        : "max new tokens must be at least 1, got " + maxNewTokens);
            }
            if (!(temperature >= 0) || Double.isInfinite(temperature)) {
                throw new IllegalArgumentException("temperature must be a finite number >= 0 (0 = greedy), got "
                        + temperature);
            }
            if (topK < 0) {
                throw new IllegalArgumentException("top-k must be >= 0 (0 = no limit), got " + topK);
            }
            if (!(topP > 0 && topP <= 1)) {
                throw new IllegalArgumentException("top-p must be in (0, 1] (1 = no limit), got " + topP);
            }
            if (stopTokens != null) {
                for (int id : stopTokens) {
                    if (id < 0) {
                        throw new IllegalArgumentException("stop token ids must be >= 0, got " + id);
                    }
                }
            }
            return new GenerationOptions(this);
        }
    }
}
