package org.mechinterp.jacobian;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.jacobian.fisher.ArrayFisherOperator;
import org.mechinterp.jacobian.fisher.DenseEigen;
import org.mechinterp.jacobian.fisher.EigenPairs;
import org.mechinterp.jacobian.fisher.FisherOperator;
import org.mechinterp.jacobian.fisher.Lanczos;
import org.mechinterp.jacobian.fisher.NDArrayFisherOperator;

/**
 * Fisher Scope on stories260K: the matrix-free operator and Lanczos against F_y formed densely by the textbook
 * formula Σ p w wᵀ − μμᵀ and decomposed with EJML; exact trace against tr(J_τᵀFJ_τ) from brute-force Jacobians; the
 * Hutchinson estimate against the exact trace within its own standard error.
 */
class FisherScopeTest {
    static HookedTransformer model;
    static int[] tokens;
    static Attributor attributor;
    static JacobianProbe.Prediction prediction;
    static double[][] dense;
    static EigenPairs denseEig;

    @BeforeAll
    static void load() throws IOException {
        model = TestModels.loadStories();
        try (Tokenizer tok = Tokenizer.load(TestModels.stories())) {
            tokens = tok.encode("Once upon a time there was a big dog");
        }
        attributor = Attributor.builder().setModel(model).build();
        prediction = attributor.probe().predict(AttributionRequest.of(tokens));
        dense = TestModels.denseFisher(attributor.probe().unembeddingFloats(), model.config().dModel(),
                prediction.probabilities());
        denseEig = DenseEigen.symmetric(dense);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void operatorProductsAndFactorMatchDenseFisher() {
        int d = model.config().dModel();
        try (FisherOperator op = attributor.fisherOperator(prediction)) {
            assertTrue(op instanceof ArrayFisherOperator);
            double[][] f = op.dense();
            for (int a = 0; a < d; a++) {
                for (int b = 0; b < d; b++) {
                    assertEquals(dense[a][b], f[a][b], 1e-12 * denseEig.values()[0], "F[" + a + "][" + b + "]");
                }
            }
            // C with F = CᵀC: Σ_i (Cᵀe_i)(Cᵀe_i)ᵀ over all V unit probes reproduces F
            int v = op.vocabularySize();
            double[][] units = new double[v][v];
            for (int i = 0; i < v; i++) {
                units[i][i] = 1;
            }
            double[][] c = op.factorTranspose(units);
            for (int a = 0; a < d; a++) {
                for (int b = 0; b < d; b++) {
                    double s = 0;
                    for (int i = 0; i < v; i++) {
                        s += c[i][a] * c[i][b];
                    }
                    assertEquals(dense[a][b], s, 1e-12 * denseEig.values()[0]);
                }
            }
        }
    }

    @Test
    void lanczosTopEigenpairsMatchDenseEigendecomposition() {
        try (FisherOperator op = attributor.fisherOperator(prediction)) {
            for (int k : new int[] {1, 4}) {
                EigenPairs e = Lanczos.builder().setRank(k).build().top(op);
                assertTrue(e.products() < 64, "Lanczos converged before D products: " + e.products());
                for (int i = 0; i < k; i++) {
                    TestModels.assertRelative(denseEig.values()[i], e.values()[i], 1e-9, "λ_" + i);
                    double overlap = Math.abs(Attributor.dot(denseEig.vectors()[i], e.vectors()[i]));
                    assertEquals(1.0, overlap, 1e-7, "eigenvector " + i);
                }
            }
            // all D eigenpairs: their sum is tr(F)
            EigenPairs all = Lanczos.builder().setRank(64).build().top(op);
            double trace = 0;
            for (int a = 0; a < dense.length; a++) {
                trace += dense[a][a];
            }
            TestModels.assertRelative(trace, all.valueSum(), 1e-10, "Σλ = tr F");
            TestModels.assertRelative(denseEig.values()[63] + 1, all.values()[63] + 1, 1e-9, "smallest λ");
        }
    }

    @Test
    void rankKAndExactScoresMatchBruteForceJacobians() {
        int position = tokens.length - 1;
        AttributionRequest req = AttributionRequest.of(tokens);
        double[][][] jac = TestModels.bruteForceJacobians(attributor.probe(), tokens, position);
        double[] trace = new double[tokens.length];
        double[] rank3 = new double[tokens.length];
        for (int tau = 0; tau < tokens.length; tau++) {
            trace[tau] = TestModels.fisherTrace(dense, jac[tau]);
            for (int i = 0; i < 3; i++) {
                double n = TestModels.directionalNorm(denseEig.vectors()[i], jac[tau]);
                rank3[tau] += denseEig.values()[i] * n * n;
            }
        }
        AttributionResult exact = Attributor.builder().setModel(model).optFisherMode(FisherMode.EXACT).build()
                .attribute(Method.FISHER, req);
        AttributionResult k3 = Attributor.builder().setModel(model).optFisherRank(3).build()
                .attribute(Method.FISHER, req);
        AttributionResult all = Attributor.builder().setModel(model).optFisherRank(64).build()
                .attribute(Method.FISHER, req);
        TestModels.assertScoresClose(trace, exact.scores(), 1e-5, "exact trace vs tr(JᵀFJ)");
        TestModels.assertScoresClose(rank3, k3.scores(), 1e-5, "rank 3 vs dense eigenpairs");
        // the exact trace is the sum over all eigenpairs: rank D from Lanczos gives the same scores
        TestModels.assertScoresClose(exact.scores(), all.scores(), 1e-6, "rank D (Lanczos) vs exact");
        assertTrue(k3.score(0) < exact.score(0), "rank 3 is a partial sum of the trace");
    }

    @Test
    void hutchinsonConvergesToExactTraceWithinItsStandardError() {
        AttributionRequest req = AttributionRequest.of(tokens);
        AttributionResult exact = Attributor.builder().setModel(model).optFisherMode(FisherMode.EXACT).build()
                .attribute(Method.FISHER, req);
        AttributionResult est = Attributor.builder().setModel(model).optFisherMode(FisherMode.HUTCHINSON)
                .optHutchinsonProbes(256).optSeed(11).build().attribute(Method.FISHER, req);
        double[] se = (double[]) est.details().get("standard_errors");
        for (int t = 0; t < tokens.length; t++) {
            double err = Math.abs(est.score(t) - exact.score(t));
            // a 4-sigma band: the seeded estimate is deterministic; a biased estimator would miss it by far
            assertTrue(err <= 4 * se[t], "position " + t + ": |" + est.score(t) + " − " + exact.score(t) + "| > 4·"
                    + se[t]);
            assertTrue(se[t] < 0.25 * exact.score(t), "standard error " + se[t] + " too large at " + t);
        }
    }

    @Test
    void engineOperatorInFloat32MatchesDoubleReferenceAtLargeVocabulary() {
        int d = 64;
        int v = 8192;
        SplittableRandom random = new SplittableRandom(3);
        float[] w = new float[d * v];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (random.nextGaussian() / Math.sqrt(d));
        }
        double[] logits = new double[v];
        for (int i = 0; i < v; i++) {
            logits[i] = 3 * random.nextGaussian();
        }
        double[] p = Softmax.probabilities(logits);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray wu = m.create(w, new Shape(d, v));
            try (FisherOperator ref = new ArrayFisherOperator(w, d, p);
                    FisherOperator fast = new NDArrayFisherOperator(wu, p)) {
                EigenPairs exact = DenseEigen.symmetric(ref.dense());
                EigenPairs e = Lanczos.builder().setRank(2).build().top(fast);
                for (int i = 0; i < 2; i++) {
                    TestModels.assertRelative(exact.values()[i], e.values()[i], 1e-5, "λ_" + i);
                    assertEquals(1.0, Math.abs(Attributor.dot(exact.vectors()[i], e.vectors()[i])), 1e-5);
                }
                double[][] x = {exact.vectors()[5]};
                double[] a = ref.apply(x)[0];
                double[] b = fast.apply(x)[0];
                for (int i = 0; i < d; i++) {
                    assertEquals(a[i], b[i], 1e-5 * exact.values()[0]);
                }
            }
            assertEquals(1, m.getManagedArrays().size(), "operators closed their arrays");
        }
        // the same on a model: forcing engine products gives the same rank-1 scores to 1e-4
        AttributionRequest req = AttributionRequest.of(tokens);
        double[] viaJava = attributor.attribute(Method.FISHER, req).scores();
        double[] viaEngine = Attributor.builder().setModel(model).optArrayOperatorLimit(0).build()
                .attribute(Method.FISHER, req).scores();
        TestModels.assertScoresClose(viaJava, viaEngine, 1e-4, "engine vs Java Fisher operator");
    }
}
