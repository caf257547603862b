package org.mechinterp.examples.physics;

import static org.mechinterp.examples.physics.ParameterSpec.any;
import static org.mechinterp.examples.physics.ParameterSpec.positive;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The Ornstein–Uhlenbeck process {@code dx = theta (mu - x) dt + sigma dW}: overdamped motion in the quadratic
 * potential {@code U(x) = theta (x - mu)^2 / 2} with noise, sampled exactly at the reported times:
 * {@code x[n+1] ~ N(mu + (x[n] - mu) e^{-theta dt}, sigma^2 (1 - e^{-2 theta dt}) / (2 theta))}
 * ({@link Trajectory#transition()}).
 *
 * <p>Component: {@code x}. Quantity: {@code PE = U(x)}. Parameters (default ranges): {@code theta} in [0.5, 2]
 * per unit time, {@code mu} in [-1, 1], {@code sigma} in [0.3, 1], {@code x_0} in [-2, 2]. Default {@code dt}
 * 0.1; substeps must stay 1.
 */
public final class OrnsteinUhlenbeck extends AbstractSystem {

    /** Registry name. */
    public static final String NAME = "ou";

    static final List<ParameterSpec> SPECS = List.of(
            positive("theta", "mean-reversion rate per unit time", 0.5, 2),
            any("mu", "long-run mean", -1, 1),
            positive("sigma", "diffusion per sqrt(unit time)", 0.3, 1),
            any("x_0", "initial value", -2, 2));

    OrnsteinUhlenbeck(SystemConfig config) {
        super(config, NAME, List.of("x"), List.of("PE"), true);
    }

    /** @return a builder with the default ranges; substeps must stay 1 */
    public static SystemBuilder<OrnsteinUhlenbeck> builder() {
        return new SystemBuilder<>(NAME, SPECS, 0.1, 1, 0, false, OrnsteinUhlenbeck::new);
    }

    @Override
    void run(double[] p, int total, SplittableRandom noise, double[][] states, double[][] out) {
        double theta = p[0];
        double mu = p[1];
        GaussianTransition tr = transition(p);
        double x = p[3];
        double[] s = new double[1];
        double sd = Math.sqrt(tr.variance(s)[0]);
        for (int t = 0; t < total; t++) {
            if (t > 0) {
                s[0] = x;
                x = tr.mean(s)[0] + sd * Gaussians.next(noise);
            }
            states[t][0] = x;
            out[0][t] = 0.5 * theta * (x - mu) * (x - mu);
        }
    }

    @Override
    GaussianTransition transition(double[] p) {
        double theta = p[0];
        double mu = p[1];
        double sigma = p[2];
        double decay = Math.exp(-theta * config.dt());
        // -expm1(-2 theta dt) keeps full precision when theta dt is small.
        double var = sigma * sigma * -Math.expm1(-2 * theta * config.dt()) / (2 * theta);
        return new GaussianTransition() {
            @Override
            public double[] mean(double[] state) {
                return new double[] {mu + (state[0] - mu) * decay};
            }

            @Override
            public double[] variance(double[] state) {
                return new double[] {var};
            }
        };
    }
}
