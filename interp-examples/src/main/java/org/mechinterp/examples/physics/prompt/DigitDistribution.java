package org.mechinterp.examples.physics.prompt;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.DoubleUnaryOperator;

/**
 * The hierarchical ("Hierarchy-PDF", Liu et al. 2024) distribution over a {@code p}-digit value implied by a
 * digit-per-token model's teacher-forced next-digit probabilities.
 *
 * <p>Input: the true digits {@code d_1..d_p} of the value and, for each level {@code k}, the model's probabilities
 * {@code q_k(j)} of digit {@code j = 0..9} given the true prefix {@code d_1..d_{k-1}} (each row is renormalised to
 * sum 1; the raw sums, the mass the model put on digit tokens at all, are kept). On the digit axis, where
 * the digit string {@code D} covers {@code [D, D + 1)} (see {@link SeriesFormat#digitAxisToValue}), the implied
 * distribution has the bins
 * <ul>
 *   <li>for each level {@code k < p} and digit {@code j != d_k}: the interval of all values with prefix
 *       {@code d_1..d_{k-1} j}, width {@code 10^(p-k)}, mass {@code q_1(d_1) ... q_{k-1}(d_{k-1}) q_k(j)};</li>
 *   <li>at level {@code p}: the 10 unit intervals with prefix {@code d_1..d_{p-1}}, mass
 *       {@code q_1(d_1) ... q_{p-1}(d_{p-1}) q_p(j)},</li>
 * </ul>
 * {@code 9p + 1} bins that tile {@code [0, 10^p)}, with the density uniform inside each. Coarse far from the true
 * value, fine near it.
 *
 * <p>The Bhattacharyya coefficient to a reference is computed on these bins: {@code BC = sum_i sqrt(P_i Q_i)}
 * with {@code Q_i} the reference mass of bin {@code i}, distance {@code -ln BC}. It equals the continuous
 * {@code integral sqrt(p q)} when the reference is uniform within every bin and bounds it from above otherwise
 * (Cauchy–Schwarz), so it is a lower bound on the continuous distance. Reference mass outside {@code [0, 10^p)}
 * contributes nothing.
 *
 * <p>Only meaningful for fixed-width codes read digit by digit (digit-per-token vocabularies). Immutable.
 */
public final class DigitDistribution {

    private final int[] path;
    private final double[][] q;
    private final double[] rawMass;
    private final double[] lo;
    private final double[] hi;
    private final double[] mass;

    private DigitDistribution(int[] path, double[][] q, double[] rawMass) {
        this.path = path;
        this.q = q;
        this.rawMass = rawMass;
        int p = path.length;
        int n = 9 * p + 1;
        double[] blo = new double[n];
        double[] bhi = new double[n];
        double[] bm = new double[n];
        int b = 0;
        double prefixMass = 1;
        long prefix = 0;
        for (int k = 0; k < p; k++) {
            double w = DigitFormat.pow10(p - k - 1);
            for (int j = 0; j < 10; j++) {
                if (k < p - 1 && j == path[k]) {
                    continue;
                }
                blo[b] = (prefix * 10 + j) * w;
                bhi[b] = blo[b] + w;
                bm[b] = prefixMass * q[k][j];
                b++;
            }
            prefixMass *= q[k][path[k]];
            prefix = prefix * 10 + path[k];
        }
        // Sort bins by position so that callers can plot or integrate them left to right.
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Double.compare(blo[x], blo[y]));
        lo = new double[n];
        hi = new double[n];
        mass = new double[n];
        for (int i = 0; i < n; i++) {
            lo[i] = blo[order[i]];
            hi[i] = bhi[order[i]];
            mass[i] = bm[order[i]];
        }
    }

    /**
     * @param digits the true digits {@code d_1..d_p}, most significant first, each 0..9; copied
     * @param probabilities {@code [p][10]}: row {@code k} the probabilities of the 10 digits at level {@code k}
     *     given the true prefix; non-negative, finite, each row with a positive sum; copied and renormalised
     * @return the distribution
     * @throws IllegalArgumentException naming the level or digit at fault
     */
    public static DigitDistribution of(int[] digits, double[][] probabilities) {
        Objects.requireNonNull(digits, "digits");
        Objects.requireNonNull(probabilities, "probabilities");
        int p = digits.length;
        if (p < 1 || p > 15) {
            throw new IllegalArgumentException("number of digits must be in [1, 15], got " + p);
        }
        if (probabilities.length != p) {
            throw new IllegalArgumentException(p + " digits but " + probabilities.length + " probability rows");
        }
        double[][] q = new double[p][10];
        double[] raw = new double[p];
        for (int k = 0; k < p; k++) {
            if (digits[k] < 0 || digits[k] > 9) {
                throw new IllegalArgumentException("digit " + k + " is " + digits[k] + ", not 0..9");
            }
            if (probabilities[k] == null || probabilities[k].length != 10) {
                throw new IllegalArgumentException("probability row " + k + " needs 10 entries");
            }
            double s = 0;
            for (int j = 0; j < 10; j++) {
                double v = probabilities[k][j];
                if (!(v >= 0) || !Double.isFinite(v)) {
                    throw new IllegalArgumentException("probability of digit " + j + " at level " + k + " is " + v);
                }
                s += v;
            }
            if (!(s > 0)) {
                throw new IllegalArgumentException("probabilities at level " + k + " sum to 0");
            }
            raw[k] = s;
            for (int j = 0; j < 10; j++) {
                q[k][j] = probabilities[k][j] / s;
            }
        }
        return new DigitDistribution(digits.clone(), q, raw);
    }

    /**
     * Splits a code into its digits.
     *
     * @param code non-negative code
     * @param width digits to produce (zero-padded), {@code code < 10^width}
     * @return the digits, most significant first
     */
    public static int[] digitsOf(long code, int width) {
        if (width < 1 || width > 18 || code < 0 || code >= DigitFormat.pow10(width)) {
            throw new IllegalArgumentException("code " + code + " does not have " + width + " digits");
        }
        int[] d = new int[width];
        for (int k = width - 1; k >= 0; k--) {
            d[k] = (int) (code % 10);
            code /= 10;
        }
        return d;
    }

    /** @return {@code p} */
    public int digits() {
        return path.length;
    }

    /** @return the true digit path; a copy */
    public int[] path() {
        return path.clone();
    }

    /**
     * One entry of the renormalised next-digit table.
     *
     * @param k level (digit position), 0-based, in {@code [0, p)}
     * @param j digit, {@code 0..9}
     * @return the renormalised probability {@code q_k(j)} of digit {@code j} at level {@code k}
     */
    public double probability(int k, int j) {
        return q[k][j];
    }

    /**
     * How much probability the model put on digit tokens at one level, before renormalisation.
     *
     * @param k level (digit position), 0-based, in {@code [0, p)}
     * @return the sum of the raw probabilities given for level {@code k} (mass on digit tokens), in {@code [0, 1]}
     */
    public double rawMass(int k) {
        return rawMass[k];
    }

    /** @return number of bins, {@code 9p + 1} */
    public int bins() {
        return mass.length;
    }

    /** @return copies of the bin lower ends on the digit axis, ascending */
    public double[] binLo() {
        return lo.clone();
    }

    /** @return copies of the bin upper ends (exclusive) */
    public double[] binHi() {
        return hi.clone();
    }

    /** @return copies of the bin masses (sum 1) */
    public double[] binMass() {
        return mass.clone();
    }

    /** @return the mean of the implied distribution on the digit axis (bin mass times bin centre) */
    public double mean() {
        double m = 0;
        for (int i = 0; i < mass.length; i++) {
            m += mass[i] * 0.5 * (lo[i] + hi[i]);
        }
        return m;
    }

    /** @return the variance of the implied (piecewise uniform) distribution on the digit axis */
    public double variance() {
        double m = mean();
        double v = 0;
        for (int i = 0; i < mass.length; i++) {
            double w = hi[i] - lo[i];
            double c = 0.5 * (lo[i] + hi[i]) - m;
            v += mass[i] * (c * c + w * w / 12);
        }
        return v;
    }

    /**
     * @param cdf the reference distribution function on the digit axis, non-decreasing
     * @return the reference mass of each bin, {@code cdf(hi) - cdf(lo)}
     */
    public double[] referenceMasses(DoubleUnaryOperator cdf) {
        Objects.requireNonNull(cdf, "cdf");
        double[] r = new double[mass.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = cdf.applyAsDouble(hi[i]) - cdf.applyAsDouble(lo[i]);
            if (!(r[i] >= -1e-12) || !Double.isFinite(r[i])) {
                throw new IllegalArgumentException("reference cdf gives mass " + r[i] + " to bin [" + lo[i] + ", "
                        + hi[i] + ") (not a distribution function?)");
            }
            r[i] = Math.max(0, r[i]);
        }
        return r;
    }

    /**
     * @param referenceMasses reference mass per bin, in {@link #binLo()} order; non-negative
     * @return {@code sum_i sqrt(P_i Q_i)}
     */
    public double bhattacharyyaCoefficient(double[] referenceMasses) {
        Objects.requireNonNull(referenceMasses, "referenceMasses");
        if (referenceMasses.length != mass.length) {
            throw new IllegalArgumentException(referenceMasses.length + " reference masses for " + mass.length
                    + " bins");
        }
        double bc = 0;
        for (int i = 0; i < mass.length; i++) {
            if (!(referenceMasses[i] >= 0)) {
                throw new IllegalArgumentException("reference mass of bin " + i + " is " + referenceMasses[i]);
            }
            bc += Math.sqrt(mass[i] * referenceMasses[i]);
        }
        return bc;
    }

    /**
     * Bhattacharyya distance to a reference given as bin masses.
     *
     * @param referenceMasses reference mass of each of the {@link #bins()} bins, each in {@code [0, 1]}
     * @return {@code -ln BC} ({@code +inf} for disjoint supports)
     * @throws IllegalArgumentException if the length differs from {@link #bins()} or a mass is negative or NaN
     */
    public double bhattacharyyaDistance(double[] referenceMasses) {
        return -Math.log(bhattacharyyaCoefficient(referenceMasses));
    }

    /**
     * Bhattacharyya distance to a reference given as a distribution function.
     *
     * @param cdf reference cumulative distribution function on the digit axis (value → probability of
     *     {@code <= value}); only evaluated at bin edges
     * @return {@code -ln BC} over this distribution's bins, a lower bound on the continuous distance
     */
    public double bhattacharyyaDistance(DoubleUnaryOperator cdf) {
        return bhattacharyyaDistance(referenceMasses(cdf));
    }
}
