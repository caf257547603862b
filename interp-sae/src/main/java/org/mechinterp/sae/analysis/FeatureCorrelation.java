package org.mechinterp.sae.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Correlates every feature of a family with every quantity, selects on discovery groups (trajectories, prompts) and
 * scores on held-out ones.
 *
 * <p><b>Procedure</b> per family and quantity q (rows = tokens; in the physics study one read-out token per time
 * step). Groups are exchanged by the null only with groups of the same length ({@code GroupBlocks}):
 * <ol>
 *   <li>Pearson r of every feature with q on the discovery rows; the feature with the largest |r| is selected.
 *   Constant (e.g. dead) features get r = 0.</li>
 *   <li>Null: q's per-group series are permuted across discovery groups ({@code permutations} times,
 *   seeded), which keeps autocorrelation and marginals but breaks the feature ↔ group link. Per feature,
 *   p-values come from a normal fit to the null Fisher-z values ({@code atanh r}), so that they resolve below the
 *   1/(P+1) floor of an empirical permutation p; Benjamini–Hochberg over the family's features gives q-values.
 *   The selection itself gets a family-wise empirical p from the null distribution of the max |r|.</li>
 *   <li>Held out: the selected feature's Pearson and Spearman r on the held-out rows (sign-aligned with discovery),
 *   and its own empirical permutation p over held-out groups.</li>
 * </ol>
 * The correlations of all features with all permuted series are one GEMM per family (DJL, float32, on standardised
 * columns), in a manager closed before returning.
 */
public final class FeatureCorrelation {

    private final int permutations;
    private final long seed;
    private final double fdr;

    private FeatureCorrelation(Builder b) {
        this.permutations = b.permutations;
        this.seed = b.seed;
        this.fdr = b.fdr;
    }

    /**
     * A new builder with the default permutations (200), seed (7) and FDR level (0.05).
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A family's result for one quantity, with every feature's discovery and held-out r (for plots) and its
     * discovery p-value (normal fit to the null Fisher-z values) and Benjamini–Hochberg q-value over the family.
     * The arrays are [features] and owned by the caller.
     */
    public record Analysis(FamilyCorrelation summary, double[] discoveryR, double[] heldOutR, double[] discoveryP,
            double[] discoveryQ) {
    }

    /**
     * @param family family name (for the result)
     * @param discovery features on discovery rows
     * @param heldOut the same features on held-out rows
     * @param quantities per quantity name, its values on discovery rows and on held-out rows ({@code [2][rows]})
     * @return one analysis per quantity, in the map's order
     */
    public List<Analysis> analyse(String family, FeatureMatrix discovery, FeatureMatrix heldOut,
            Map<String, double[][]> quantities) {
        Objects.requireNonNull(family, "family");
        if (discovery.features() != heldOut.features()) {
            throw new IllegalArgumentException("discovery has " + discovery.features() + " features, held-out "
                    + heldOut.features());
        }
        GroupBlocks dBlocks = GroupBlocks.of(discovery.groups());
        GroupBlocks hBlocks = GroupBlocks.of(heldOut.groups());
        int n = discovery.features();
        List<Analysis> out = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray xd = standardised(m, discovery);
            NDArray xh = standardised(m, heldOut);
            SplittableRandom root = new SplittableRandom(seed);
            for (Map.Entry<String, double[][]> e : quantities.entrySet()) {
                double[] qd = e.getValue()[0];
                double[] qh = e.getValue()[1];
                if (qd.length != discovery.rows() || qh.length != heldOut.rows()) {
                    throw new IllegalArgumentException("quantity " + e.getKey() + " has " + qd.length + "/"
                            + qh.length + " values for " + discovery.rows() + "/" + heldOut.rows() + " rows");
                }
                SplittableRandom rng = root.split();
                // Column 0: the observed series; columns 1..P: trajectory permutations.
                double[][] ys = new double[permutations + 1][];
                ys[0] = qd;
                for (int p = 1; p <= permutations; p++) {
                    ys[p] = dBlocks.permute(qd, dBlocks.randomPermutation(rng));
                }
                double[][] r = correlate(m, xd, ys, discovery.rows(), n); // [P+1][n]
                double[] obs = r[0];
                int best = 0;
                for (int j = 1; j < n; j++) {
                    if (Math.abs(obs[j]) > Math.abs(obs[best])) {
                        best = j;
                    }
                }
                double[] pApprox = new double[n];
                for (int j = 0; j < n; j++) {
                    pApprox[j] = approxP(obs[j], r, j);
                }
                double[] q = Stats.benjaminiHochberg(pApprox);
                int significant = 0;
                for (double v : q) {
                    significant += v <= fdr ? 1 : 0;
                }
                int exceed = 0;
                double bestAbs = Math.abs(obs[best]);
                for (int p = 1; p <= permutations; p++) {
                    double mx = 0;
                    for (int j = 0; j < n; j++) {
                        mx = Math.max(mx, Math.abs(r[p][j]));
                    }
                    exceed += mx >= bestAbs ? 1 : 0;
                }
                double selectionP = (1.0 + exceed) / (permutations + 1);
                double[] heldAll = correlate(m, xh, new double[][] {qh}, heldOut.rows(), n)[0];
                double sign = obs[best] >= 0 ? 1 : -1;
                double[] dCol = discovery.column(best);
                double[] hCol = heldOut.column(best);
                double held = Stats.pearson(hCol, qh);
                int hExceed = 0;
                for (int p = 0; p < permutations; p++) {
                    double rp = Stats.pearson(hCol, hBlocks.permute(qh, hBlocks.randomPermutation(rng)));
                    hExceed += Math.abs(rp) >= Math.abs(held) ? 1 : 0;
                }
                double maxHeld = 0;
                for (double v : heldAll) {
                    maxHeld = Math.max(maxHeld, Math.abs(v));
                }
                FamilyCorrelation summary = new FamilyCorrelation(family, e.getKey(), n, best, obs[best],
                        Stats.spearman(dCol, qd), selectionP, q[best], significant, sign * held, Math.abs(held),
                        sign * Stats.spearman(hCol, qh), (1.0 + hExceed) / (permutations + 1), maxHeld);
                out.add(new Analysis(summary, obs, heldAll, pApprox, q));
            }
        }
        return out;
    }

    /** Two-sided p of r_j from a normal fitted to its null Fisher-z values. */
    private double approxP(double observed, double[][] r, int j) {
        if (observed == 0) {
            return 1;
        }
        double s = 0;
        double ss = 0;
        for (int p = 1; p <= permutations; p++) {
            double z = atanh(r[p][j]);
            s += z;
            ss += z * z;
        }
        double mu = s / permutations;
        double var = Math.max(ss / permutations - mu * mu, 0) * permutations / (permutations - 1.0);
        double sd = Math.sqrt(var);
        if (!(sd > 0)) {
            return 1;
        }
        double z = Math.abs(atanh(observed) - mu) / sd;
        return Math.min(1, 2 * (1 - Normal.cdf(z)));
    }

    private static double atanh(double r) {
        double c = Math.max(-1 + 1e-9, Math.min(1 - 1e-9, r));
        return 0.5 * Math.log((1 + c) / (1 - c));
    }

    /** Columns centred and scaled to unit norm (constant columns left at 0), as float32 [rows, n]. */
    private static NDArray standardised(NDManager m, FeatureMatrix x) {
        int rows = x.rows();
        int n = x.features();
        double[] mean = new double[n];
        double[] ss = new double[n];
        double[] v = x.values();
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < n; j++) {
                mean[j] += v[i * n + j];
            }
        }
        for (int j = 0; j < n; j++) {
            mean[j] /= rows;
        }
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < n; j++) {
                double d = v[i * n + j] - mean[j];
                ss[j] += d * d;
            }
        }
        float[] z = new float[rows * n];
        for (int j = 0; j < n; j++) {
            // A column whose spread is at float rounding level of its mean is constant for our purposes.
            double scale = ss[j] > 1e-24 * Math.max(1, mean[j] * mean[j] * rows) ? 1 / Math.sqrt(ss[j]) : 0;
            for (int i = 0; i < rows; i++) {
                z[i * n + j] = (float) ((v[i * n + j] - mean[j]) * scale);
            }
        }
        return m.create(z, new Shape(rows, n));
    }

    /** r[k][j] = Pearson r of feature j with series k, via one GEMM on unit-norm centred columns. */
    private static double[][] correlate(NDManager m, NDArray x, double[][] ys, int rows, int n) {
        int k = ys.length;
        float[] y = new float[rows * k];
        for (int c = 0; c < k; c++) {
            double[] s = ys[c];
            double mean = Stats.mean(s);
            double ss = 0;
            for (double v : s) {
                ss += (v - mean) * (v - mean);
            }
            double scale = ss > 0 ? 1 / Math.sqrt(ss) : 0;
            for (int i = 0; i < rows; i++) {
                y[i * k + c] = (float) ((s[i] - mean) * scale);
            }
        }
        try (NDManager sub = m.newSubManager()) {
            NDArray yn = sub.create(y, new Shape(rows, k));
            NDArray r = yn.transpose().matMul(x); // [k, n], attached to sub (first operand)
            float[] f = r.toFloatArray();
            double[][] out = new double[k][n];
            for (int c = 0; c < k; c++) {
                for (int j = 0; j < n; j++) {
                    out[c][j] = Math.max(-1, Math.min(1, f[c * n + j]));
                }
            }
            return out;
        }
    }

    /** Builder: all optional. */
    public static final class Builder {
        private int permutations = 200;
        private long seed = 7;
        private double fdr = 0.05;

        private Builder() {
        }

        /**
         * Trajectory permutations of the null (default 200).
         *
         * @param p number of permutations, ≥ 20
         * @return this builder
         */
        public Builder optPermutations(int p) {
            this.permutations = p;
            return this;
        }

        /**
         * Permutation seed (default 7).
         *
         * @param seed seed of the permutations
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * FDR level for counting significant features (default 0.05).
         *
         * @param fdr Benjamini–Hochberg level, in (0, 1)
         * @return this builder
         */
        public Builder optFdr(double fdr) {
            this.fdr = fdr;
            return this;
        }

        /**
         * @return the configured analysis
         * @throws IllegalArgumentException for fewer than 20 permutations or an FDR level outside (0, 1)
         */
        public FeatureCorrelation build() {
            if (permutations < 20) {
                throw new IllegalArgumentException("use at least 20 permutations, got " + permutations);
            }
            if (!(fdr > 0 && fdr < 1)) {
                throw new IllegalArgumentException("FDR level must be in (0, 1), got " + fdr);
            }
            return new FeatureCorrelation(this);
        }
    }
}
