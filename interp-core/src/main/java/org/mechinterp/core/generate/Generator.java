package org.mechinterp.core.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.KvCache;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.TokenBatch;

/**
 * Autoregressive generation with a {@link HookedTransformer}: greedy or sampled (see {@link Sampler}), for one prompt
 * or a batch (left-padded; each sequence stops on its own), with the hooks registered on the model applied at every
 * step. Gradients are not tracked.
 *
 * <p>With the key/value cache (the default) the prompt runs once and each step runs only the newest token, so hooks
 * see only the new positions, as TransformerLens' {@code generate} does: at the first step the whole prompt
 * ([B,T,...]), then one position per step ([B,1,...]; attention patterns [B,H,1,K] over all K keys). A hook that is
 * a function of the position's own activation (steering, ablation, patching k or v, which the cache keeps) therefore
 * acts as in a full recomputation. {@link GenerationOptions.Builder#optUseCache optUseCache(false)} recomputes the
 * whole sequence every step instead ({@code Generation.greedy}'s way): slower, hooks see every position each step.
 *
 * <p>Memory: each step runs in a sub-manager closed at its end; the cache is closed when the call returns.
 */
public final class Generator {
    private final HookedTransformer model;

    /**
     * Creates a generator.
     *
     * @param model the model
     */
    public Generator(HookedTransformer model) {
        this.model = model;
    }

    /**
     * Generates a continuation of one prompt.
     *
     * @param prompt the prompt token ids
     * @param options the options
     * @return the generation result
     */
    public GenerationResult generate(int[] prompt, GenerationOptions options) {
        return generate(new int[][] {prompt}, options);
    }

    /**
     * Generates a continuation of each prompt.
     *
     * @param prompts the prompts
     * @param options the options
     * @return the generation result
     * @throws IllegalArgumentException for an empty prompt, token or stop ids outside the vocabulary, or (learned
     *     positions) a prompt plus new tokens longer than the position embedding
     */
    public GenerationResult generate(int[][] prompts, GenerationOptions options) {
        TokenBatch batch = TokenBatch.of(prompts);
        ModelConfig config = model.config();
        batch.requireInVocabulary(config.vocabSize());
        int[] stops = options.stopTokens() == null ? config.eosTokenIds() : options.stopTokens();
        for (int id : stops) {
            if (id >= config.vocabSize()) {
                throw new IllegalArgumentException("stop token " + id + " is outside the vocabulary [0, "
                        + config.vocabSize() + ")");
            }
        }
        requirePositions(config, batch.length(), options.maxNewTokens());
        try (Steps steps = options.useCache() ? new CachedSteps(batch) : new RecomputedSteps(batch)) {
            return decode(batch, options, stops, steps);
        }
    }

    private GenerationResult decode(TokenBatch batch, GenerationOptions options, int[] stops, Steps steps) {
        int rows = batch.batchSize();
        Sampler sampler = new Sampler(options);
        SplittableRandom root = new SplittableRandom(options.seed());
        SplittableRandom[] rngs = new SplittableRandom[rows];
        Arrays.setAll(rngs, b -> root.split());
        int[][] generated = new int[rows][options.maxNewTokens()];
        int[] counts = new int[rows];
        FinishReason[] reasons = new FinishReason[rows];
        Arrays.fill(reasons, FinishReason.MAX_NEW_TOKENS);
        int[] appended = null;
        for (int step = 0; step < options.maxNewTokens(); step++) {
            float[][] logits = steps.lastLogits(appended);                                     // [B][V]
            appended = new int[rows];
            boolean running = false;
            for (int b = 0; b < rows; b++) {
                if (reasons[b] == FinishReason.STOP_TOKEN) {
                    appended[b] = TokenBatch.PAD_ID;            // finished rows keep running on padding, unread
                    continue;
                }
                int id = sampler.next(logits[b], rngs[b]);
                generated[b][counts[b]++] = id;
                appended[b] = id;
                if (contains(stops, id)) {
                    reasons[b] = FinishReason.STOP_TOKEN;
                } else {
                    running = true;
                }
            }
            if (!running) {
                break;
            }
        }
        int[][] prompts = new int[rows][];
        int[][] news = new int[rows][];
        for (int b = 0; b < rows; b++) {
            prompts[b] = batch.sequence(b);
            news[b] = Arrays.copyOf(generated[b], counts[b]);
        }
        return new GenerationResult(prompts, news, reasons);
    }

    /** Learned positions: the last forward pass sees prompt + new − 1 tokens. */
    private static void requirePositions(ModelConfig config, int promptLength, int newTokens) {
        long needed = (long) promptLength + newTokens - 1;
        if (config.positions() == ModelConfig.Positions.LEARNED && needed > config.maxPositions()) {
            throw new IllegalArgumentException("a prompt of " + promptLength + " tokens plus " + newTokens
                    + " new tokens needs " + needed + " positions, but the model has only " + config.maxPositions()
                    + " learned positions");
        }
    }

    private static boolean contains(int[] ids, int id) {
        for (int s : ids) {
            if (s == id) {
                return true;
            }
        }
        return false;
    }

    /** Logits at the last position of every row [B][V], as a Java copy, from one step's native memory. */
    private static float[][] lastRows(NDArray logits) {
        int rows = (int) logits.getShape().get(0);
        float[] flat = logits.get(new NDIndex(":, -1, :")).toFloatArray();
        int v = flat.length / rows;
        float[][] out = new float[rows][];
        for (int b = 0; b < rows; b++) {
            out[b] = Arrays.copyOfRange(flat, b * v, (b + 1) * v);
        }
        return out;
    }

    /** One forward pass per generated token. */
    private interface Steps extends AutoCloseable {
        /** Logits [B][V] after appending {@code appended} (one token per row; null at the first step). */
        float[][] lastLogits(int[] appended);

        @Override
        void close();
    }

    /** Prompt once, then one token per step against the key/value cache. */
    private final class CachedSteps implements Steps {
        private final TokenBatch prompt;
        private final KvCache cache = model.newKvCache();

        CachedSteps(TokenBatch prompt) {
            this.prompt = prompt;
        }

        @Override
        public float[][] lastLogits(int[] appended) {
            TokenBatch input = appended == null ? prompt : TokenBatch.of(column(appended));
            try (NDManager step = model.manager().newSubManager()) {
                return lastRows(model.forward(step, input, cache));
            }
        }

        @Override
        public void close() {
            cache.close();
        }

        private int[][] column(int[] ids) {
            int[][] c = new int[ids.length][];
            for (int b = 0; b < ids.length; b++) {
                c[b] = new int[] {ids[b]};
            }
            return c;
        }
    }

    /** The whole (left-padded) sequences every step; no state but the tokens. */
    private final class RecomputedSteps implements Steps {
        private final int[][] sequences;

        RecomputedSteps(TokenBatch prompt) {
            sequences = new int[prompt.batchSize()][];
            Arrays.setAll(sequences, prompt::sequence);
        }

        @Override
        public float[][] lastLogits(int[] appended) {
            if (appended != null) {
                for (int b = 0; b < sequences.length; b++) {
                    sequences[b] = Arrays.copyOf(sequences[b], sequences[b].length + 1);
                    sequences[b][sequences[b].length - 1] = appended[b];
                }
            }
            try (NDManager step = model.manager().newSubManager()) {
                return lastRows(model.forward(step, TokenBatch.of(sequences)));
            }
        }

        @Override
        public void close() {}
    }
}
