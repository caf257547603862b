package org.mechinterp.examples.physics;

import static org.mechinterp.examples.physics.ParameterSpec.any;
import static org.mechinterp.examples.physics.ParameterSpec.positive;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Brownian motion with drift, {@code dx = mu dt + sigma dW}, sampled exactly at the reported times:
 * {@code x[n+1] = x[n] + mu dt + sigma sqrt(dt) xi}, {@code xi ~ N(0, 1)}. The transition density is
 * {@code N(x + mu dt, sigma^2 dt)} ({@link Trajectory#transition()}).
 *
 * <p>Component: {@code x}. Quantity: {@code displacement = x - x_0}. Parameters (default ranges): {@code mu} in
 * [-1, 1] per unit time, {@code sigma} in [0.5, 2] per sqrt(unit time), {@code x_0} in [-1, 1]. Default
 * {@code dt} 0.1; substeps must stay 1.
 */
public final class BrownianMotion extends AbstractSystem {

    /** Registry name. */
    public static final String NAME = "brownian";

    static final List<ParameterSpec> SPECS = List.of(
            any("mu", "drift per unit time", -1, 1),
            positive("sigma", "diffusion per sqrt(unit time)", 0.5, 2),
            any("x_0", "initial value", -1, 1));

    BrownianMotion(SystemConfig config) {
        super(config, NAME, List.of("x"), List.of("displacement"), true);
    }

    /** @return a builder with the default ranges; substeps must stay 1 */
    public static SystemBuilder<BrownianMotion> builder() {
        return new SystemBuilder<>(NAME, SPECS, 0.1, 1, 0, false, BrownianMotion::new);
    }

    @Override
    void run(double[] p, int total, SplittableRandom noise, double[][] states, double[][] out) {
        GaussianTransition tr = transition(p);
        double x = p[2];
        double sd = Math.sqrt(tr.variance(new double[] {x})[0]);
        double[] s = new double[1];
        for (int t = 0; t < total; t++) {
            if (t > 0) {
                s[0] = x;
                x = tr.mean(s)[0] + sd * Gaussians.next(noise);
            }
            states[t][0] = x;
            out[0][t] = x - p[2];
        }
    }

    @Override
    GaussianTransition transition(double[] p) {
        double step = p[0] * config.dt();
        double var = p[1] * p[1] * config.dt();
        return new GaussianTransition() {
            @Override
            public double[] mean(double[] state) {
                return new double[] {state[0] + step};
            }

            @Override
            public double[] variance(double[] state) {
                return new double[] {var};
            }
        };
    }
}
