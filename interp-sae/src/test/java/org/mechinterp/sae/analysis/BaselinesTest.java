package org.mechinterp.sae.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class BaselinesTest {

    @Test
    void principalDirectionsRecoverPlantedAxes() {
        int d = 10;
        int n = 400;
        double[] u = new double[d];
        double[] v = new double[d];
        u[2] = 0.6;
        u[7] = 0.8; // unit
        v[0] = 1; // orthogonal to u
        SplittableRandom rng = new SplittableRandom(4);
        double[] x = new double[n * d];
        for (int i = 0; i < n; i++) {
            double a = 5 * SyntheticFeatures.gaussian(rng);
            double b = 2 * SyntheticFeatures.gaussian(rng);
            for (int j = 0; j < d; j++) {
                x[i * d + j] = 3 + a * u[j] + b * v[j] + 0.1 * SyntheticFeatures.gaussian(rng);
            }
        }
        FeatureMatrix m = new FeatureMatrix(x, n, d, new int[n]);
        double[][] pc = Baselines.principalDirections(m, 2);
        assertEquals(1, Math.abs(dot(pc[0], u)), 1e-3);
        assertEquals(1, Math.abs(dot(pc[1], v)), 1e-3);
        assertEquals(0, dot(pc[0], pc[1]), 1e-9);
        assertTrue(dot(pc[0], u) > 0, "sign convention: largest coordinate positive");
        // Projections onto PC1 (centred) have the planted variance 25 (± sampling error).
        FeatureMatrix p = m.project(pc, Baselines.mean(m));
        assertEquals(25, Stats.sd(p.column(0)) * Stats.sd(p.column(0)), 5);
    }

    @Test
    void randomDirectionsAreUnitAndSeeded() {
        double[][] a = Baselines.randomDirections(50, 32, 1);
        double[][] b = Baselines.randomDirections(50, 32, 1);
        double meanAbsCos = 0;
        for (int i = 0; i < 50; i++) {
            assertEquals(1, dot(a[i], a[i]), 1e-12);
            assertEquals(0, java.util.Arrays.compare(a[i], b[i]));
            meanAbsCos += Math.abs(dot(a[i], a[(i + 1) % 50])) / 50;
        }
        // E|cos| of independent directions in 32 dims ≈ sqrt(2/(π·32)) ≈ 0.14
        assertEquals(0.14, meanAbsCos, 0.05);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
