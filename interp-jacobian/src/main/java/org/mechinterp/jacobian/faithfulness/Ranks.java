package org.mechinterp.jacobian.faithfulness;

import java.util.Arrays;

/** Rank statistics. */
public final class Ranks {
    private Ranks() {}

    /**
     * Ranks 1..n, ties sharing their average rank (input not modified).
     *
     * @param x the input
     * @return ranks 1..n, ties sharing their average rank (input not modified)
     */
    public static double[] averageRanks(double[] x) {
        int n = x.length;
        Integer[] order = new Integer[n];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> Double.compare(x[a], x[b]));
        double[] ranks = new double[n];
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && x[order[j + 1]] == x[order[i]]) {
                j++;
            }
            double avg = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                ranks[order[k]] = avg;
            }
            i = j + 1;
        }
        return ranks;
    }

    /**
     * Spearman's ρ: the Pearson correlation of the average ranks. NaN when either input is constant (or shorter
     * than 2), where ρ is undefined.
     *
     * @param a a
     * @param b the batch row
     * @return Spearman's ρ: the Pearson correlation of the average ranks
     * @throws IllegalArgumentException if the lengths differ or a value is NaN
     */
    public static double spearman(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("Spearman needs equal lengths, got " + a.length + " and " + b.length);
        }
        for (int i = 0; i < a.length; i++) {
            if (Double.isNaN(a[i]) || Double.isNaN(b[i])) {
                throw new IllegalArgumentException("NaN at index " + i);
            }
        }
        if (a.length < 2) {
            return Double.NaN;
        }
        double[] ra = averageRanks(a);
        double[] rb = averageRanks(b);
        double ma = Arrays.stream(ra).average().orElse(0);
        double mb = Arrays.stream(rb).average().orElse(0);
        double cov = 0;
        double va = 0;
        double vb = 0;
        for (int i = 0; i < ra.length; i++) {
            cov += (ra[i] - ma) * (rb[i] - mb);
            va += (ra[i] - ma) * (ra[i] - ma);
            vb += (rb[i] - mb) * (rb[i] - mb);
        }
        return va == 0 || vb == 0 ? Double.NaN : cov / Math.sqrt(va * vb);
    }
}
