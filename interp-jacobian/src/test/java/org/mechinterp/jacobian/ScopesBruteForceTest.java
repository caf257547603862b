package org.mechinterp.jacobian;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
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

/**
 * Scopes on the float32 stories260K model against (a) the full Jacobian assembled from D unit-vector VJPs and (b)
 * plain autograd gradient norms of the defining scalars (target logit, ‖y‖). Tolerance 1e-5 of the largest score
 * (float32 accumulation order differs between the batched and the direct computation).
 */
class ScopesBruteForceTest {
    static HookedTransformer model;
    static int[] tokens;
    static int[] other;
    static Attributor attributor;

    @BeforeAll
    static void load() throws IOException {
        model = TestModels.loadStories();
        try (Tokenizer tok = Tokenizer.load(TestModels.stories())) {
            tokens = tok.encode("Once upon a time there was a little girl named Lily");
            other = tok.encode("The cat sat on the mat and");
        }
        attributor = Attributor.builder().setModel(model).build();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void oneBackwardEqualsBruteForceFullJacobian() {
        int position = tokens.length - 1;
        AttributionRequest req = AttributionRequest.of(tokens);
        JacobianProbe probe = attributor.probe();
        double[][][] jac = TestModels.bruteForceJacobians(probe, tokens, position);
        JacobianProbe.Prediction pred = probe.predict(req);
        double[] w = probe.unembeddingColumn(pred.top1());
        double[] yHat = pred.y().clone();
        double n = Math.sqrt(Attributor.dot(yHat, yHat));
        for (int i = 0; i < yHat.length; i++) {
            yHat[i] /= n;
        }
        double[] sem = new double[tokens.length];
        double[] temp = new double[tokens.length];
        for (int tau = 0; tau < tokens.length; tau++) {
            sem[tau] = TestModels.directionalNorm(w, jac[tau]);
            temp[tau] = TestModels.directionalNorm(yHat, jac[tau]);
        }
        TestModels.assertScoresClose(sem, attributor.attribute(Method.SEMANTIC, req).scores(), 1e-5, "semantic");
        TestModels.assertScoresClose(temp, attributor.attribute(Method.TEMPERATURE, req).scores(), 1e-5,
                "temperature");
    }

    @Test
    void semanticIsGradientNormOfTargetLogitAndTemperatureOfHiddenNorm() {
        int position = 5;
        int target = 301;
        AttributionRequest req = AttributionRequest.builder().setTokens(tokens).optPosition(position)
                .optTarget(target).build();
        AttributionResult semantic = attributor.attribute(Method.SEMANTIC, req);
        assertEquals(target, semantic.target());
        double[] logitGrad = gradientNorms(batchGrad(logits -> logits.get(0, position, target)));
        TestModels.assertScoresClose(logitGrad, semantic.scores(), 1e-5, "semantic vs ∇ logit");

        NDArray[] y = new NDArray[1];
        double[] normGrad;
        try (HookScope scope = model.hooks().scope()) {
            scope.add(HookNames.UNEMBED_IN, (x, ctx) -> {
                y[0] = x;
                return x;
            });
            normGrad = gradientNorms(batchGrad(logits -> y[0].get(0, position).norm()));
        }
        AttributionResult temperature = attributor.attribute(Method.TEMPERATURE, req);
        assertNull(temperature.target(), "temperature has no target");
        TestModels.assertScoresClose(normGrad, temperature.scores(), 1e-5, "temperature vs ∇‖y‖");
        for (int t = position + 1; t < tokens.length; t++) {
            assertEquals(0.0, semantic.score(t));
            assertEquals(0.0, temperature.score(t));
        }
    }

    @Test
    void batchedPromptsEqualPromptsAloneAndExclusionsZeroScores() {
        AttributionRequest a = AttributionRequest.builder().setTokens(tokens).optExclude(0).build();
        AttributionRequest b = AttributionRequest.builder().setTokens(other).optPosition(-2).build();
        for (Method m : List.of(Method.SEMANTIC, Method.TEMPERATURE, Method.FISHER)) {
            List<AttributionResult> batched = attributor.attribute(m, List.of(a, b));
            AttributionResult aloneA = attributor.attribute(m, a);
            AttributionResult aloneB = attributor.attribute(m, b);
            TestModels.assertScoresClose(aloneA.scores(), batched.get(0).scores(), 1e-5, m + " prompt a");
            TestModels.assertScoresClose(aloneB.scores(), batched.get(1).scores(), 1e-5, m + " prompt b");
            assertEquals(0.0, batched.get(0).score(0), m + ": excluded BOS scores 0");
            assertEquals(0.0, batched.get(1).score(other.length - 1), m + ": after ℓ scores 0");
            assertEquals(other.length - 2, batched.get(1).position());
        }
        // excluding a position changes nothing else: every token stays in the forward pass
        AttributionResult withBos = attributor.attribute(Method.SEMANTIC, AttributionRequest.of(tokens));
        AttributionResult noBos = attributor.attribute(Method.SEMANTIC, a);
        assertTrue(withBos.score(0) > 0);
        assertArrayEquals(java.util.Arrays.copyOfRange(withBos.scores(), 1, tokens.length),
                java.util.Arrays.copyOfRange(noBos.scores(), 1, tokens.length), 1e-6);
    }

    @Test
    void noNativeArrayOutlivesACall() {
        AttributionRequest req = AttributionRequest.builder().setTokens(tokens).optExclude(0).build();
        Attributor hutchinson = Attributor.builder().setModel(model).optFisherMode(FisherMode.HUTCHINSON)
                .optHutchinsonProbes(4).optIgSteps(3).build();
        for (Method m : Method.values()) {
            hutchinson.attribute(m, req); // first calls may create lazily cached engine state
        }
        int before = model.manager().getManagedArrays().size();
        for (int rep = 0; rep < 3; rep++) {
            for (Method m : Method.values()) {
                attributor.attribute(m, req);
                hutchinson.attribute(m, req);
            }
            new org.mechinterp.jacobian.faithfulness.Faithfulness(attributor).aopc(req, new double[tokens.length]);
        }
        try (var op = Attributor.builder().setModel(model).optArrayOperatorLimit(0).build().fisherOperator(
                attributor.probe().predict(req))) {
            op.apply(new double[][] {new double[model.config().dModel()]});
        }
        assertEquals(before, model.manager().getManagedArrays().size(), "arrays left in the model's manager tree");
    }

    @Test
    void badInputIsRejectedWithClearMessages() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AttributionRequest.builder().setTokens(tokens).optPosition(tokens.length).build());
        assertTrue(e.getMessage().contains("outside the prompt"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> attributor.attribute(Method.SEMANTIC,
                AttributionRequest.builder().setTokens(tokens).optTarget(512).build()));
        assertTrue(e.getMessage().contains("target token id 512"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> attributor.attribute(Method.SEMANTIC,
                AttributionRequest.of(1, 600)));
        assertTrue(e.getMessage().contains("token id 600"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> AttributionRequest.builder().setTokens(1, 2).optExclude(2).build());
        assertTrue(e.getMessage().contains("excluded position 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Attributor.builder().setModel(model).optFisherRank(65).build());
        assertTrue(e.getMessage().contains("Fisher rank"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AttributionRequest.builder().setTokens().build());
        assertTrue(e.getMessage().contains("empty prompt"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Method.fromId("saliency"));
    }

    private static double[] batchGrad(java.util.function.Function<NDArray, NDArray> loss) {
        try (ActivationCache cache = model.runWithGradients(TokenBatch.of(tokens), n -> false,
                HookNames.EMBED::equals, loss)) {
            return JacobianProbe.doubles(cache.grad(HookNames.EMBED));
        }
    }

    private static double[] gradientNorms(double[] flat) {
        int d = model.config().dModel();
        double[] out = new double[flat.length / d];
        for (int t = 0; t < out.length; t++) {
            double s = 0;
            for (int i = 0; i < d; i++) {
                s += flat[t * d + i] * flat[t * d + i];
            }
            out[t] = Math.sqrt(s);
        }
        return out;
    }
}
