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

    @Test
    void softCappedLogitsAreRefused() throws Exception {
        Path gemma2 = TestModels.project().resolve("interp-core/src/test/resources/families/gemma2");
        try (HookedTransformer model = HookedTransformer.load(gemma2)) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> Attributor.builder().setModel(model).build());
            assertTrue(e.getMessage().contains("soft-caps"), e.getMessage());
        }
    }
}
