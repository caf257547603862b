package org.mechinterp.core.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.model.ActivationCache;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.model.WeightProcessing;
import org.mechinterp.core.testing.Fixtures;

/**
 * Hook semantics of the new families (post-norm points, no resid_mid with a parallel residual, the residual
 * bookkeeping), patching, gradients (checked against a finite difference) and weight processing with (1 + w) norms.
 */
class NewFamilyBehaviourTest {
    private static final int[] IDS = {5, 17, 3, 42, 8, 11, 29, 2, 30};

    @Test
    void parallelResidualHasNoResidMidAndSaysWhy() throws IOException {
        try (HookedTransformer model = HookedTransformer.load(Fixtures.family("pythia"))) {
            assertFalse(model.hookNames().contains(HookNames.residMid(0)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.runWithCache(TokenBatch.of(IDS), List.of(HookNames.residMid(1))));
            assertTrue(e.getMessage().contains("parallel residual"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> model.hooks().add(HookNames.residMid(0), (x, c) -> x));
            assertTrue(e.getMessage().contains("hook_resid_pre and hook_attn_out"), e.getMessage());
            assertTrue(assertThrows(IllegalArgumentException.class, () -> model.hooks().add(
                    HookNames.block(0, "ln1_post.hook_scale"), (x, c) -> x)).getMessage().contains("no norms"));
        }
    }

    /** resid_post = resid_pre + attn_out + mlp_out in both block kinds (sequential also through resid_mid). */
    @ParameterizedTest
    @ValueSource(strings = {"pythia", "neox-seq-bf16", "gemma2"})
    void residualStreamIsTheSumOfItsWrites(String name) throws IOException {
        try (HookedTransformer model = HookedTransformer.load(Fixtures.family(name))) {
            int l = 1;
            List<String> names = List.of(HookNames.residPre(l), HookNames.attnOut(l), HookNames.mlpOut(l),
                    HookNames.residPost(l));
            try (ActivationCache c = model.runWithCache(TokenBatch.of(IDS), names)) {
                NDArray sum = c.get(names.get(0)).add(c.get(names.get(1))).add(c.get(names.get(2)));
                assertTrue(Fixtures.maxAbsDiff(sum.toFloatArray(), c.get(names.get(3)).toFloatArray()) < 1e-5);
            }
        }
    }

    /** Gemma's hook_attn_out is the post-norm output: ln1_post.hook_normalized · (1 + w). */
    @Test
    void gemmaAttnOutIsThePostNormOutput() throws IOException {
        try (HookedTransformer model = HookedTransformer.load(Fixtures.family("gemma2"))) {
            String normalized = HookNames.block(0, "ln1_post.hook_normalized");
            assertTrue(model.hookNames().contains(HookNames.block(0, "ln2_post.hook_scale")));
            try (ActivationCache c = model.runWithCache(TokenBatch.of(IDS), List.of(normalized,
                    HookNames.attnOut(0)))) {
                NDArray w = model.weights().blocks().get(0).ln1Post().weight();
                NDArray expected = c.get(normalized).mul(w.add(1f));
                assertTrue(Fixtures.maxAbsDiff(expected.toFloatArray(), c.get(HookNames.attnOut(0)).toFloatArray())
                        < 1e-5);
                assertEquals(32, model.config().dModel());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma2", "gemma3", "pythia"})
    void patchingChangesLogitsAndIdentityHooksDoNot(String name) throws IOException {
        try (HookedTransformer model = HookedTransformer.load(Fixtures.family(name));
                NDManager m = NDManager.newBaseManager()) {
            float[] clean = model.forward(m, TokenBatch.of(IDS)).toFloatArray();
            try (var scope = model.hooks().scope()) {
                for (String point : model.hookNames()) {
                    scope.add(point, (x, ctx) -> x);
                }
                assertArrayEquals(clean, model.forward(m, TokenBatch.of(IDS)).toFloatArray());
            }
            try (var scope = model.hooks().scope()) {
                scope.add(HookNames.mlpOut(0), (x, ctx) -> x.zerosLike());
                assertNotEquals(0.0, Fixtures.maxAbsDiff(clean, model.forward(m, TokenBatch.of(IDS)).toFloatArray()));
            }
        }
    }

    /** The gradient at resid_pre of layer 1 predicts the change of the target logit along itself. */
    @ParameterizedTest
    @ValueSource(strings = {"gemma2", "gemma3-mm-bf16", "pythia"})
    void gradientsMatchAFiniteDifference(String name) throws IOException {
        String point = HookNames.residPre(1);
        int target = 7;
        try (HookedTransformer model = HookedTransformer.load(Fixtures.family(name));
                ActivationCache g = model.runWithGradients(TokenBatch.of(IDS), n -> false, point::equals,
                        logits -> logits.get(0, -1, target));
                NDManager m = NDManager.newBaseManager()) {
            NDArray grad = g.grad(point);
            double norm = grad.norm().getFloat();
            assertTrue(norm > 0 && Double.isFinite(norm), name + " gradient norm " + norm);
            NDArray direction = grad.div(norm);
            float eps = 1e-2f;
            double up = targetLogit(model, m, point, direction.mul(eps), target);
            double down = targetLogit(model, m, point, direction.mul(-eps), target);
            double slope = (up - down) / (2 * eps);
            assertEquals(norm, slope, 0.02 * norm + 1e-3, name + ": |grad| vs central difference");
        }
    }

    private static double targetLogit(HookedTransformer model, NDManager m, String point, NDArray delta, int target) {
        try (var scope = model.hooks().scope()) {
            scope.add(point, (x, ctx) -> x.add(delta));
            return model.forward(m, TokenBatch.of(IDS)).get(0, -1, target).getFloat();
        }
    }

    /** foldNorms materialises Gemma's 1 + w (offset 0 afterwards) and keeps logits; NeoX folds its LayerNorms. */
    @ParameterizedTest
    @ValueSource(strings = {"gemma2", "gemma3", "pythia"})
    void foldingNormsKeepsLogits(String name) throws IOException {
        try (HookedTransformer model = HookedTransformer.load(Fixtures.family(name));
                HookedTransformer folded = WeightProcessing.foldNorms(model);
                NDManager m = NDManager.newBaseManager()) {
            assertEquals(0.0, folded.config().normWeightOffset());
            double diff = Fixtures.maxAbsDiff(model.forward(m, TokenBatch.of(IDS)).toFloatArray(),
                    folded.forward(m, TokenBatch.of(IDS)).toFloatArray());
            assertTrue(diff < 5e-5, name + " folded logits differ by " + diff);
        }
    }

    @Test
    void centringTheUnembeddingOfSoftCappedLogitsIsRefused() throws IOException {
        try (HookedTransformer model = HookedTransformer.load(Fixtures.family("gemma2"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WeightProcessing.centerUnembed(model));
            assertTrue(e.getMessage().contains("soft-capped"), e.getMessage());
        }
    }
}
