package org.mechinterp.examples.physics;

import static org.mechinterp.examples.physics.ParameterSpec.any;
import static org.mechinterp.examples.physics.ParameterSpec.positive;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A mass on a spring with linear (viscous) damping: {@code m x'' = -k x - c x'}, displacement {@code x} (m),
 * velocity {@code v} (m/s), time in s. The mechanical energy {@code E = m v^2/2 + k x^2/2} is not conserved:
 * {@code dE/dt = -c v^2}, so over a period it decays as {@code E ~ E0 exp(-(c/m) t)} when underdamped
 * ({@code c^2 < 4 m k}): a quantity that changes along the context. Integrated with classical RK4 at inner step
 * {@code dt / substeps}.
 *
 * <p>Component: {@code x}. Quantities: {@code E, KE, PE, v}. Parameters (default ranges): {@code m, k} in
 * [0.5, 2], {@code c} in [0.02, 0.2] kg/s (always underdamped), initial {@code x_0, v_0} in [-1, 1]. Default
 * {@code dt} 0.2 s with 10 substeps.
 */
public final class DampedOscillator extends AbstractSystem {

    /** Registry name. */
    public static final String NAME = "damped";

    static final List<ParameterSpec> SPECS = List.of(
            positive("m", "mass (kg)", 0.5, 2),
            positive("k", "spring constant (N/m)", 0.5, 2),
            new ParameterSpec("c", "damping coefficient (kg/s)", new Range(0.02, 0.2),
                    new Range(0, ParameterSpec.HUGE)),
            any("x_0", "initial displacement (m)", -1, 1),
            any("v_0", "initial velocity (m/s)", -1, 1));

    DampedOscillator(SystemConfig config) {
        super(config, NAME, List.of("x"), List.of("E", "KE", "PE", "v"), false);
    }

    /** @return a builder with the default ranges and time stepping */
    public static SystemBuilder<DampedOscillator> builder() {
        return new SystemBuilder<>(NAME, SPECS, 0.2, 10, 0, true, DampedOscillator::new);
    }

    @Override
    void run(double[] p, int total, SplittableRandom noise, double[][] states, double[][] out) {
        double m = p[0];
        double k = p[1];
        double c = p[2];
        double[] y = {p[3], p[4]};
        Integrators.Ode f = (s, d) -> {
            d[0] = s[1];
            d[1] = (-k * s[0] - c * s[1]) / m;
        };
        Integrators.Rk4Work w = new Integrators.Rk4Work(2);
        int n = config.substeps();
        double h = config.dt() / n;
        for (int t = 0; t < total; t++) {
            if (t > 0) {
                Integrators.rk4(y, h, n, f, w);
            }
            states[t][0] = y[0];
            double ke = 0.5 * m * y[1] * y[1];
            double pe = 0.5 * k * y[0] * y[0];
            out[0][t] = ke + pe;
            out[1][t] = ke;
            out[2][t] = pe;
            out[3][t] = y[1];
        }
    }
}
