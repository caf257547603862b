package org.mechinterp.sae.analysis;

import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A power law {@code error ≈ A · c^b} fitted as the least-squares line {@code ln error = a + b ln c}, with a 95%
 * confidence interval for the exponent {@code b}: a percentile bootstrap over trajectories when per-trajectory
 * errors are given ({@link #fitBootstrap}), else a t-interval from the regression residuals ({@link #fit}).
 *
 * @param exponent the fitted slope b
 * @param intercept the fitted a (natural log)
 * @param lower lower end of the 95% interval for b
 * @param upper upper end of the 95% interval for b
 * @param method how the interval was made: {@code "t"} or {@code "bootstrap"}
 * @param points number of context lengths in the fit
 */
public record PowerLawFit(double exponent, double intercept, double lower, double upper, String method,
        int points) {

    /**
     * Fits by OLS on the logs with a t-interval (n − 2 degrees of freedom).
     *
     * @param contexts context lengths, positive
     * @param errors errors, positive (a zero error cannot be put on log axes)
     * @return the exponent and intercept of log e = a + b·log c, with the exponent's 95% t-interval
     * @throws IllegalArgumentException for fewer than 3 points or non-positive values
     */
    public static PowerLawFit fit(double[] contexts, double[] errors) {
        double[][] logs = logs(contexts, errors);
        double[] abse = Stats.line(logs[0], logs[1]);
        double half = Stats.t975(contexts.length - 2) * abse[2];
        return new PowerLawFit(abse[1], abse[0], abse[1] - half, abse[1] + half, "t", contexts.length);
    }

    /**
     * Fits the root-mean-square error per context length, {@code e(c) = sqrt(mean_j sq[j][c])}, and bootstraps
     * the exponent by resampling trajectories j with replacement.
     *
     * @param contexts context lengths [C], positive
     * @param squaredErrors per trajectory and context [J][C] (e.g. mean squared error over components)
     * @param resamples bootstrap resamples, {@code >= 100}
     * @param seed resampling seed
     * @return the fit of the RMS errors, with the exponent's 95% interval from the bootstrap percentiles
     */
    public static PowerLawFit fitBootstrap(double[] contexts, double[][] squaredErrors, int resamples, long seed) {
        Objects.requireNonNull(squaredErrors, "squaredErrors");
        if (resamples < 100) {
            throw new IllegalArgumentException("use at least 100 bootstrap resamples, got " + resamples);
        }
        int j = squaredErrors.length;
        if (j < 2) {
            throw new IllegalArgumentException("bootstrap needs at least 2 trajectories, got " + j);
        }
        PowerLawFit point = fit(contexts, rms(squaredErrors, identity(j)));
        SplittableRandom rng = new SplittableRandom(seed);
        double[] slopes = new double[resamples];
        int[] pick = new int[j];
        for (int r = 0; r < resamples; r++) {
            for (int i = 0; i < j; i++) {
                pick[i] = rng.nextInt(j);
            }
            double[][] logs = logs(contexts, rms(squaredErrors, pick));
            slopes[r] = Stats.line(logs[0], logs[1])[1];
        }
        return new PowerLawFit(point.exponent, point.intercept, Stats.quantile(slopes, 0.025),
                Stats.quantile(slopes, 0.975), "bootstrap", contexts.length);
    }

    /**
     * @param c context length, &gt; 0
     * @return the fitted error at context length {@code c}
     */
    public double predict(double c) {
        return Math.exp(intercept + exponent * Math.log(c));
    }

    /**
     * @param sq squared errors [J][C]
     * @param rows the trajectories j to average over (repeats allowed, as in a bootstrap resample)
     * @return per context c, {@code sqrt(mean over rows of sq[j][c])}
     */
    public static double[] rms(double[][] sq, int[] rows) {
        int c = sq[0].length;
        double[] out = new double[c];
        for (int k = 0; k < c; k++) {
            double s = 0;
            for (int r : rows) {
                s += sq[r][k];
            }
            out[k] = Math.sqrt(s / rows.length);
        }
        return out;
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    private static double[][] logs(double[] contexts, double[] errors) {
        Objects.requireNonNull(contexts, "contexts");
        Objects.requireNonNull(errors, "errors");
        if (contexts.length != errors.length) {
            throw new IllegalArgumentException(contexts.length + " context lengths but " + errors.length + " errors");
        }
        if (contexts.length < 3) {
            throw new IllegalArgumentException("a power-law fit needs at least 3 context lengths, got "
                    + contexts.length);
        }
        double[] lx = new double[contexts.length];
        double[] ly = new double[contexts.length];
        for (int i = 0; i < lx.length; i++) {
            if (!(contexts[i] > 0) || !(errors[i] > 0) || !Double.isFinite(errors[i])) {
                throw new IllegalArgumentException("power-law fit needs positive finite values; point " + i
                        + " is (" + contexts[i] + ", " + errors[i] + ")");
            }
            lx[i] = Math.log(contexts[i]);
            ly[i] = Math.log(errors[i]);
        }
        return new double[][] {lx, ly};
    }
}
