package org.mechinterp.sae.train;

import java.util.SplittableRandom;

/**
 * Synthetic activations with a known dictionary in superposition, for ground-truth recovery tests.
 *
 * <p>m unit-norm features in R^d (m &gt; d allowed), drawn as normalised Gaussian vectors. Each row has exactly
 * {@code active} distinct features, chosen uniformly, with magnitudes 1 + Exp(1) (bounded away from 0 so every
 * active feature is visible), plus isotropic Gaussian noise of standard deviation {@code noise} per coordinate:
 * x = Σ_active c_i F_i + ε.
 */
public final class SyntheticSuperposition {
    private final int d;
    private final int m;
    private final float[] features;

    /**
     * A random dictionary [m, d] of unit rows from {@code seed}.
     *
     * @param d ambient dimension
     * @param m number of true features
     * @param seed seed of the random directions
     */
    public SyntheticSuperposition(int d, int m, long seed) {
        this.d = d;
        this.m = m;
        this.features = new float[m * d];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < m; i++) {
            double s = 0;
            double[] v = new double[d];
            for (int j = 0; j < d; j++) {
                v[j] = gaussian(r);
                s += v[j] * v[j];
            }
            for (int j = 0; j < d; j++) {
                features[i * d + j] = (float) (v[j] / Math.sqrt(s));
            }
        }
    }

    /**
     * The true dictionary [m, d] (copy).
     *
     * @return a fresh copy of the unit feature rows, row-major [m, d]
     */
    public float[] features() {
        return features.clone();
    }

    /**
     * Ambient dimension of the samples.
     *
     * @return d
     */
    public int dim() {
        return d;
    }

    /**
     * Number of true features.
     *
     * @return m
     */
    public int featureCount() {
        return m;
    }

    /**
     * Draws {@code rows} rows [rows, d].
     *
     * @param active features per row (distinct), ≤ m
     * @param noise per-coordinate noise standard deviation
     * @param rows number of rows to draw
     * @param seed seed of the feature choice, magnitudes and noise
     * @return a new array, row-major [rows, d]
     */
    public float[] sample(int rows, int active, double noise, long seed) {
        if (active < 1 || active > m) {
            throw new IllegalArgumentException("active must be in [1, " + m + "], got " + active);
        }
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[rows * d];
        int[] chosen = new int[active];
        for (int b = 0; b < rows; b++) {
            for (int a = 0; a < active; a++) {
                int f;
                boolean repeat;
                do {
                    f = r.nextInt(m);
                    repeat = false;
                    for (int q = 0; q < a; q++) {
                        repeat |= chosen[q] == f;
                    }
                } while (repeat);
                chosen[a] = f;
                double c = 1 - Math.log(1 - r.nextDouble());
                for (int j = 0; j < d; j++) {
                    x[b * d + j] += (float) (c * features[f * d + j]);
                }
            }
            for (int j = 0; j < d; j++) {
                x[b * d + j] += (float) (noise * gaussian(r));
            }
        }
        return x;
    }

    /**
     * For each true feature, the largest cosine similarity with any row of {@code decoder} [n, d].
     *
     * @param decoder learned directions, row-major [n, d]; not modified
     * @param n number of rows of {@code decoder}
     * @return [m] max cosines
     */
    public double[] maxCosines(float[] decoder, int n) {
        double[] out = new double[m];
        double[] norms = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                s += (double) decoder[i * d + j] * decoder[i * d + j];
            }
            norms[i] = Math.sqrt(s);
        }
        for (int f = 0; f < m; f++) {
            double best = -1;
            for (int i = 0; i < n; i++) {
                if (norms[i] == 0) {
                    continue;
                }
                double s = 0;
                for (int j = 0; j < d; j++) {
                    s += (double) features[f * d + j] * decoder[i * d + j];
                }
                best = Math.max(best, s / norms[i]);
            }
            out[f] = best;
        }
        return out;
    }

    private static double gaussian(SplittableRandom r) {
        double u = 1.0 - r.nextDouble();
        double v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
