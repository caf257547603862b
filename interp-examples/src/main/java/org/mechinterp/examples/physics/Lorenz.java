package org.mechinterp.examples.physics;

import static org.mechinterp.examples.physics.ParameterSpec.any;
import static org.mechinterp.examples.physics.ParameterSpec.positive;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The Lorenz (1963) system {@code x' = sigma (y - x)}, {@code y' = x (rho - z) - y}, {@code z' = x y - beta z},
 * dimensionless. Chaotic for the default parameters; integrated with classical RK4 at inner step
 * {@code dt / substeps}, after a burn-in that lets the state settle onto the attractor.
 *
 * <p>Components: {@code x, y, z}. Quantities: {@code speed = |(x', y', z')|} and
 * {@code V = x^2 + y^2 + (z - sigma - rho)^2}, the squared distance from the centre of the sphere that traps
 * the flow (a Lyapunov-type function). Parameters (default ranges): {@code sigma} in [9, 11], {@code rho} in
 * [25, 30], {@code beta} in [2.4, 2.9], initial {@code x_0, y_0} in [-15, 15], {@code z_0} in [5, 40]. Default
 * {@code dt} 0.02 with 4 substeps and 500 burn-in steps (10 time units).
 */
public final class Lorenz extends AbstractSystem {

    /** Registry name. */
    public static final String NAME = "lorenz";

    static final List<ParameterSpec> SPECS = List.of(
            positive("sigma", "Prandtl number", 9, 11),
            positive("rho", "Rayleigh number ratio", 25, 30),
            positive("beta", "geometric factor", 2.4, 2.9),
            any("x_0", "initial x", -15, 15),
            any("y_0", "initial y", -15, 15),
            any("z_0", "initial z", 5, 40));

    Lorenz(SystemConfig config) {
        super(config, NAME, List.of("x", "y", "z"), List.of("speed", "V"), false);
    }

    /** @return a builder with the default ranges and time stepping */
    public static SystemBuilder<Lorenz> builder() {
        return new SystemBuilder<>(NAME, SPECS, 0.02, 4, 500, true, Lorenz::new);
    }

    @Override
    void run(double[] p, int total, SplittableRandom noise, double[][] states, double[][] out) {
        double sigma = p[0];
        double rho = p[1];
        double beta = p[2];
        double[] y = {p[3], p[4], p[5]};
        double[] d = new double[3];
        Integrators.Ode f = (s, ds) -> {
            ds[0] = sigma * (s[1] - s[0]);
            ds[1] = s[0] * (rho - s[2]) - s[1];
            ds[2] = s[0] * s[1] - beta * s[2];
        };
        Integrators.Rk4Work w = new Integrators.Rk4Work(3);
        int n = config.substeps();
        double h = config.dt() / n;
        for (int t = 0; t < total; t++) {
            if (t > 0) {
                Integrators.rk4(y, h, n, f, w);
            }
            System.arraycopy(y, 0, states[t], 0, 3);
            f.apply(y, d);
            out[0][t] = Math.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            double zc = y[2] - sigma - rho;
            out[1][t] = y[0] * y[0] + y[1] * y[1] + zc * zc;
        }
    }
}
