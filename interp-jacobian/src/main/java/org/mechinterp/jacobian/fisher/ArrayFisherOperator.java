package org.mechinterp.jacobian.fisher;

import java.util.Objects;

/**
 * {@link FisherOperator} in plain Java double precision over a copy of W_U held as floats [D][V] row-major (as the
 * model stores it, logits = y·W_U). Exact to rounding in double; for small models (D·V up to a few million), and the
 * reference the single-precision operator is checked against.
 */
public final class ArrayFisherOperator implements FisherOperator {
    private final float[] w;
    private final double[] p;
    private final int d;
    private final int v;

    /**
     * @param unembed W_U as [D][V] row-major (D·V floats; kept by reference, must not change)
     * @param d hidden size D
     * @param p probabilities over the V tokens (copied; must be a distribution)
     * @throws IllegalArgumentException on mismatched sizes, negative or non-finite p, or Σp not 1 within 1e-6
     */
    public ArrayFisherOperator(float[] unembed, int d, double[] p) {
        this(unembed, d, p, null);
    }

    /**
     * The metric of logits ℓ(y) with Jacobian diag(s)·W_Uᵀ (soft-capped logits): W_U·diag(s) in place of W_U.
     *
     * @param unembed W_U [D,V] row-major (borrowed; with slopes it is copied, never modified)
     * @param d hidden size D
     * @param p probabilities over the V tokens (copied; must be a distribution)
     * @param slopes ∂ℓ_v/∂z_v per token, or null for plain logits
     */
    public ArrayFisherOperator(float[] unembed, int d, double[] p, double[] slopes) {
        Objects.requireNonNull(unembed, "unembed");
        Objects.requireNonNull(p, "p");
        if (d < 1 || unembed.length % d != 0) {
            throw new IllegalArgumentException("unembedding of " + unembed.length + " values is not [" + d + ", V]");
        }
        this.d = d;
        this.v = unembed.length / d;
        if (p.length != v) {
            throw new IllegalArgumentException("got " + p.length + " probabilities for a vocabulary of " + v);
        }
        Probabilities.check(p);
        this.w = slopes == null ? unembed : scaledColumns(unembed, v, slopes);
        this.p = p.clone();
    }

    @Override
    public int dimension() {
        return d;
    }

    @Override
    public int vocabularySize() {
        return v;
    }

    @Override
    public double[][] apply(double[][] block) {
        double[][] out = new double[block.length][];
        double[] a = new double[v];
        for (int b = 0; b < block.length; b++) {
            double[] x = block[b];
            if (x.length != d) {
                throw new IllegalArgumentException("vector of length " + x.length + ", expected " + d);
            }
            java.util.Arrays.fill(a, 0);
            for (int k = 0; k < d; k++) {
                double xk = x[k];
                int row = k * v;
                for (int i = 0; i < v; i++) {
                    a[i] += xk * w[row + i];
                }
            }
            double mean = 0;
            for (int i = 0; i < v; i++) {
                mean += p[i] * a[i];
            }
            for (int i = 0; i < v; i++) {
                a[i] = p[i] * (a[i] - mean);
            }
            double[] y = new double[d];
            for (int k = 0; k < d; k++) {
                int row = k * v;
                double s = 0;
                for (int i = 0; i < v; i++) {
                    s += w[row + i] * a[i];
                }
                y[k] = s;
            }
            out[b] = y;
        }
        return out;
    }

    @Override
    public double[][] factorTranspose(double[][] zeta) {
        double[] mu = new double[d];
        for (int k = 0; k < d; k++) {
            int row = k * v;
            double s = 0;
            for (int i = 0; i < v; i++) {
                s += w[row + i] * p[i];
            }
            mu[k] = s;
        }
        double[][] out = new double[zeta.length][d];
        for (int b = 0; b < zeta.length; b++) {
            if (zeta[b].length != v) {
                throw new IllegalArgumentException("probe of length " + zeta[b].length + ", expected " + v);
            }
            double[] c = new double[v];
            double total = 0;
            for (int i = 0; i < v; i++) {
                c[i] = zeta[b][i] * Math.sqrt(p[i]);
                total += c[i];
            }
            for (int k = 0; k < d; k++) {
                int row = k * v;
                double s = 0;
                for (int i = 0; i < v; i++) {
                    s += w[row + i] * c[i];
                }
                out[b][k] = s - total * mu[k];
            }
        }
        return out;
    }

    @Override
    public double relativePrecision() {
        return 1e-14;
    }

    @Override
    public void close() {
        // plain Java arrays: nothing to free
    }

    private static float[] scaledColumns(float[] w, int v, double[] slopes) {
        if (slopes.length != v) {
            throw new IllegalArgumentException("got " + slopes.length + " slopes for a vocabulary of " + v);
        }
        float[] out = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            out[i] = (float) (w[i] * slopes[i % v]);
        }
        return out;
    }
}
