package org.mechinterp.sae.analysis;

import java.util.SplittableRandom;

/** Synthetic per-step quantities and features with a planted feature, for the correlation and probe tests. */
final class SyntheticFeatures {
    final FeatureMatrix features;
    final double[] energy;
    final double[] oscillating;

    /**
     * @param trajectories number of trajectories
     * @param steps steps per trajectory
     * @param n features
     * @param planted index of the feature equal to energy + noise (−1: none)
     * @param noise standard deviation of the planted feature's noise, relative to the energy's spread
     */
    SyntheticFeatures(int trajectories, int steps, int n, int planted, double noise, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int rows = trajectories * steps;
        double[] v = new double[rows * n];
        int[] g = new int[rows];
        energy = new double[rows];
        oscillating = new double[rows];
        for (int t = 0; t < trajectories; t++) {
            double e = 0.5 + 2 * rng.nextDouble(); // conserved within a trajectory
            double w = 0.2 + 0.3 * rng.nextDouble();
            for (int s = 0; s < steps; s++) {
                int r = t * steps + s;
                g[r] = t;
                energy[r] = e;
                oscillating[r] = e * (0.5 + 0.5 * Math.cos(w * s));
                for (int j = 0; j < n; j++) {
                    // noise features with their own autocorrelated per-trajectory offsets
                    v[r * n + j] = gaussian(rng) + (s == 0 ? 0 : 0.5 * v[(r - 1) * n + j]);
                }
                if (planted >= 0) {
                    v[r * n + planted] = e + noise * 0.6 * gaussian(rng);
                }
            }
        }
        features = new FeatureMatrix(v, rows, n, g);
    }

    static double gaussian(SplittableRandom rng) {
        return Math.sqrt(-2 * Math.log(1 - rng.nextDouble())) * Math.cos(2 * Math.PI * rng.nextDouble());
    }
}
