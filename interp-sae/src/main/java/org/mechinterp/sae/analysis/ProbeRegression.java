package org.mechinterp.sae.analysis;

import java.util.Arrays;
import java.util.Objects;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;

/**
 * A ridge-regression linear probe from the full residual vector to a quantity: the linear upper bound the single
 * features are compared with.
 *
 * <p>Features are standardised with the discovery means and standard deviations, the target centred on its
 * discovery mean; {@code w = (XᵀX + λI)⁻¹ Xᵀy} (EJML, Cholesky). λ is chosen from a log grid by K-fold
 * cross-validation on the discovery rows with folds made of whole trajectories (so neighbouring time steps never
 * straddle train and validation). The probe is then refit on all discovery rows and scored by
 * {@code R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ_heldout)²} on the held-out rows. Stateless apart from its settings.
 *
 * @param lambdas the λ grid (on standardised features), ascending
 * @param folds number of CV folds (≥ 2)
 */
public record ProbeRegression(double[] lambdas, int folds) {

    /**
     * The default grid 10^-3 .. 10^7 (11 values) and 5 folds.
     *
     * @return a probe with λ ∈ {10^-3, ..., 10^7} and 5 folds
     */
    public static ProbeRegression defaults() {
        double[] l = new double[11];
        for (int i = 0; i < l.length; i++) {
            l[i] = Math.pow(10, i - 3);
        }
        return new ProbeRegression(l, 5);
    }

    /**
     * Checks and copies the grid.
     *
     * @param lambdas the λ grid, each &gt; 0; copied
     * @param folds number of CV folds, ≥ 2
     * @throws IllegalArgumentException for an empty grid, fewer than 2 folds or a λ that is not &gt; 0
     */
    public ProbeRegression {
        Objects.requireNonNull(lambdas, "lambdas");
        if (lambdas.length == 0 || folds < 2) {
            throw new IllegalArgumentException("need at least one λ and 2 folds");
        }
        for (double v : lambdas) {
            if (!(v > 0)) {
                throw new IllegalArgumentException("ridge λ must be > 0, got " + v);
            }
        }
        lambdas = lambdas.clone();
    }

    /**
     * @param lambda chosen λ
     * @param cvR2 mean cross-validated R² on discovery at that λ
     * @param heldOutR2 R² on the held-out rows
     * @param trainR2 R² on the discovery rows (refit)
     */
    public record Result(double lambda, double cvR2, double heldOutR2, double trainR2) {
    }

    /**
     * @param discovery features on discovery rows (groups = trajectories)
     * @param yDiscovery target on discovery rows
     * @param heldOut features on held-out rows
     * @param yHeldOut target on held-out rows
     * @return the chosen λ with its cross-validated, held-out and training R²
     */
    public Result fit(FeatureMatrix discovery, double[] yDiscovery, FeatureMatrix heldOut, double[] yHeldOut) {
        if (discovery.features() != heldOut.features()) {
            throw new IllegalArgumentException("discovery and held-out feature counts differ");
        }
        int[] groups = discovery.groups();
        int[] distinct = Arrays.stream(groups).distinct().sorted().toArray();
        int k = Math.min(folds, distinct.length);
        if (k < 2) {
            throw new IllegalArgumentException("cross-validation needs at least 2 discovery trajectories");
        }
        // The normal equations of a fold do not depend on λ: form them once, solve once per λ.
        double[] score = new double[lambdas.length];
        for (int f = 0; f < k; f++) {
            boolean[] val = new boolean[discovery.rows()];
            for (int i = 0; i < val.length; i++) {
                val[i] = Arrays.binarySearch(distinct, groups[i]) % k == f;
            }
            Normal eq = Normal.of(discovery, yDiscovery, val);
            for (int li = 0; li < lambdas.length; li++) {
                score[li] += r2(eq.solve(lambdas[li]), discovery, yDiscovery, val) / k;
            }
        }
        int best = 0;
        for (int li = 1; li < lambdas.length; li++) {
            if (score[li] > score[best]) {
                best = li;
            }
        }
        Model m = Normal.of(discovery, yDiscovery, null).solve(lambdas[best]);
        return new Result(lambdas[best], score[best], r2(m, heldOut, yHeldOut, null),
                r2(m, discovery, yDiscovery, null));
    }

    /** A fitted probe: standardisation and weights. */
    private record Model(double[] mean, double[] scale, double yMean, double[] w) {
        double predict(FeatureMatrix x, int i) {
            double s = yMean;
            for (int j = 0; j < w.length; j++) {
                s += (x.get(i, j) - mean[j]) * scale[j] * w[j];
            }
            return s;
        }
    }

    /** The standardised normal equations AᵀA w = Aᵀb of the rows where {@code exclude} is false (all when null). */
    private record Normal(double[] mean, double[] scale, double yMean, DMatrixRMaj ata, DMatrixRMaj atb) {

        static Normal of(FeatureMatrix x, double[] y, boolean[] exclude) {
            int d = x.features();
            int n = 0;
            double[] mean = new double[d];
            double yMean = 0;
            for (int i = 0; i < x.rows(); i++) {
                if (exclude != null && exclude[i]) {
                    continue;
                }
                n++;
                yMean += y[i];
                for (int j = 0; j < d; j++) {
                    mean[j] += x.get(i, j);
                }
            }
            if (n < 2) {
                throw new IllegalArgumentException("ridge probe needs at least 2 training rows");
            }
            yMean /= n;
            for (int j = 0; j < d; j++) {
                mean[j] /= n;
            }
            double[] var = new double[d];
            for (int i = 0; i < x.rows(); i++) {
                if (exclude != null && exclude[i]) {
                    continue;
                }
                for (int j = 0; j < d; j++) {
                    double v = x.get(i, j) - mean[j];
                    var[j] += v * v;
                }
            }
            double[] scale = new double[d];
            for (int j = 0; j < d; j++) {
                double sd = Math.sqrt(var[j] / n);
                scale[j] = sd > 1e-12 ? 1 / sd : 0;
            }
            DMatrixRMaj a = new DMatrixRMaj(n, d);
            DMatrixRMaj b = new DMatrixRMaj(n, 1);
            int r = 0;
            for (int i = 0; i < x.rows(); i++) {
                if (exclude != null && exclude[i]) {
                    continue;
                }
                for (int j = 0; j < d; j++) {
                    a.set(r, j, (x.get(i, j) - mean[j]) * scale[j]);
                }
                b.set(r, 0, y[i] - yMean);
                r++;
            }
            DMatrixRMaj ata = new DMatrixRMaj(d, d);
            CommonOps_DDRM.multTransA(a, a, ata);
            DMatrixRMaj atb = new DMatrixRMaj(d, 1);
            CommonOps_DDRM.multTransA(a, b, atb);
            return new Normal(mean, scale, yMean, ata, atb);
        }

        /** Solves (AᵀA + λI) w = Aᵀb (Cholesky). */
        Model solve(double lambda) {
            int d = mean.length;
            DMatrixRMaj m = ata.copy();
            for (int j = 0; j < d; j++) {
                m.add(j, j, lambda);
            }
            LinearSolverDense<DMatrixRMaj> solver = LinearSolverFactory_DDRM.chol(d);
            if (!solver.setA(m)) {
                throw new IllegalStateException("ridge system is not positive definite (λ = " + lambda + ")");
            }
            DMatrixRMaj w = new DMatrixRMaj(d, 1);
            solver.solve(atb, w);
            return new Model(mean, scale, yMean, w.getData().clone());
        }
    }

    /** R² on the rows where {@code only} is true (all rows when null), centred on those rows' own mean. */
    private static double r2(Model m, FeatureMatrix x, double[] y, boolean[] only) {
        double mean = 0;
        int n = 0;
        for (int i = 0; i < x.rows(); i++) {
            if (only == null || only[i]) {
                mean += y[i];
                n++;
            }
        }
        mean /= n;
        double sse = 0;
        double sst = 0;
        for (int i = 0; i < x.rows(); i++) {
            if (only == null || only[i]) {
                double e = y[i] - m.predict(x, i);
                sse += e * e;
                sst += (y[i] - mean) * (y[i] - mean);
            }
        }
        return sst > 0 ? 1 - sse / sst : Double.NaN;
    }
}
