package org.mechinterp.examples.physics;

import static org.mechinterp.examples.physics.ParameterSpec.any;
import static org.mechinterp.examples.physics.ParameterSpec.positive;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Two masses on a line between two walls: wall –k1– m1 –kc– m2 –k2– wall, displacements {@code x1, x2} from
 * equilibrium (m), velocities {@code v1, v2} (m/s), time in s.
 *
 * <pre>
 *   m1 x1'' = -k1 x1 - kc (x1 - x2)        m2 x2'' = -k2 x2 - kc (x2 - x1)
 *   E1 = m1 v1^2/2 + k1 x1^2/2     E2 = m2 v2^2/2 + k2 x2^2/2     Ec = kc (x1 - x2)^2 / 2
 *   E  = E1 + E2 + Ec = KE + PE,   KE = m1 v1^2/2 + m2 v2^2/2,    PE = k1 x1^2/2 + k2 x2^2/2 + Ec
 * </pre>
 *
 * With weak coupling the oscillator energies E1 and E2 exchange periodically (beats) while E is conserved.
 * Integrated with velocity Verlet at inner step {@code dt / substeps}; energy error bounded, O(h^2).
 *
 * <p>Components: {@code x1, x2}. Quantities: {@code E, E1, E2, Ec, KE, PE, v1, v2}. Parameters (default ranges):
 * {@code m1, m2} in [0.5, 2] kg, {@code k1, k2} in [0.5, 2] N/m, {@code kc} in [0.05, 0.5] N/m, initial
 * {@code x1_0, x2_0} in [-1, 1] m and {@code v1_0, v2_0} in [-1, 1] m/s. Default {@code dt} 0.2 s with 20
 * substeps, no burn-in.
 */
public final class CoupledMassSpring extends AbstractSystem {

    /** Registry name. */
    public static final String NAME = "mass-spring";

    static final List<ParameterSpec> SPECS = List.of(
            positive("m1", "mass 1 (kg)", 0.5, 2),
            positive("m2", "mass 2 (kg)", 0.5, 2),
            positive("k1", "spring wall-m1 (N/m)", 0.5, 2),
            positive("k2", "spring m2-wall (N/m)", 0.5, 2),
            new ParameterSpec("kc", "coupling spring m1-m2 (N/m)", new Range(0.05, 0.5),
                    new Range(0, ParameterSpec.HUGE)),
            any("x1_0", "initial displacement of m1 (m)", -1, 1),
            any("x2_0", "initial displacement of m2 (m)", -1, 1),
            any("v1_0", "initial velocity of m1 (m/s)", -1, 1),
            any("v2_0", "initial velocity of m2 (m/s)", -1, 1));

    CoupledMassSpring(SystemConfig config) {
        super(config, NAME, List.of("x1", "x2"), List.of("E", "E1", "E2", "Ec", "KE", "PE", "v1", "v2"), false);
    }

    /** @return a builder with the default ranges and time stepping */
    public static SystemBuilder<CoupledMassSpring> builder() {
        return new SystemBuilder<>(NAME, SPECS, 0.2, 20, 0, true, CoupledMassSpring::new);
    }

    @Override
    void run(double[] p, int total, SplittableRandom noise, double[][] states, double[][] out) {
        double m1 = p[0];
        double m2 = p[1];
        double k1 = p[2];
        double k2 = p[3];
        double kc = p[4];
        double[] x = {p[5], p[6]};
        double[] v = {p[7], p[8]};
        double[] a = new double[2];
        Integrators.Acceleration f = (q, acc) -> {
            acc[0] = (-k1 * q[0] - kc * (q[0] - q[1])) / m1;
            acc[1] = (-k2 * q[1] - kc * (q[1] - q[0])) / m2;
        };
        f.apply(x, a);
        int n = config.substeps();
        double h = config.dt() / n;
        for (int t = 0; t < total; t++) {
            if (t > 0) {
                Integrators.verlet(x, v, a, h, n, f);
            }
            states[t][0] = x[0];
            states[t][1] = x[1];
            double ke1 = 0.5 * m1 * v[0] * v[0];
            double ke2 = 0.5 * m2 * v[1] * v[1];
            double pe1 = 0.5 * k1 * x[0] * x[0];
            double pe2 = 0.5 * k2 * x[1] * x[1];
            double d = x[0] - x[1];
            double ec = 0.5 * kc * d * d;
            out[0][t] = ke1 + ke2 + pe1 + pe2 + ec;
            out[1][t] = ke1 + pe1;
            out[2][t] = ke2 + pe2;
            out[3][t] = ec;
            out[4][t] = ke1 + ke2;
            out[5][t] = pe1 + pe2 + ec;
            out[6][t] = v[0];
            out[7][t] = v[1];
        }
    }
}
