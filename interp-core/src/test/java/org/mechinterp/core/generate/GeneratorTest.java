package org.mechinterp.core.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.hooks.HookScope;
import org.mechinterp.core.model.Generation;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.KvCache;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.testing.Fixtures;

/**
 * Generation with the key/value cache against full recomputation ({@link Generation#greedy}, the reference) on every
 * fixture model, alone and in left-padded batches; logits per cached step; hooks; stop tokens; errors.
 */
class GeneratorTest {
    private static final int NEW = 14;

    static Path model(String name) {
        return name.startsWith("families/") ? Fixtures.family(name.substring("families/".length()))
                : Fixtures.fixture(name);
    }

    /** Deterministic prompt ids in [1, vocab). */
    static int[] prompt(int length, int vocab, int salt) {
        int[] ids = new int[length];
        for (int i = 0; i < length; i++) {
            ids[i] = 1 + (i * 37 + salt * 11 + 5) % (vocab - 1);
        }
        return ids;
    }

    static GenerationOptions.Builder greedy(int n) {
        return GenerationOptions.builder().setMaxNewTokens(n).optStopTokens();
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K-llama", "tiny-random-gpt2", "tiny-random-llama-fp16", "families/qwen2",
            "families/qwen3", "families/mistral", "families/llama3", "families/qwen3-bf16-v5", "families/mistral-sw",
            "families/qwen2-sw"})
    void cachedGreedyEqualsFullRecomputationAloneAndInABatch(String name) throws IOException {
        try (HookedTransformer model = HookedTransformer.load(model(name))) {
            int vocab = model.config().vocabSize();
            int[][] prompts = {prompt(3, vocab, 1), prompt(9, vocab, 2), prompt(6, vocab, 3)};
            Generator generator = new Generator(model);
            GenerationResult batch = generator.generate(prompts, greedy(NEW).build());
            for (int b = 0; b < prompts.length; b++) {
                int[] reference = Generation.greedy(model, prompts[b], NEW);
                assertArrayEquals(reference, generator.generate(prompts[b], greedy(NEW).build()).tokens(0),
                        name + " alone, prompt " + b);
                assertArrayEquals(reference, batch.tokens(b), name + " in a batch, prompt " + b);
                assertEquals(FinishReason.MAX_NEW_TOKENS, batch.finishReason(b));
            }
            GenerationResult recomputed = generator.generate(prompts, greedy(NEW).optUseCache(false).build());
            for (int b = 0; b < prompts.length; b++) {
                assertArrayEquals(batch.tokens(b), recomputed.tokens(b), name + " recomputed batch " + b);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K-llama", "tiny-random-gpt2", "families/mistral-sw", "families/qwen2-sw"})
    void logitsOfEveryCachedStepMatchFullRecomputation(String name) throws IOException {
        try (HookedTransformer model = HookedTransformer.load(model(name));
                KvCache cache = model.newKvCache();
                NDManager m = NDManager.newBaseManager()) {
            int vocab = model.config().vocabSize();
            int[][] seqs = {prompt(8, vocab, 4), prompt(4, vocab, 5)};
            NDArray prefill = model.forward(m, TokenBatch.of(seqs), cache);                       // [2,8,V]
            NDArray full = model.forward(m, TokenBatch.of(seqs));
            assertTrue(Fixtures.maxAbsDiff(full.toFloatArray(), prefill.toFloatArray()) < 1e-4, "prefill");
            for (int step = 0; step < 12; step++) {
                int[] next = {3 + (step * 7) % (vocab - 3), 2 + (step * 13) % (vocab - 2)};
                NDArray cached = model.forward(m, TokenBatch.of(new int[][] {{next[0]}, {next[1]}}), cache);
                for (int b = 0; b < 2; b++) {
                    seqs[b] = Arrays.copyOf(seqs[b], seqs[b].length + 1);
                    seqs[b][seqs[b].length - 1] = next[b];
                }
                assertEquals(8 + step + 1, cache.length());
                float[] want = model.forward(m, TokenBatch.of(seqs)).get(new NDIndex(":, -1:, :")).toFloatArray();
                double diff = Fixtures.maxAbsDiff(want, cached.toFloatArray());
                assertTrue(diff < 1e-4, name + " step " + step + ": max |diff| " + diff);
            }
        }
    }

    @Test
    void seededSamplingIsReproducibleAndTopKOneIsGreedy() throws IOException {
        try (HookedTransformer model = HookedTransformer.load(Fixtures.fixture("stories260K-llama"))) {
            Generator g = new Generator(model);
            int[][] prompts = {{1, 403, 407}, {1, 365, 300, 256}};
            GenerationOptions sampled = greedy(20).optTemperature(1.0).optSeed(42).build();
            GenerationResult a = g.generate(prompts, sampled);
            GenerationResult b = g.generate(prompts, sampled);
            GenerationResult recomputed = g.generate(prompts, greedy(20).optTemperature(1.0).optSeed(42)
                    .optUseCache(false).build());
            boolean seedMatters = false;
            for (long seed = 43; seed < 46; seed++) {
                GenerationResult other = g.generate(prompts, greedy(20).optTemperature(1.0).optSeed(seed).build());
                seedMatters |= !Arrays.equals(other.tokens(0), a.tokens(0));
            }
            assertTrue(seedMatters, "other seeds give other samples");
            int[] firstAlone = g.generate(prompts[0], sampled).tokens(0);
            for (int r = 0; r < 2; r++) {
                assertArrayEquals(a.tokens(r), b.tokens(r), "same seed, same samples");
                assertArrayEquals(a.tokens(r), recomputed.tokens(r), "cache does not change samples");
            }
            assertArrayEquals(firstAlone, a.tokens(0), "row 0's random numbers do not depend on the batch");
            GenerationResult topOne = g.generate(prompts, greedy(20).optTemperature(1.7).optTopK(1).build());
            GenerationResult plain = g.generate(prompts, greedy(20).build());
            for (int r = 0; r < 2; r++) {
                assertArrayEquals(plain.tokens(r), topOne.tokens(r), "top-k 1 is greedy");
                assertFalse(Arrays.equals(plain.tokens(r), a.tokens(r)), "temperature 1 samples are not greedy");
            }
        }
    }

    @Test
    void stopTokensEndEachSequenceOnItsOwn() throws IOException {
        try (HookedTransformer model = HookedTransformer.load(Fixtures.fixture("stories260K-llama"))) {
            Generator g = new Generator(model);
            int[] p0 = {1, 403, 407};
            int[] p1 = {1, 365};
            int[] free0 = g.generate(p0, greedy(12).build()).newTokens(0);
            int[] free1 = g.generate(p1, greedy(12).build()).newTokens(0);
            int stop = free0[3];
            int at1 = indexOf(free1, stop);
            GenerationResult r = g.generate(new int[][] {p0, p1}, greedy(12).optStopTokens(stop).build());
            assertArrayEquals(Arrays.copyOf(free0, indexOf(free0, stop) + 1), r.newTokens(0), "row 0 stops");
            assertEquals(FinishReason.STOP_TOKEN, r.finishReason(0));
            int[] want1 = at1 < 0 ? free1 : Arrays.copyOf(free1, at1 + 1);
            assertArrayEquals(want1, r.newTokens(1), "row 1 runs to its own end, unaffected by row 0");
            // the model's eos (id 2 for stories260K) is the default stop token
            assertArrayEquals(model.config().eosTokenIds(), new int[] {2});
            GenerationResult story = g.generate(p0, GenerationOptions.greedy(120));
            int[] tokens = story.newTokens(0);
            int eos = indexOf(tokens, 2);
            assertTrue(eos < 0 ? tokens.length == 120 : eos == tokens.length - 1, "ends at the first eos");
        }
    }

    @Test
    void steeringHookChangesCachedAndRecomputedGenerationIdentically() throws IOException {
        try (HookedTransformer model = HookedTransformer.load(Fixtures.fixture("stories260K-llama"));
                NDManager m = NDManager.newBaseManager()) {
            Generator g = new Generator(model);
            int[][] prompts = {{1, 403, 407}, {1, 365, 301}};
            GenerationResult plain = g.generate(prompts, greedy(16).build());
            NDArray direction = model.weights().embed().get(500).mul(6f);                          // [D]
            direction.attach(m);
            try (HookScope scope = model.hooks().scope()) {
                scope.add(HookNames.residPost(2), (x, ctx) -> x.add(direction));
                GenerationResult cached = g.generate(prompts, greedy(16).build());
                GenerationResult recomputed = g.generate(prompts, greedy(16).optUseCache(false).build());
                for (int b = 0; b < 2; b++) {
                    assertArrayEquals(recomputed.tokens(b), cached.tokens(b), "steered row " + b);
                    assertFalse(Arrays.equals(plain.tokens(b), cached.tokens(b)), "steering changes row " + b);
                }
            }
        }
    }

    @Test
    void badRequestsAreRefusedClearly() throws IOException {
        try (HookedTransformer gpt2 = HookedTransformer.load(Fixtures.fixture("tiny-random-gpt2"))) {
            Generator g = new Generator(gpt2);
            int max = gpt2.config().maxPositions();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> g.generate(new int[] {1, 2, 3}, greedy(max).build()));
            assertTrue(e.getMessage().contains("learned positions"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> g.generate(new int[] {gpt2.config().vocabSize()},
                    greedy(2).build()));
            e = assertThrows(IllegalArgumentException.class, () -> g.generate(new int[] {1},
                    greedy(2).optStopTokens(gpt2.config().vocabSize()).build()));
            assertTrue(e.getMessage().contains("stop token"), e.getMessage());
            try (KvCache cache = gpt2.newKvCache(); NDManager m = NDManager.newBaseManager()) {
                gpt2.forward(m, TokenBatch.of(new int[][] {{1, 2}, {3}}), cache);
                e = assertThrows(IllegalArgumentException.class, () -> gpt2.forward(m, TokenBatch.of(4), cache));
                assertTrue(e.getMessage().contains("2 sequences"), e.getMessage());
                assertEquals(2, cache.length(), "a refused call leaves the cache unchanged");
                assertEquals(1, cache.padding(1));
            }
        }
        for (GenerationOptions.Builder bad : new GenerationOptions.Builder[] {GenerationOptions.builder(),
                greedy(0), greedy(1).optTemperature(-1), greedy(1).optTemperature(Double.NaN), greedy(1).optTopK(-1),
                greedy(1).optTopP(0), greedy(1).optTopP(1.5), greedy(1).optStopTokens(-2)}) {
            assertThrows(IllegalArgumentException.class, bad::build);
        }
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        return -1;
    }
}
