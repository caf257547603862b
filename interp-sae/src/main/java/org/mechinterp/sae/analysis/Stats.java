package org.mechinterp.sae.analysis;

import java.util.Arrays;
import java.util.Objects;

/**
 * The small statistics the study needs, in double precision on plain arrays: Pearson and Spearman correlation,
 * ranks with ties averaged, Benjamini–Hochberg adjusted p-values, quantiles, and a least-squares line.
 * Stateless; no method modifies its inputs.
 */
public final class Stats {

    private Stats() {
    }

    /**
     * Pearson correlation {@code r = Σ(x−x̄)(y−ȳ) / sqrt(Σ(x−x̄)² Σ(y−ȳ)²)}.
     *
     * @param x first sample; not modified
     * @param y second sample, same length; not modified
     * @return r in [−1, 1], or 0 when either input is constant (no linear association can be measured)
     * @throws IllegalArgumentException for different lengths or fewer than 2 values
     */
    public static double pearson(double[] x, double[] y) {
        check(x, y);
        int n = x.length;
        double mx = mean(x);
        double my = mean(y);
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < n; i++) {
            double a = x[i] - mx;
            double b = y[i] - my;
            sxy += a * b;
            sxx += a * a;
            syy += b * b;
        }
        if (sxx <= 0 || syy <= 0) {
            return 0;
        }
        return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
    }

    /**
     * Spearman rank correlation: Pearson of the tie-averaged ranks.
     *
     * @param x first sample; not modified
     * @param y second sample, same length; not modified
     * @return ρ in [−1, 1] (0 when either ranking is constant)
     * @throws IllegalArgumentException for different lengths or fewer than 2 values
     */
    public static double spearman(double[] x, double[] y) {
        check(x, y);
        return pearson(ranks(x), ranks(y));
    }

    /**
     * @param x values (NaN not allowed)
     * @return ranks 1..n, ties given the mean of the ranks they span
     */
    public static double[] ranks(double[] x) {
        int n = x.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
            if (Double.isNaN(x[i])) {
                throw new IllegalArgumentException("cannot rank NaN at index " + i);
            }
        }
        Arrays.sort(order, (a, b) -> Double.compare(x[a], x[b]));
        double[] r = new double[n];
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && x[order[j + 1]] == x[order[i]]) {
                j++;
            }
            double rank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                r[order[k]] = rank;
            }
            i = j + 1;
        }
        return r;
    }

    /**
     * Benjamini–Hochberg adjusted p-values (q-values): {@code q_(i) = min_{j >= i} min(1, m p_(j) / j)} over the
     * p-values sorted ascending. A hypothesis is rejected at FDR level α when its q ≤ α.
     *
     * @param p p-values in [0, 1]
     * @return adjusted values, in the input order
     */
    public static double[] benjaminiHochberg(double[] p) {
        Objects.requireNonNull(p, "p");
        int m = p.length;
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) {
            if (!(p[i] >= 0 && p[i] <= 1)) {
                throw new IllegalArgumentException("p-value " + i + " is " + p[i] + ", not in [0, 1]");
            }
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(p[a], p[b]));
        double[] q = new double[m];
        double running = 1;
        for (int k = m - 1; k >= 0; k--) {
            int idx = order[k];
            running = Math.min(running, Math.min(1, p[idx] * m / (k + 1)));
            q[idx] = running;
        }
        return q;
    }

    /**
     * @param x the values (not modified)
     * @return the arithmetic mean
     */
    public static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s / x.length;
    }

    /**
     * @param x the values (not modified)
     * @return the sample standard deviation (n − 1), 0 for fewer than 2 values
     */
    public static double sd(double[] x) {
        if (x.length < 2) {
            return 0;
        }
        double m = mean(x);
        double s = 0;
        for (double v : x) {
            s += (v - m) * (v - m);
        }
        return Math.sqrt(s / (x.length - 1));
    }

    /**
     * @param x values (not modified)
     * @param q quantile in [0, 1]
     * @return the linearly interpolated quantile (type 7, as R and numpy's default)
     */
    public static double quantile(double[] x, double q) {
        if (x.length == 0) {
            throw new IllegalArgumentException("quantile of no values");
        }
        double[] s = x.clone();
        Arrays.sort(s);
        double h = (s.length - 1) * q;
        int lo = (int) Math.floor(h);
        int hi = Math.min(s.length - 1, lo + 1);
        return s[lo] + (h - lo) * (s[hi] - s[lo]);
    }

    /**
     * Ordinary least squares line {@code y = a + b x}.
     *
     * @param x abscissae; not modified
     * @param y ordinates, same length; not modified
     * @return {@code {a, b, se(b)}}, the slope's standard error from the residuals (NaN with fewer than 3 points)
     */
    public static double[] line(double[] x, double[] y) {
        check(x, y);
        int n = x.length;
        double mx = mean(x);
        double my = mean(y);
        double sxx = 0;
        double sxy = 0;
        for (int i = 0; i < n; i++) {
            sxx += (x[i] - mx) * (x[i] - mx);
            sxy += (x[i] - mx) * (y[i] - my);
        }
        if (sxx <= 0) {
            throw new IllegalArgumentException("cannot fit a line to constant x");
        }
        double b = sxy / sxx;
        double a = my - b * mx;
        double sse = 0;
        for (int i = 0; i < n; i++) {
            double e = y[i] - a - b * x[i];
            sse += e * e;
        }
        double se = n > 2 ? Math.sqrt(sse / (n - 2) / sxx) : Double.NaN;
        return new double[] {a, b, se};
    }

    /**
     * Two-sided 97.5% quantile of Student's t with {@code df} degrees of freedom (for 95% intervals), by bisection
     * on the regularised incomplete beta function.
     *
     * @param df degrees of freedom, ≥ 1
     * @return t such that P(T ≤ t) = 0.975
     * @throws IllegalArgumentException if {@code df} is below 1
     */
    public static double t975(int df) {
        if (df < 1) {
            throw new IllegalArgumentException("degrees of freedom must be >= 1, got " + df);
        }
        double lo = 0;
        double hi = 1000;
        for (int it = 0; it < 200; it++) {
            double mid = 0.5 * (lo + hi);
            // P(T > t) = I_{df/(df+t²)}(df/2, 1/2) / 2
            double tail = 0.5 * incompleteBeta(df / (df + mid * mid), df / 2.0, 0.5);
            if (tail > 0.025) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return 0.5 * (lo + hi);
    }

    /** Regularised incomplete beta I_x(a, b) by the continued fraction (Numerical Recipes' betacf). */
    static double incompleteBeta(double x, double a, double b) {
        if (x <= 0) {
            return 0;
        }
        if (x >= 1) {
            return 1;
        }
        double lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
        if (x < (a + 1) / (a + b + 2)) {
            return Math.exp(lnFront) * betaFraction(x, a, b) / a;
        }
        return 1 - Math.exp(lnFront) * betaFraction(1 - x, b, a) / b;
    }

    private static double betaFraction(double x, double a, double b) {
        double qab = a + b;
        double qap = a + 1;
        double qam = a - 1;
        double c = 1;
        double d = 1 - qab * x / qap;
        d = Math.abs(d) < 1e-300 ? 1e-300 : d;
        d = 1 / d;
        double h = d;
        for (int m = 1; m <= 300; m++) {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + aa * d;
            d = Math.abs(d) < 1e-300 ? 1e-300 : d;
            c = 1 + aa / c;
            c = Math.abs(c) < 1e-300 ? 1e-300 : c;
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + aa * d;
            d = Math.abs(d) < 1e-300 ? 1e-300 : d;
            c = 1 + aa / c;
            c = Math.abs(c) < 1e-300 ? 1e-300 : c;
            d = 1 / d;
            double del = d * c;
            h *= del;
            if (Math.abs(del - 1) < 1e-15) {
                break;
            }
        }
        return h;
    }

    /** Lanczos approximation of ln Γ(x), x > 0 (relative error ~1e-15). */
    static double logGamma(double x) {
        double[] g = {0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7};
        if (x < 0.5) {
            return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
        }
        x -= 1;
        double a = g[0];
        double t = x + 7.5;
        for (int i = 1; i < 9; i++) {
            a += g[i] / (x + i);
        }
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
    }

    private static void check(double[] x, double[] y) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(y, "y");
        if (x.length != y.length) {
            throw new IllegalArgumentException("lengths differ: " + x.length + " vs " + y.length);
        }
        if (x.length < 2) {
            throw new IllegalArgumentException("need at least 2 values, got " + x.length);
        }
    }
}
