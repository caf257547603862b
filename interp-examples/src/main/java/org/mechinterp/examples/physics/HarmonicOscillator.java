package org.mechinterp.examples.physics;

import static org.mechinterp.examples.physics.ParameterSpec.any;
import static org.mechinterp.examples.physics.ParameterSpec.positive;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A single undamped mass on a spring: {@code m x'' = -k x}, displacement {@code x} (m), velocity {@code v}
 * (m/s), time in s. {@code E = m v^2/2 + k x^2/2 = k A^2/2} with amplitude {@code A}: the energy is read off the
 * amplitude of the serialised series. Integrated with velocity Verlet at inner step {@code dt / substeps}.
 *
 * <p>Component: {@code x}. Quantities: {@code E, KE, PE, v}. Parameters (default ranges): {@code m, k} in
 * [0.5, 2], initial {@code x_0, v_0} in [-1, 1]. Default {@code dt} 0.2 s with 20 substeps.
 */
public final class HarmonicOscillator extends AbstractSystem {

    /** Registry name. */
    public static final String NAME = "harmonic";

    static final List<ParameterSpec> SPECS = List.of(
            positive("m", "mass (kg)", 0.5, 2),
            positive("k", "spring constant (N/m)", 0.5, 2),
            any("x_0", "initial displacement (m)", -1, 1),
            any("v_0", "initial velocity (m/s)", -1, 1));

    HarmonicOscillator(SystemConfig config) {
        super(config, NAME, List.of("x"), List.of("E", "KE", "PE", "v"), false);
    }

    /** @return a builder with the default ranges and time stepping */
    public static SystemBuilder<HarmonicOscillator> builder() {
        return new SystemBuilder<>(NAME, SPECS, 0.2, 20, 0, true, HarmonicOscillator::new);
    }

    @Override
    void run(double[] p, int total, SplittableRandom noise, double[][] states, double[][] out) {
        double m = p[0];
        double k = p[1];
        double[] x = {p[2]};
        double[] v = {p[3]};
        double[] a = {-k * x[0] / m};
        Integrators.Acceleration f = (q, acc) -> acc[0] = -k * q[0] / m;
        int n = config.substeps();
        double h = config.dt() / n;
        for (int t = 0; t < total; t++) {
            if (t > 0) {
                Integrators.verlet(x, v, a, h, n, f);
            }
            states[t][0] = x[0];
            double ke = 0.5 * m * v[0] * v[0];
            double pe = 0.5 * k * x[0] * x[0];
            out[0][t] = ke + pe;
            out[1][t] = ke;
            out[2][t] = pe;
            out[3][t] = v[0];
        }
    }
}
