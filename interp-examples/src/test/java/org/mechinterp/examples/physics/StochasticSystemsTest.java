package org.mechinterp.examples.physics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mechinterp.examples.physics.ConservativeSystemsTest.params;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Brownian motion and Ornstein–Uhlenbeck against their exact moments, with tolerances of 4.5 standard errors
 * for the sample size (false-failure rate about 1e-5 per check), and the exposed transition density against the
 * simulated increments.
 */
class StochasticSystemsTest {

    static final int N = 20_000;

    /** Sample mean and variance of state {@code step} over {@code N} independent trajectories. */
    static double[] moments(PhysicalSystem sys, Map<String, Double> p, int step, long seed) {
        SplittableRandom root = new SplittableRandom(seed);
        double s = 0;
        double ss = 0;
        for (int i = 0; i < N; i++) {
            double x = sys.simulate(p, step + 1, root.split()).value(step, 0);
            s += x;
            ss += x * x;
        }
        double mean = s / N;
        return new double[] {mean, (ss - N * mean * mean) / (N - 1)};
    }

    static void assertMoments(double[] m, double mean, double var) {
        assertEquals(mean, m[0], 4.5 * Math.sqrt(var / N), "mean");
        assertEquals(var, m[1], 4.5 * var * Math.sqrt(2.0 / (N - 1)), "variance");
    }

    @Test
    void brownianMomentsMatchTheory() {
        Map<String, Double> p = params("mu", 0.7, "sigma", 1.3, "x_0", -0.4);
        double[] m = moments(BrownianMotion.builder().build(), p, 20, 11);
        double t = 20 * 0.1;
        System.err.printf("brownian t=2: mean %.4f (theory %.4f), var %.4f (theory %.4f)%n", m[0], -0.4 + 0.7 * t,
                m[1], 1.69 * t);
        assertMoments(m, -0.4 + 0.7 * t, 1.69 * t);
    }

    @Test
    void ouMomentsMatchTheory() {
        Map<String, Double> p = params("theta", 1.0, "mu", 0.5, "sigma", 0.8, "x_0", 2.0);
        double[] m = moments(OrnsteinUhlenbeck.builder().build(), p, 20, 12);
        double t = 2.0;
        double mean = 0.5 + 1.5 * Math.exp(-t);
        double var = 0.64 * (1 - Math.exp(-2 * t)) / 2;
        System.err.printf("ou t=2: mean %.4f (theory %.4f), var %.4f (theory %.4f)%n", m[0], mean, m[1], var);
        assertMoments(m, mean, var);
    }

    @Test
    void transitionDensityStandardisesTheIncrements() {
        int n = 50_000;
        for (PhysicalSystem sys : new PhysicalSystem[] {BrownianMotion.builder().build(),
                OrnsteinUhlenbeck.builder().build()}) {
            Trajectory t = sys.simulate(n + 1, new SplittableRandom(5));
            assertTrue(t.stochastic());
            GaussianTransition tr = t.transition().orElseThrow();
            double s = 0;
            double ss = 0;
            double lag = 0;
            double prev = 0;
            for (int i = 0; i < n; i++) {
                double[] from = t.state(i);
                double z = (t.value(i + 1, 0) - tr.mean(from)[0]) / Math.sqrt(tr.variance(from)[0]);
                s += z;
                ss += z * z;
                lag += z * prev;
                prev = z;
            }
            assertEquals(0, s / n, 4.5 / Math.sqrt(n), sys.name() + " residual mean");
            assertEquals(1, ss / n, 4.5 * Math.sqrt(2.0 / n), sys.name() + " residual variance");
            assertEquals(0, lag / n, 4.5 / Math.sqrt(n), sys.name() + " residual lag-1 correlation");
            // log density = the Gaussian formula
            double[] a = t.state(0);
            double[] b = t.state(1);
            double m = tr.mean(a)[0];
            double v = tr.variance(a)[0];
            assertEquals(-0.5 * Math.log(2 * Math.PI * v) - (b[0] - m) * (b[0] - m) / (2 * v), tr.logDensity(a, b),
                    1e-12);
        }
    }

    @Test
    void quantitiesOfStochasticSystems() {
        Trajectory ou = OrnsteinUhlenbeck.builder().build().simulate(200, new SplittableRandom(3));
        double theta = ou.parameters().get("theta");
        double mu = ou.parameters().get("mu");
        for (int i = 0; i < ou.steps(); i++) {
            double d = ou.value(i, 0) - mu;
            assertEquals(0.5 * theta * d * d, ou.quantity("PE", i), 1e-12);
        }
        Trajectory bm = BrownianMotion.builder().build().simulate(200, new SplittableRandom(3));
        assertEquals(bm.value(150, 0) - bm.parameters().get("x_0"), bm.quantity("displacement", 150), 1e-12);
        assertEquals(bm.parameters().get("x_0"), bm.value(0, 0), 0);
    }
}
