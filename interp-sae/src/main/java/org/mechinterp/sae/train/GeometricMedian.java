package org.mechinterp.sae.train;

/**
 * The geometric median argmin_y Σ_i ‖x_i − y‖ of a set of rows, by Weiszfeld's iteration in double precision:
 * y ← Σ w_i x_i / Σ w_i with w_i = 1/max(‖x_i − y‖, tiny), started at the mean, for at most {@code maxIter} steps
 * or until y moves by less than {@code tol}·(mean distance).
 */
public final class GeometricMedian {
    private GeometricMedian() {}

    /**
     * @param x rows [rows, d], not modified
     * @param rows number of rows, ≥ 1
     * @param d row width
     * @param maxIter most Weiszfeld iterations
     * @param tol stop when y moves by less than tol times the mean distance to the rows
     * @return the median [d]
     */
    public static double[] of(float[] x, int rows, int d, int maxIter, double tol) {
        if (rows < 1) {
            throw new IllegalArgumentException("need at least one row");
        }
        double[] y = mean(x, rows, d);
        double[] next = new double[d];
        for (int it = 0; it < maxIter; it++) {
            java.util.Arrays.fill(next, 0);
            double wSum = 0;
            double distSum = 0;
            for (int b = 0; b < rows; b++) {
                double s = 0;
                for (int j = 0; j < d; j++) {
                    double diff = x[b * d + j] - y[j];
                    s += diff * diff;
                }
                double dist = Math.sqrt(s);
                distSum += dist;
                double w = 1 / Math.max(dist, 1e-12);
                wSum += w;
                for (int j = 0; j < d; j++) {
                    next[j] += w * x[b * d + j];
                }
            }
            double move = 0;
            for (int j = 0; j < d; j++) {
                next[j] /= wSum;
                move += (next[j] - y[j]) * (next[j] - y[j]);
                y[j] = next[j];
            }
            if (Math.sqrt(move) <= tol * Math.max(distSum / rows, 1e-30)) {
                break;
            }
        }
        return y;
    }

    /**
     * The mean row [d].
     *
     * @param x rows [rows, d]; not modified
     * @param rows number of rows
     * @param d row width
     * @return a new array, the mean of each column, accumulated in double
     */
    public static double[] mean(float[] x, int rows, int d) {
        double[] m = new double[d];
        for (int b = 0; b < rows; b++) {
            for (int j = 0; j < d; j++) {
                m[j] += x[b * d + j];
            }
        }
        for (int j = 0; j < d; j++) {
            m[j] /= rows;
        }
        return m;
    }
}
