package org.mechinterp.jacobian;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.jacobian.fisher.DenseEigen;
import org.mechinterp.jacobian.fisher.EigenPairs;

/**
 * The three scopes on a float64 copy of the trained stories260K model against Jacobians built by central finite
 * differences (no autograd involved): J_τ column i = (y(x_τ + εe_i) − y(x_τ − εe_i)) / 2ε, ε = 1e-4, whose
 * truncation error O(ε²) and rounding error O(1e-16/ε) are both below 1e-7 relative. Tolerance: 1e-6 of the
 * largest score.
 */
class ScopesFiniteDifferenceTest {
    static HookedTransformer model32;
    static HookedTransformer model;
    static int[] tokens;

    @BeforeAll
    static void load() throws IOException {
        model32 = TestModels.loadStories();
        model = TestModels.toFloat64(model32);
        try (Tokenizer tok = Tokenizer.load(TestModels.stories())) {
            tokens = tok.encode("Once upon a time there was a little");
        }
    }

    @AfterAll
    static void close() {
        model.close();
        model32.close();
    }

    @Test
    void semanticTemperatureAndFisherMatchFiniteDifferenceJacobians() {
        int position = tokens.length - 2; // not the last token: positions after ℓ must score 0
        AttributionRequest req = AttributionRequest.builder().setTokens(tokens).optPosition(position).build();
        Attributor exact = Attributor.builder().setModel(model).optFisherMode(FisherMode.EXACT).build();
        Attributor rank2 = Attributor.builder().setModel(model).optFisherRank(2).build();
        AttributionResult semantic = exact.attribute(Method.SEMANTIC, req);
        AttributionResult temperature = exact.attribute(Method.TEMPERATURE, req);
        AttributionResult fisherExact = exact.attribute(Method.FISHER, req);
        AttributionResult fisher2 = rank2.attribute(Method.FISHER, req);

        JacobianProbe probe = exact.probe();
        JacobianProbe.Prediction pred = probe.predict(req);
        int target = pred.top1();
        assertEquals(target, semantic.target());
        double[] wTarget = probe.unembeddingColumn(target);
        double[] yHat = pred.y().clone();
        double yNorm = Math.sqrt(Attributor.dot(yHat, yHat));
        for (int i = 0; i < yHat.length; i++) {
            yHat[i] /= yNorm;
        }
        int d = model.config().dModel();
        double[][] f = TestModels.denseFisher(probe.unembeddingFloats(), d, pred.probabilities());
        EigenPairs eig = DenseEigen.symmetric(f);

        double[] sem = new double[tokens.length];
        double[] temp = new double[tokens.length];
        double[] trace = new double[tokens.length];
        double[] top2 = new double[tokens.length];
        for (int tau = 0; tau <= position; tau++) {
            double[][] jac = TestModels.finiteDifferenceJacobian(model, tokens, position, tau, 1e-4);
            sem[tau] = TestModels.directionalNorm(wTarget, jac);
            temp[tau] = TestModels.directionalNorm(yHat, jac);
            trace[tau] = TestModels.fisherTrace(f, jac);
            for (int i = 0; i < 2; i++) {
                double n = TestModels.directionalNorm(eig.vectors()[i], jac);
                top2[tau] += eig.values()[i] * n * n;
            }
        }
        TestModels.assertScoresClose(sem, semantic.scores(), 1e-6, "semantic");
        TestModels.assertScoresClose(temp, temperature.scores(), 1e-6, "temperature");
        TestModels.assertScoresClose(trace, fisherExact.scores(), 1e-6, "fisher exact trace");
        TestModels.assertScoresClose(top2, fisher2.scores(), 1e-6, "fisher rank 2");
        assertEquals(0.0, semantic.score(tokens.length - 1), "position after ℓ scores 0");
        assertTrue(semantic.score(0) > 0 && fisherExact.score(position) > 0);
    }
}
