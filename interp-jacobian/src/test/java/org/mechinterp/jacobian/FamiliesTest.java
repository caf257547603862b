package org.mechinterp.jacobian;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.model.HookedTransformer;

/**
 * Semantic and Fisher (rank 2) scopes on every supported family (Qwen2 with qkv bias and tied embeddings, Qwen3
 * q/k-norm, sharded Mistral, Llama-3 rope scaling, BF16 Qwen3, Gemma 3, Pythia, GPT-2 with learned positions, F16
 * Llama with a 32k vocabulary) against the full Jacobian from unit-vector VJPs; 1e-5 of the largest score. Models
 * with soft-capped logits (Gemma 2) are refused with a reason.
 */
class FamiliesTest {
    @Test
    void semanticAndFisherMatchBruteForceOnEveryFamily() throws Exception {
        for (Path dir : TestModels.familyDirs()) {
            try (HookedTransformer model = HookedTransformer.load(dir)) {
                int v = Math.min(model.config().vocabSize(), 1000);
                SplittableRandom random = new SplittableRandom(dir.getFileName().toString().hashCode());
                int[] tokens = new int[7];
                for (int i = 0; i < tokens.length; i++) {
                    tokens[i] = random.nextInt(v);
                }
                Attributor attributor = Attributor.builder().setModel(model).optFisherRank(2).build();
                AttributionRequest req = AttributionRequest.of(tokens);
                JacobianProbe probe = attributor.probe();
                JacobianProbe.Prediction pred = probe.predict(req);
                double[][][] jac = TestModels.bruteForceJacobians(probe, tokens, tokens.length - 1);
                double[] w = probe.unembeddingColumn(pred.top1());
                double[] expected = new double[tokens.length];
                for (int t = 0; t < tokens.length; t++) {
                    expected[t] = TestModels.directionalNorm(w, jac[t]);
                }
                String name = dir.getFileName().toString();
                TestModels.assertScoresClose(expected, attributor.attribute(Method.SEMANTIC, req).scores(), 1e-5,
                        name + " semantic");
                double[] fisher = attributor.attribute(Method.FISHER, req).scores();
                var f = TestModels.denseFisher(probe.unembeddingFloats(), model.config().dModel(),
                        pred.probabilities());
                var eig = org.mechinterp.jacobian.fisher.DenseEigen.symmetric(f);
                double[] rank2 = new double[tokens.length];
                for (int t = 0; t < tokens.length; t++) {
                    for (int i = 0; i < 2; i++) {
                        double n = TestModels.directionalNorm(eig.vectors()[i], jac[t]);
                        rank2[t] += eig.values()[i] * n * n;
                    }
                }
                TestModels.assertScoresClose(rank2, fisher, 1e-4, name + " fisher rank 2");
                assertTrue(expected[0] > 0, name + ": first token influences the last");
            }
        }
    }

    /**
     * Gemma 2 soft-caps its logits (ℓ = c·tanh(z/c), z = y·W_U). Semantic must equal the norm of the gradient of the
     * capped target logit itself, taken by autograd through the whole model (independent of the scopes' y-space
     * machinery); Fisher rank 2 must equal the dense metric built from W_U·diag(1 − tanh²(z/c)) with z recomputed
     * from y and W_U (not from the capped logits the code reads its slopes from).
     */
    @Test
    void softCappedLogitsAttributeThroughTheCap() throws Exception {
        Path gemma2 = TestModels.project().resolve("interp-core/src/test/resources/families/gemma2");
        try (HookedTransformer model = HookedTransformer.load(gemma2)) {
            double c = model.config().finalLogitSoftcap();
            assertTrue(c > 0, "the fixture soft-caps its logits");
            int[] tokens = {3, 17, 5, 9, 2, 11, 4};
            int last = tokens.length - 1;
            Attributor attributor = Attributor.builder().setModel(model).optFisherRank(2).build();
            AttributionRequest req = AttributionRequest.of(tokens);
            JacobianProbe probe = attributor.probe();
            JacobianProbe.Prediction pred = probe.predict(req);
            int target = pred.top1();
            double[] expected = new double[tokens.length];
            try (var g = model.runWithGradients(org.mechinterp.core.model.TokenBatch.of(tokens), n -> false,
                    org.mechinterp.core.hooks.HookNames.EMBED::equals, logits -> logits.get(0, last, target))) {
                float[] grad = g.grad(org.mechinterp.core.hooks.HookNames.EMBED).toFloatArray();
                int d = model.config().dModel();
                for (int t = 0; t < tokens.length; t++) {
                    double sq = 0;
                    for (int k = 0; k < d; k++) {
                        sq += (double) grad[t * d + k] * grad[t * d + k];
                    }
                    expected[t] = Math.sqrt(sq);
                }
            }
            TestModels.assertScoresClose(expected, attributor.attribute(Method.SEMANTIC, req).scores(), 1e-4,
                    "gemma2 semantic through the soft-cap");

            int d = model.config().dModel();
            float[] wu = probe.unembeddingFloats();
            int v = wu.length / d;
            float[] scaled = new float[wu.length];
            for (int i = 0; i < v; i++) {
                double z = 0;
                for (int k = 0; k < d; k++) {
                    z += pred.y()[k] * wu[k * v + i];
                }
                double th = Math.tanh(z / c);
                for (int k = 0; k < d; k++) {
                    scaled[k * v + i] = (float) (wu[k * v + i] * (1 - th * th));
                }
            }
            var eig = org.mechinterp.jacobian.fisher.DenseEigen.symmetric(
                    TestModels.denseFisher(scaled, d, pred.probabilities()));
            double[][][] jac = TestModels.bruteForceJacobians(probe, tokens, last);
            double[] rank2 = new double[tokens.length];
            for (int t = 0; t < tokens.length; t++) {
                for (int i = 0; i < 2; i++) {
                    double n = TestModels.directionalNorm(eig.vectors()[i], jac[t]);
                    rank2[t] += eig.values()[i] * n * n;
                }
            }
            TestModels.assertScoresClose(rank2, attributor.attribute(Method.FISHER, req).scores(), 1e-4,
                    "gemma2 fisher rank 2 through the soft-cap");
        }
    }
}
