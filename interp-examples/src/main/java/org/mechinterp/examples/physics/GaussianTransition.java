package org.mechinterp.examples.physics;

/**
 * The exact one-step transition density of a Markov system with independent Gaussian increments per component:
 * {@code x[t+1] | x[t] ~ N(mean(x[t]), diag(variance(x[t])))}. Used to score forecast distributions against the
 * true next-state distribution (e.g. Bhattacharyya distance).
 */
public interface GaussianTransition {

    /**
     * @param state {@code x[t]}, length = number of components; not modified
     * @return a new array: the mean of {@code x[t+1]}
     */
    double[] mean(double[] state);

    /**
     * @param state {@code x[t]}; not modified
     * @return a new array: the variance of each component of {@code x[t+1]} (components independent)
     */
    double[] variance(double[] state);

    /**
     * @param from {@code x[t]}
     * @param to {@code x[t+1]}
     * @return {@code log p(to | from)}
     */
    default double logDensity(double[] from, double[] to) {
        double[] m = mean(from);
        double[] v = variance(from);
        if (to.length != m.length) {
            throw new IllegalArgumentException("state has " + to.length + " components, expected " + m.length);
        }
        double log = 0;
        for (int i = 0; i < m.length; i++) {
            double d = to[i] - m[i];
            log += -0.5 * (Math.log(2 * Math.PI * v[i]) + d * d / v[i]);
        }
        return log;
    }
}
