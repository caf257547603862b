package org.mechinterp.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.hooks.HookScope;
import org.mechinterp.core.testing.Fixtures;

/** Hook points as identities, caching, patching, ablation, steering, scopes and gradients on the real stories260K. */
class HookSemanticsTest {
    private static final int[] CLEAN = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376};
    private static final int[] CORRUPT = {1, 403, 407, 261, 378, 432, 383, 286, 261, 298};
    private static HookedTransformer model;
    private static NDManager manager;

    @BeforeAll
    static void load() throws IOException {
        model = HookedTransformer.load(Fixtures.fixture("stories260K-llama"));
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
        model.close();
    }

    private float[] logits(int[] tokens) {
        try (NDManager m = manager.newSubManager()) {
            return model.forward(m, TokenBatch.of(tokens)).toFloatArray();
        }
    }

    @Test
    void identityHooksOnEveryPointAreBitIdenticalToNone() {
        float[] plain = logits(CLEAN);
        int[] calls = {0};
        try (HookScope scope = model.hooks().scope()) {
            for (String name : model.hookNames()) {
                scope.add(name, (x, ctx) -> {
                    calls[0]++;
                    return x;
                });
            }
            assertArrayEquals(plain, logits(CLEAN));
        }
        assertEquals(model.hookNames().size(), calls[0], "every hook point fired once");
        assertTrue(model.hooks().isEmpty());
    }

    @Test
    void cacheHoldsExactlyTheRequestedNamesWithTransformerLensShapes() {
        ModelConfig c = model.config();
        int t = CLEAN.length;
        try (ActivationCache all = model.runWithCache(TokenBatch.of(CLEAN), n -> true)) {
            assertEquals(List.copyOf(model.hookNames()), List.copyOf(all.names()), "forward order");
            assertEquals("hook_embed", model.hookNames().iterator().next());
            Map<String, Shape> expected = Map.of(
                    "hook_embed", new Shape(1, t, c.dModel()),
                    "blocks.2.hook_resid_pre", new Shape(1, t, c.dModel()),
                    "blocks.2.ln1.hook_scale", new Shape(1, t, 1),
                    "blocks.2.attn.hook_q", new Shape(1, t, c.nHeads(), c.headDim()),
                    "blocks.2.attn.hook_rot_k", new Shape(1, t, c.nKvHeads(), c.headDim()),
                    "blocks.2.attn.hook_pattern", new Shape(1, c.nHeads(), t, t),
                    "blocks.2.attn.hook_z", new Shape(1, t, c.nHeads(), c.headDim()),
                    "blocks.2.mlp.hook_post", new Shape(1, t, c.dMlp()),
                    "unembed.hook_in", new Shape(1, t, c.dModel()),
                    "logits", new Shape(1, t, c.vocabSize()));
            expected.forEach((name, shape) -> assertEquals(shape, all.get(name).getShape(), name));
            // resid_post of block L is resid_pre of block L+1; attention rows sum to one and are causal
            assertArrayEquals(all.get("blocks.1.hook_resid_post").toFloatArray(),
                    all.get("blocks.2.hook_resid_pre").toFloatArray());
            float[] pattern = all.get("blocks.0.attn.hook_pattern").toFloatArray();
            for (int row = 0; row < c.nHeads() * t; row++) {
                double sum = 0;
                for (int j = 0; j < t; j++) {
                    float p = pattern[row * t + j];
                    sum += p;
                    if (j > row % t) {
                        assertEquals(0f, p, "future position attended");
                    }
                }
                assertEquals(1.0, sum, 1e-5);
            }
        }
        try (ActivationCache some = model.runWithCache(TokenBatch.of(CLEAN),
                List.of("blocks.0.hook_resid_post", "blocks.4.attn.hook_pattern"))) {
            assertEquals(Set.of("blocks.0.hook_resid_post", "blocks.4.attn.hook_pattern"), some.names());
            assertThrows(IllegalArgumentException.class, () -> some.get("blocks.1.hook_resid_post"));
        }
    }

    @Test
    void patchingCleanResidPreOfLayerZeroReproducesCleanLogits() {
        float[] clean = logits(CLEAN);
        float[] corrupt = logits(CORRUPT);
        assertTrue(Fixtures.maxAbsDiff(clean, corrupt) > 0.1, "prompts must differ in output");
        String point = HookNames.residPre(0);
        try (ActivationCache cleanCache = model.runWithCache(TokenBatch.of(CLEAN), List.of(point));
                HookScope scope = model.hooks().scope()) {
            NDArray cleanResid = cleanCache.get(point);
            int before = cleanCache.manager().getManagedArrays().size();
            scope.add(point, (x, ctx) -> cleanResid);
            assertArrayEquals(clean, logits(CORRUPT));
            assertEquals(before, cleanCache.manager().getManagedArrays().size(),
                    "a patched-in array must be copied, not adopted by the forward pass");
        }
    }

    @Test
    void zeroAblatingEveryBlockLeavesTheDirectPath() {
        // With all attention and MLP outputs zeroed, logits = RMSNorm(embed)·w_final·W_U, computed here by hand.
        ModelConfig c = model.config();
        float[] ablated;
        try (HookScope scope = model.hooks().scope()) {
            for (int l = 0; l < c.nLayers(); l++) {
                scope.add(HookNames.attnOut(l), (x, ctx) -> x.zerosLike());
                scope.add(HookNames.mlpOut(l), (x, ctx) -> x.zerosLike());
            }
            ablated = logits(CLEAN);
        }
        float[] embed = model.weights().embed().toFloatArray();
        float[] finalNorm = model.weights().lnFinal().weight().toFloatArray();
        float[] unembed = model.weights().unembed().toFloatArray(); // [D, V]
        int d = c.dModel();
        int v = c.vocabSize();
        for (int t = 0; t < CLEAN.length; t++) {
            double ms = 0;
            for (int i = 0; i < d; i++) {
                ms += Math.pow(embed[CLEAN[t] * d + i], 2);
            }
            double inv = 1 / Math.sqrt(ms / d + c.normEps());
            for (int k = 0; k < v; k += 37) {
                double logit = 0;
                for (int i = 0; i < d; i++) {
                    logit += embed[CLEAN[t] * d + i] * inv * finalNorm[i] * unembed[i * v + k];
                }
                assertEquals(logit, ablated[t * v + k], 1e-4, "position " + t + " token " + k);
            }
        }
    }

    @Test
    void steeringAddsToTheResidualAndTheCacheSeesThePatchedValue() {
        String point = HookNames.residPost(2);
        float[] direction = new float[model.config().dModel()];
        direction[3] = 5f;
        try (ActivationCache before = model.runWithCache(TokenBatch.of(CLEAN), List.of(point));
                HookScope scope = model.hooks().scope()) {
            NDArray steer = model.manager().create(direction);
            try {
                scope.add(point, (x, ctx) -> x.add(steer));
                try (ActivationCache after = model.runWithCache(TokenBatch.of(CLEAN), List.of(point))) {
                    float[] b = before.get(point).toFloatArray();
                    float[] a = after.get(point).toFloatArray();
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(b[i] + direction[i % direction.length], a[i], 1e-5);
                    }
                    assertTrue(Fixtures.maxAbsDiff(before.logits().toFloatArray(), after.logits().toFloatArray())
                            > 1e-3);
                }
            } finally {
                steer.close();
            }
        }
    }

    @Test
    void scopeRemovesHooksWhenTheForwardPassThrows() {
        float[] plain = logits(CLEAN);
        RuntimeException boom = new RuntimeException("boom");
        RuntimeException thrown = assertThrows(RuntimeException.class, () -> {
            try (HookScope scope = model.hooks().scope()) {
                scope.add(HookNames.residMid(1), (x, ctx) -> x.mul(0f));
                scope.add(HookNames.pattern(3), (x, ctx) -> {
                    throw boom;
                });
                logits(CLEAN);
            }
        });
        assertEquals(boom, thrown);
        assertTrue(model.hooks().isEmpty(), "hooks left registered");
        assertArrayEquals(plain, logits(CLEAN));
    }

    @Test
    void handlesRemoveSingleHooksAndBadHooksAreNamed() {
        try (var handle = model.hooks().add(HookNames.residPre(1), (x, ctx) -> x.mul(2f))) {
            assertEquals(1, model.hooks().size());
            assertTrue(handle.isActive());
        }
        assertTrue(model.hooks().isEmpty());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> model.hooks().add("blocks.0.hook_resid_prev", (x, ctx) -> x));
        assertTrue(unknown.getMessage().contains("unknown hook point 'blocks.0.hook_resid_prev'"));
        assertTrue(unknown.getMessage().contains("blocks.0.hook_resid_pre"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> model.runWithCache(TokenBatch.of(CLEAN), List.of("blocks.9.hook_resid_pre")));
        try (HookScope scope = model.hooks().scope()) {
            scope.add(HookNames.residPre(1), (x, ctx) -> ctx.manager().zeros(new Shape(1, 2, 3)));
            IllegalStateException wrongShape = assertThrows(IllegalStateException.class, () -> logits(CLEAN));
            assertTrue(wrongShape.getMessage().contains("blocks.1.hook_resid_pre"), wrongShape.getMessage());
        }
    }

    @Test
    void badTokensAreRejectedWithSpecificMessages() {
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> TokenBatch.of(new int[0]));
        assertTrue(empty.getMessage().contains("empty prompt"));
        IllegalArgumentException oov = assertThrows(IllegalArgumentException.class,
                () -> logits(new int[] {1, 5, 512}));
        assertEquals("token id 512 at position 2 is outside the vocabulary [0, 512)", oov.getMessage());
        assertThrows(IllegalArgumentException.class, () -> logits(new int[] {1, -3}));
    }

    @Test
    void leftPaddedBatchMatchesSequencesRunAlone() throws IOException {
        for (HookedTransformer m : new HookedTransformer[] {model,
                HookedTransformer.load(Fixtures.fixture("tiny-random-gpt2"))}) {
            int[][] sequences = {{1, 403, 407, 261, 378, 432, 383}, {1, 298, 315}, {1, 421, 395, 317, 426}};
            try (NDManager call = manager.newSubManager()) {
                NDArray batched = m.forward(call, TokenBatch.of(sequences));
                int t = 7;
                int v = m.config().vocabSize();
                float[] all = batched.toFloatArray();
                for (int b = 0; b < sequences.length; b++) {
                    float[] alone = m.forward(call, TokenBatch.of(sequences[b])).toFloatArray();
                    int pad = t - sequences[b].length;
                    float[] rows = java.util.Arrays.copyOfRange(all, (b * t + pad) * v, (b + 1) * t * v);
                    assertTrue(Fixtures.maxAbsDiff(alone, rows) < 1e-4, m.config().modelType() + " sequence " + b
                            + " differs by " + Fixtures.maxAbsDiff(alone, rows));
                }
            } finally {
                if (m != model) {
                    m.close();
                }
            }
        }
    }

    @Test
    void gradientsAtHookPointsMatchFiniteDifferences() {
        int target = 298;
        int last = CLEAN.length - 1;
        int v = model.config().vocabSize();
        String[] points = {HookNames.EMBED, HookNames.residPre(2), HookNames.block(3, "attn.hook_pattern")};
        try (ActivationCache cache = model.runWithGradients(TokenBatch.of(CLEAN), n -> false,
                Set.of(points)::contains,
                logits -> logits.get(0, last, target))) {
            float baseLoss = cache.get("loss").getFloat();
            assertEquals(logits(CLEAN)[last * v + target], baseLoss, 1e-6);
            Random random = new Random(7);
            for (String point : points) {
                NDArray grad = cache.grad(point);
                float[] g = grad.toFloatArray();
                float[] u = new float[g.length];
                double predicted = 0;
                for (int i = 0; i < u.length; i++) {
                    u[i] = (float) random.nextGaussian();
                    predicted += g[i] * u[i];
                }
                // Richardson extrapolation of central differences at h and h/2: error O(h^4)
                double h = 1e-2;
                double coarse = centralDifference(point, u, h, last, target);
                double fine = centralDifference(point, u, h / 2, last, target);
                double numeric = (4 * fine - coarse) / 3;
                assertEquals(numeric, predicted, 2e-3 * Math.max(1, Math.abs(numeric)),
                        point + ": directional derivative (central differences " + coarse + ", " + fine + ")");
                assertFalse(point.contains("pattern") && Math.abs(predicted) < 1e-6, "pattern gradient vanished");
            }
            // a second run gives identical gradients: nothing accumulates between runs
            try (ActivationCache again = model.runWithGradients(TokenBatch.of(CLEAN), n -> false,
                    Set.of(points)::contains, logits -> logits.get(0, last, target))) {
                for (String point : points) {
                    assertArrayEquals(cache.grad(point).toFloatArray(), again.grad(point).toFloatArray(), point);
                }
            }
        }
    }

    private double centralDifference(String point, float[] direction, double h, int position, int target) {
        return (perturbed(point, direction, h, position, target) - perturbed(point, direction, -h, position, target))
                / (2 * h);
    }

    private double perturbed(String point, float[] direction, double eps, int position, int target) {
        try (HookScope scope = model.hooks().scope()) {
            scope.add(point, (x, ctx) -> x.add(ctx.manager().create(direction, x.getShape()).mul((float) eps)));
            return logits(CLEAN)[position * model.config().vocabSize() + target];
        }
    }
}
