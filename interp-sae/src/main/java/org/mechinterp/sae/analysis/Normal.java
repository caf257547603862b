package org.mechinterp.sae.analysis;

/**
 * The standard normal distribution function, to double precision.
 *
 * <p>Algorithm: Hart (1968) as given by G. West, "Better approximations to cumulative normal functions",
 * Wilmott Magazine (2005): a rational approximation of {@code exp(x^2/2) Phi(-|x|)} for {@code |x| < 7.07} and a
 * continued fraction beyond, absolute error about 1e-15 (Java has no {@code erf}).
 */
public final class Normal {

    private Normal() {
    }

    /**
     * @param x any real ({@code NaN} gives {@code NaN})
     * @return {@code Phi(x) = P(Z <= x)} for {@code Z ~ N(0, 1)}
     */
    public static double cdf(double x) {
        if (Double.isNaN(x)) {
            return Double.NaN;
        }
        double ax = Math.abs(x);
        double tail;
        if (ax > 37) {
            tail = 0;
        } else {
            double e = Math.exp(-ax * ax / 2);
            if (ax < 7.07106781186547) {
                double b = 3.52624965998911e-02 * ax + 0.700383064443688;
                b = b * ax + 6.37396220353165;
                b = b * ax + 33.912866078383;
                b = b * ax + 112.079291497871;
                b = b * ax + 221.213596169931;
                b = b * ax + 220.206867912376;
                double num = e * b;
                b = 8.83883476483184e-02 * ax + 1.75566716318264;
                b = b * ax + 16.064177579207;
                b = b * ax + 86.7807322029461;
                b = b * ax + 296.564248779674;
                b = b * ax + 637.333633378831;
                b = b * ax + 793.826512519948;
                b = b * ax + 440.413735824752;
                tail = num / b;
            } else {
                double b = ax + 0.65;
                b = ax + 4 / b;
                b = ax + 3 / b;
                b = ax + 2 / b;
                b = ax + 1 / b;
                tail = e / b / 2.506628274631;
            }
        }
        return x > 0 ? 1 - tail : tail;
    }

    /**
     * @param x the point at which the CDF is evaluated
     * @param mean the distribution's mean
     * @param sd the standard deviation, &gt; 0
     * @return {@code P(X <= x)} for {@code X ~ N(mean, sd^2)}
     * @throws IllegalArgumentException if {@code sd <= 0}
     */
    public static double cdf(double x, double mean, double sd) {
        if (!(sd > 0)) {
            throw new IllegalArgumentException("standard deviation must be positive, got " + sd);
        }
        return cdf((x - mean) / sd);
    }
}
