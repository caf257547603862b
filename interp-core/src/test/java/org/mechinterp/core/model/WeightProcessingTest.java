package org.mechinterp.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.testing.Fixtures;

/** Weight processing preserves what it promises: logits (or probabilities) and the untouched activations. */
class WeightProcessingTest {
    private static final int[] TOKENS = {1, 403, 407, 261, 378, 432, 383, 286};

    /** The test prompt, folded into the model's vocabulary. */
    private static TokenBatch batch(HookedTransformer m) {
        return TokenBatch.of(java.util.Arrays.stream(TOKENS).map(t -> t % m.config().vocabSize()).toArray());
    }

    /** A GPT-2-shaped random model whose LayerNorm biases (incl. the final one) are non-zero. */
    private static HookedTransformer randomGpt2() {
        ModelConfig c = ModelConfig.builder().optModelType("gpt2").setVocabSize(97).setDModel(32).setNLayers(2)
                .setNHeads(4).setDMlp(64).optMaxPositions(64).optNorm(NormKind.LAYER_NORM, 1e-5)
                .optActivation(ActivationFunction.GELU_TANH).optGatedMlp(false).optMlpBias(true).optQkvBias(true)
                .optAttnOutBias(true).optLearnedPositions().optTiedEmbeddings(true).build();
        return RandomWeights.model(c, 11);
    }

    private static float[] run(HookedTransformer m, String point, UnaryOperator<NDArray> f) {
        try (ActivationCache c = m.runWithCache(batch(m), List.of(point))) {
            return f.apply(point.equals(HookNames.LOGITS) ? c.logits() : c.get(point)).toFloatArray();
        }
    }

    private static float[] logits(HookedTransformer m) {
        try (NDManager call = NDManager.newBaseManager()) {
            return m.forward(call, batch(m)).toFloatArray();
        }
    }

    private static float[] logProbs(HookedTransformer m) {
        try (NDManager call = NDManager.newBaseManager()) {
            return m.forward(call, batch(m)).logSoftmax(-1).toFloatArray();
        }
    }

    private static void assertClose(float[] want, float[] got, double tol, String what) {
        double diff = Fixtures.maxAbsDiff(want, got);
        assertTrue(diff <= tol, what + ": max |Δ| = " + diff + " > " + tol);
    }

    @Test
    void foldingNormsKeepsLogitsForEveryNormKind() throws IOException {
        for (Path dir : new Path[] {null, Fixtures.fixture("tiny-random-gpt2"), Fixtures.fixture("stories260K-llama"),
                Fixtures.family("qwen2"), Fixtures.family("qwen3")}) {
            String name = dir == null ? "random gpt2" : dir.getFileName().toString();
            try (HookedTransformer raw = dir == null ? randomGpt2() : HookedTransformer.load(dir)) {
                float[] before = logits(raw);
                String normalized = "blocks.1.ln2.hook_normalized";
                float[] normBefore = run(raw, normalized, x -> x);
                try (HookedTransformer folded = WeightProcessing.foldNorms(raw)) {
                    assertClose(before, logits(folded), 5e-5, name + " logits");
                    assertClose(normBefore, run(folded, normalized, x -> x), 1e-5, name + " hook_normalized");
                    assertArrayEquals(new float[] {1f, 1f}, java.util.Arrays.copyOf(
                            folded.weights().blocks().get(0).ln1().weight().toFloatArray(), 2));
                }
                assertArrayEquals(before, logits(raw), "input model must not change");
            }
        }
    }

    @Test
    void foldedFinalLayerNormBiasMatters() {
        // guards the test above: the random GPT-2's final LayerNorm bias shifts logits, and after folding it is
        // carried by b_U, without which the folded logits would be off by bᵀW_U
        try (HookedTransformer raw = randomGpt2(); HookedTransformer folded = WeightProcessing.foldNorms(raw)) {
            NDArray bias = folded.weights().unembedBias();
            assertTrue(bias != null && bias.abs().max().getFloat() > 1e-3, "final LayerNorm bias folded into b_U");
        }
    }

    @Test
    void centringWritingWeightsKeepsLogitsAndCentresTheResidual() {
        try (HookedTransformer raw = randomGpt2();
                HookedTransformer centred = WeightProcessing.centerWritingWeights(raw)) {
            assertClose(logits(raw), logits(centred), 1e-5, "logits");
            float[] meanBefore = run(raw, HookNames.residPost(1), x -> x.mean(new int[] {-1}));
            float[] meanAfter = run(centred, HookNames.residPost(1), x -> x.mean(new int[] {-1}));
            assertTrue(Fixtures.maxAbsDiff(meanBefore, new float[meanBefore.length]) > 1e-3,
                    "raw residual must have a non-zero mean for this test to mean something");
            assertClose(new float[meanAfter.length], meanAfter, 1e-6, "residual mean after centring");
        }
    }

    @Test
    void centringWritingWeightsRefusesRmsNorm() throws IOException {
        try (HookedTransformer raw = HookedTransformer.load(Fixtures.fixture("stories260K-llama"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WeightProcessing.centerWritingWeights(raw));
            assertTrue(e.getMessage().contains("LayerNorm"));
        }
    }

    @Test
    void centringUnembedKeepsProbabilities() throws IOException {
        for (Path dir : new Path[] {Fixtures.fixture("tiny-random-gpt2"), Fixtures.fixture("stories260K-llama")}) {
            try (HookedTransformer raw = HookedTransformer.load(dir);
                    HookedTransformer centred = WeightProcessing.centerUnembed(raw)) {
                assertClose(logProbs(raw), logProbs(centred), 2e-5, dir.getFileName() + " log-probs");
                float[] vocabMean = run(centred, HookNames.LOGITS, x -> x.mean(new int[] {-1}));
                assertClose(new float[vocabMean.length], vocabMean, 1e-5, "mean logit after centring");
                assertEquals(raw.config().vocabSize(), centred.config().vocabSize());
            }
        }
    }
}
