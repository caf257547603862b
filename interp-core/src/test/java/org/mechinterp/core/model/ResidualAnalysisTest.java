package org.mechinterp.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.testing.Fixtures;

/**
 * The residual-stream helpers against brute force on Gemma 2 (post norms, (1 + w), soft-capped logits), Pythia
 * (LayerNorm with biases, parallel residual, b_O) and Qwen2 (RMSNorm, tied): decompositions sum to the residual,
 * per-head results sum to attn_out, the frozen-scale normalisation sums to the final norm's output, direct logit
 * attribution sums to the logit, and the last logit-lens row is the model's logits.
 */
class ResidualAnalysisTest {
    private static final int[] IDS = {5, 17, 3, 42, 8, 11, 29, 2};

    private static HookedTransformer load(String name) throws IOException {
        return HookedTransformer.load(Fixtures.family(name));
    }

    private static ActivationCache analysed(HookedTransformer m, String... extra) {
        List<String> names = new ArrayList<>(ActivationCache.analysisHooks(m));
        names.addAll(List.of(extra));
        return m.runWithCache(TokenBatch.of(IDS), names);
    }

    private static void assertClose(NDArray want, NDArray got, double tol, String what) {
        assertEquals(want.getShape(), got.getShape(), what + " shape");
        double diff = Fixtures.maxAbsDiff(want.toFloatArray(), got.toFloatArray());
        assertTrue(diff <= tol, what + ": max |Δ| = " + diff);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma2", "pythia", "qwen2"})
    void decompositionSumsToTheResidual(String name) throws IOException {
        try (HookedTransformer m = load(name); ActivationCache c = analysed(m)) {
            int n = m.config().nLayers();
            ResidualStack all = c.decomposeResid(-1, false);
            assertEquals(1 + 2 * n, all.size());                                   // rotary: no pos_embed
            assertEquals(List.of("embed", "0_attn_out", "0_mlp_out"), all.labels().subList(0, 3));
            assertClose(c.get(HookNames.residPost(n - 1)), all.stack().sum(new int[] {0}), 1e-5, name + " final");
            assertClose(c.get(HookNames.residPre(1)), c.decomposeResid(1, false).stack().sum(new int[] {0}), 1e-5,
                    name + " resid_pre 1");
            // frozen final scale: the normalised components sum to the final norm's normalised input
            try (ActivationCache n2 = m.runWithCache(TokenBatch.of(IDS), List.of(HookNames.LN_FINAL_NORMALIZED))) {
                assertClose(n2.get(HookNames.LN_FINAL_NORMALIZED), c.decomposeResid(-1, true).stack()
                        .sum(new int[] {0}), 1e-5, name + " applyLn frozen");
            }
        }
    }

    @Test
    void accumulatedResidFollowsTransformerLensLabels() throws IOException {
        try (HookedTransformer m = load("gemma2"); ActivationCache c = analysed(m)) {
            ResidualStack acc = c.accumulatedResid(-1, true, false);
            assertEquals(List.of("0_pre", "0_mid", "1_pre", "1_mid", "2_pre", "2_mid", "final_post"), acc.labels());
            assertClose(c.get(HookNames.residMid(1)), acc.stack().get(acc.indexOf("1_mid")), 0, "1_mid");
            assertEquals(List.of("0_pre", "1_pre", "2_pre"), c.accumulatedResid(2, false, false).labels());
        }
        try (HookedTransformer m = load("pythia"); ActivationCache c = analysed(m)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> c.accumulatedResid(-1, true, false))
                    .getMessage().contains("parallel residual"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma2", "pythia"})
    void headResultsSumToAttnOutAndMatchTheOptInHook(String name) throws IOException {
        try (HookedTransformer m = load(name); NDManager call = NDManager.newBaseManager()) {
            int n = m.config().nLayers();
            int h = m.config().nHeads();
            List<String> results = new ArrayList<>();
            for (int l = 0; l < n; l++) {
                results.add(HookNames.block(l, "attn.hook_result"));
            }
            NDArray plain = m.forward(call, TokenBatch.of(IDS));
            try (ActivationCache fromZ = analysed(m);
                    ActivationCache withResult = analysed(m, results.toArray(String[]::new))) {
                assertClose(plain, withResult.logits(), 1e-5, name + " logits with hook_result");
                assertEquals(4, withResult.get(results.get(0)).getShape().dimension());
                ResidualStack a = fromZ.stackHeadResults(-1);
                ResidualStack b = withResult.stackHeadResults(-1);
                assertEquals(n * h, a.size());
                assertEquals("L1H0", a.labels().get(h));
                assertClose(a.stack(), b.stack(), 1e-5, name + " from z vs hook_result");
                for (int l = 0; l < n; l++) {
                    NDArray sum = a.stack().get("{}:{}", l * h, (l + 1) * h).sum(new int[] {0});
                    NDArray rest = fromZ.get(HookNames.attnOut(l)).sub(sum);   // what no head owns: b_O (if any)
                    NDArray bo = m.weights().blocks().get(l).bo();
                    NDArray expected = bo == null ? rest.zerosLike() : rest.zerosLike().add(bo);
                    assertClose(expected, rest, 1e-5, name + " layer " + l + " Σ heads");
                }
            }
        }
    }

    @Test
    void patchingHookResultChangesTheOutput() throws IOException {
        try (HookedTransformer m = load("pythia"); NDManager call = NDManager.newBaseManager()) {
            String point = HookNames.block(0, "attn.hook_result");
            float[] clean = m.forward(call, TokenBatch.of(IDS)).toFloatArray();
            try (var scope = m.hooks().scope()) {       // ablate head 1 of layer 0
                scope.add(point, (x, ctx) -> x.mul(ctx.manager().create(new float[] {1, 0, 1}).reshape(1, 1, 3, 1)));
                float[] ablated = m.forward(call, TokenBatch.of(IDS)).toFloatArray();
                assertTrue(Fixtures.maxAbsDiff(clean, ablated) > 1e-3);
            }
            try (var scope = m.hooks().scope()) {       // a replaced but equal result gives the same logits
                scope.add(point, (x, ctx) -> x.mul(1f));
                assertTrue(Fixtures.maxAbsDiff(clean, m.forward(call, TokenBatch.of(IDS)).toFloatArray()) < 1e-5);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma2", "pythia", "qwen2"})
    void directLogitAttributionSumsToTheLogit(String name) throws IOException {
        try (HookedTransformer m = load(name); ActivationCache c = analysed(m)) {
            int pos = IDS.length - 1;
            int token = 7;
            int other = 3;
            double cap = m.config().finalLogitSoftcap();
            float[] logits = c.logits().get(0, pos).toFloatArray();
            LogitAttribution dla = c.logitAttribution(c.decomposeResid(-1, false), 0, pos, token);
            assertEquals(preCap(logits[token], cap), dla.total(), 1e-4, name + " logit");
            LogitAttribution diff = c.logitDifferenceAttribution(c.stackHeadResults(-1), 0, pos, token, other);
            assertEquals(m.config().nLayers() * m.config().nHeads(), diff.labels().size());
            LogitAttribution whole = c.logitDifferenceAttribution(c.decomposeResid(-1, false), 0, pos, token, other);
            assertEquals(preCap(logits[token], cap) - preCap(logits[other], cap), whole.total(), 1e-4, name);
        }
    }

    private static double preCap(double logit, double cap) {
        return cap > 0 ? cap * 0.5 * Math.log((1 + logit / cap) / (1 - logit / cap)) : logit;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma2", "pythia", "gemma3"})
    void lastLensLayerIsTheModelsLogits(String name) throws IOException {
        try (HookedTransformer m = load(name); ActivationCache c = analysed(m)) {
            ResidualStack acc = c.accumulatedResid(-1, false, false);
            for (int pos : new int[] {0, IDS.length - 1}) {
                NDArray lens = c.logitLens(acc, pos);                                           // [C,B,V]
                assertEquals(acc.size(), lens.getShape().get(0));
                assertClose(c.logits().get(":, {}, :", pos), lens.get(acc.size() - 1), 1e-4, name + " at " + pos);
            }
        }
    }
}
