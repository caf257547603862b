package org.mechinterp.examples.physics.study;

import java.util.Objects;

/**
 * The context-parroting forecaster of Zhang &amp; Gilpin (2025): find the earlier stretch of the context that best
 * matches its last {@code m} states and predict the state that followed that stretch. A strong baseline for
 * in-context forecasting of (quasi-)periodic and chaotic series: it copies, it does not model.
 *
 * <p>For context states {@code x_0..x_{n-1}} (vectors) and motif length {@code m' = min(m, n − 1)}, the match
 * end {@code j ∈ [m' − 1, n − 2]} minimises {@code Σ_{i<m'} ‖x_{j−i} − x_{n−1−i}‖²} (ties: the latest j, the most
 * recent recurrence), and the forecast is {@code x_{j+1}}. With a single state it repeats it.
 */
public final class ContextParroting {

    private ContextParroting() {
    }

    /**
     * @param context states [n][d], n ≥ 1; not modified
     * @param motif motif length m ≥ 1
     * @return a new array: the forecast of state {@code n}
     */
    public static double[] forecast(double[][] context, int motif) {
        Objects.requireNonNull(context, "context");
        if (context.length == 0) {
            throw new IllegalArgumentException("parroting needs at least one context state");
        }
        if (motif < 1) {
            throw new IllegalArgumentException("motif length must be >= 1, got " + motif);
        }
        int n = context.length;
        if (n == 1) {
            return context[0].clone();
        }
        int m = Math.min(motif, n - 1);
        int best = -1;
        double bestCost = Double.POSITIVE_INFINITY;
        for (int j = m - 1; j <= n - 2; j++) {
            double cost = 0;
            for (int i = 0; i < m && cost <= bestCost; i++) {
                double[] a = context[j - i];
                double[] b = context[n - 1 - i];
                for (int c = 0; c < a.length; c++) {
                    double e = a[c] - b[c];
                    cost += e * e;
                }
            }
            if (cost <= bestCost) {
                bestCost = cost;
                best = j;
            }
        }
        return context[best + 1].clone();
    }
}
