package org.mechinterp.sae.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class ProbeRegressionTest {

    private static FeatureMatrix random(int trajectories, int steps, int d, SplittableRandom rng) {
        int rows = trajectories * steps;
        double[] v = new double[rows * d];
        int[] g = new int[rows];
        for (int i = 0; i < rows; i++) {
            g[i] = i / steps;
            for (int j = 0; j < d; j++) {
                v[i * d + j] = SyntheticFeatures.gaussian(rng) * (1 + j % 3);
            }
        }
        return new FeatureMatrix(v, rows, d, g);
    }

    private static double[] linear(FeatureMatrix x, double[] w, double noise, SplittableRandom rng) {
        double[] y = new double[x.rows()];
        for (int i = 0; i < y.length; i++) {
            double s = 3;
            for (int j = 0; j < w.length; j++) {
                s += w[j] * x.get(i, j);
            }
            y[i] = s + noise * SyntheticFeatures.gaussian(rng);
        }
        return y;
    }

    @Test
    void recoversALinearGroundTruth() {
        SplittableRandom rng = new SplittableRandom(9);
        int d = 16;
        double[] w = new double[d];
        for (int j = 0; j < d; j++) {
            w[j] = SyntheticFeatures.gaussian(rng);
        }
        FeatureMatrix xd = random(20, 20, d, rng);
        FeatureMatrix xh = random(10, 20, d, rng);
        // Signal variance ≈ Σ w_j² var_j ≈ 16·(1+4+9)/3 ≈ 75; noise variance 0.25 → R² ≈ 1 − 0.25/75.
        ProbeRegression.Result r = ProbeRegression.defaults().fit(xd, linear(xd, w, 0.5, rng), xh,
                linear(xh, w, 0.5, rng));
        assertTrue(r.heldOutR2() > 0.99, "held-out R² " + r.heldOutR2());
        assertTrue(r.cvR2() > 0.99, "CV R² " + r.cvR2());
        assertTrue(r.lambda() <= 10, "λ " + r.lambda());
    }

    @Test
    void noSignalGivesNoHeldOutR2() {
        SplittableRandom rng = new SplittableRandom(10);
        FeatureMatrix xd = random(20, 10, 12, rng);
        FeatureMatrix xh = random(10, 10, 12, rng);
        double[] yd = new double[xd.rows()];
        double[] yh = new double[xh.rows()];
        for (int i = 0; i < yd.length; i++) {
            yd[i] = SyntheticFeatures.gaussian(rng);
        }
        for (int i = 0; i < yh.length; i++) {
            yh[i] = SyntheticFeatures.gaussian(rng);
        }
        ProbeRegression.Result r = ProbeRegression.defaults().fit(xd, yd, xh, yh);
        assertTrue(r.heldOutR2() < 0.1, "held-out R² " + r.heldOutR2());
        // Strong ridge wins when there is nothing to fit.
        assertEquals(ProbeRegression.defaults().lambdas()[ProbeRegression.defaults().lambdas().length - 1],
                r.lambda(), 0, "λ should be the largest in the grid");
    }
}
