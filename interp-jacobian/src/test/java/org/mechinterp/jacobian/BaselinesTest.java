package org.mechinterp.jacobian;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.hooks.HookScope;
import org.mechinterp.core.model.ActivationCache;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.tokenizer.Tokenizer;

/** Baselines on stories260K against direct computations with the core API. */
class BaselinesTest {
    static HookedTransformer model;
    static int[] tokens;
    static Attributor attributor;

    @BeforeAll
    static void load() throws IOException {
        model = TestModels.loadStories();
        try (Tokenizer tok = Tokenizer.load(TestModels.stories())) {
            tokens = tok.encode("Lily wanted to play with her ball");
        }
        attributor = Attributor.builder().setModel(model).optIgSteps(16).build();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void inputTimesGradientIsNormOfEmbeddingTimesGradientOfNegativeLogProb() {
        int last = tokens.length - 1;
        AttributionResult r = attributor.attribute(Method.INPUT_X_GRADIENT, AttributionRequest.of(tokens));
        int target = r.target();
        int d = model.config().dModel();
        try (ActivationCache c = model.runWithGradients(TokenBatch.of(tokens), HookNames.EMBED::equals,
                HookNames.EMBED::equals, logits -> logits.get(0, last).logSoftmax(0).get(target).neg())) {
            float[] g = c.grad(HookNames.EMBED).toFloatArray();
            float[] x = c.get(HookNames.EMBED).toFloatArray();
            double[] expected = new double[tokens.length];
            for (int t = 0; t < tokens.length; t++) {
                double s = 0;
                for (int i = 0; i < d; i++) {
                    double v = (double) g[t * d + i] * x[t * d + i];
                    s += v * v;
                }
                expected[t] = Math.sqrt(s);
            }
            TestModels.assertScoresClose(expected, r.scores(), 1e-5, "input×gradient");
        }
    }

    @Test
    void integratedGradientsSatisfyCompletenessOnGpt2() throws IOException {
        // Σ_τ,i IG = log p(x) − log p(0·x) along the straight path from the zero baseline. GPT-2 adds position
        // embeddings after x, so the path is smooth; for RMSNorm models the path has a sharp transition near α = 0.
        try (HookedTransformer gpt2 = HookedTransformer.load(TestModels.shared().resolve("fixtures/tiny-random-gpt2"))) {
            int[] ids = {464, 329, 318, 257, 922, 286, 262};
            AttributionRequest req = AttributionRequest.of(ids);
            Attributor gl = Attributor.builder().setModel(gpt2).optIgSteps(16).build();
            AttributionResult ig = gl.attribute(Method.INTEGRATED_GRADIENTS, req);
            int target = ig.target();
            double full;
            double zero;
            try (HookScope s = gpt2.hooks().scope(); NDManager m = NDManager.newBaseManager()) {
                full = lastLogProb(gpt2, m, ids, target);
                s.add(HookNames.EMBED, (x, ctx) -> x.mul(0f));
                zero = lastLogProb(gpt2, m, ids, target);
            }
            assertEquals(full - zero, (double) ig.details().get("log_prob_difference"), 1e-5);
            double sum = (double) ig.details().get("attribution_sum");
            assertEquals(full - zero, sum, 1e-3 * Math.max(1, Math.abs(full - zero)),
                    "IG completeness with 16 Gauss–Legendre nodes");
            Attributor mid = Attributor.builder().setModel(gpt2).optIgSteps(64).optIgRule(IntegrationRule.MIDPOINT)
                    .build();
            TestModels.assertScoresClose(ig.scores(), mid.attribute(Method.INTEGRATED_GRADIENTS, req).scores(),
                    2e-3, "IG midpoint(64) vs Gauss–Legendre(16)");
        }
        double[][] gl = IntegrationRule.GAUSS_LEGENDRE.nodesAndWeights(5);
        double integral = 0;
        for (int j = 0; j < 5; j++) {
            integral += gl[1][j] * Math.pow(gl[0][j], 9); // 5 nodes are exact for degree ≤ 9
        }
        assertEquals(0.1, integral, 1e-14);
    }

    private static double lastLogProb(HookedTransformer m, NDManager owner, int[] ids, int target) {
        NDArray logits = m.forward(owner, TokenBatch.of(ids));
        return logits.get(0, ids.length - 1).toType(ai.djl.ndarray.types.DataType.FLOAT64, false).logSoftmax(0)
                .getDouble(target);
    }

    @Test
    void attentionIsThePatternRowAtThePredictionPosition() {
        int position = 4;
        AttributionRequest req = AttributionRequest.builder().setTokens(tokens).optPosition(position).build();
        AttributionResult one = attributor.attention(req, 2, 3);
        AttributionResult mean = attributor.attribute(Method.ATTENTION, req);
        try (ActivationCache c = model.runWithCache(TokenBatch.of(tokens), n -> n.endsWith("hook_pattern"))) {
            float[] p = c.get(HookNames.pattern(2)).get(0, 3, position).toFloatArray();
            double sum = 0;
            for (int t = 0; t < tokens.length; t++) {
                assertEquals(t <= position ? p[t] : 0, one.score(t), 1e-6);
                sum += mean.score(t);
            }
            assertEquals(1.0, sum, 1e-5, "averaged attention rows still sum to 1");
        }
    }

    @Test
    void leaveOneOutIsKlToSingleTokenAblationsRunOneByOne() {
        AttributionRequest req = AttributionRequest.builder().setTokens(tokens).optExclude(0).build();
        AttributionResult loo = attributor.attribute(Method.LEAVE_ONE_OUT, req);
        double[] base = lastLogProbs(-1);
        assertEquals(0.0, loo.score(0));
        for (int t = 1; t < tokens.length; t++) {
            double[] ablated = lastLogProbs(t);
            double kl = 0;
            for (int i = 0; i < base.length; i++) {
                kl += Math.exp(base[i]) * (base[i] - ablated[i]);
            }
            assertEquals(kl, loo.score(t), 1e-5 * Math.max(1, kl), "KL at " + t);
            assertTrue(kl > 0);
        }
    }

    @Test
    void randomBaselineIsSeededAndRespectsExclusions() {
        AttributionRequest req = AttributionRequest.builder().setTokens(tokens).optExclude(0).build();
        double[] a = attributor.attribute(Method.RANDOM, req).scores();
        double[] b = attributor.attribute(Method.RANDOM, req).scores();
        double[] c = Attributor.builder().setModel(model).optSeed(99).build().attribute(Method.RANDOM, req)
                .scores();
        assertEquals(List.of(), diff(a, b));
        assertNotEquals(List.of(), diff(a, c));
        assertEquals(0.0, a[0]);
    }

    private static List<Integer> diff(double[] a, double[] b) {
        return java.util.stream.IntStream.range(0, a.length).filter(i -> a[i] != b[i]).boxed().toList();
    }

    private static double[] lastLogProbs(int zeroed) {
        try (HookScope s = model.hooks().scope(); NDManager m = NDManager.newBaseManager()) {
            if (zeroed >= 0) {
                s.add(HookNames.EMBED, (x, ctx) -> {
                    float[] keep = new float[tokens.length];
                    java.util.Arrays.fill(keep, 1f);
                    keep[zeroed] = 0f;
                    return x.mul(ctx.manager().create(keep, new ai.djl.ndarray.types.Shape(1, tokens.length, 1)));
                });
            }
            NDArray logits = model.forward(m, TokenBatch.of(tokens));
            return logits.get(0, tokens.length - 1).toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
                    .logSoftmax(0).toDoubleArray();
        }
    }
}
