package org.mechinterp.examples.physics;

import static org.mechinterp.examples.physics.ParameterSpec.any;
import static org.mechinterp.examples.physics.ParameterSpec.positive;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Two planar pendulums (point masses {@code m1, m2} on massless rods {@code l1, l2}, side by side) whose bobs are
 * joined by a horizontal spring {@code kc}; angles {@code theta1, theta2} (rad) from the downward vertical,
 * angular velocities {@code omega1, omega2} (rad/s), time in s. The spring is modelled by its horizontal
 * extension only, {@code l1 sin theta1 - l2 sin theta2} (rest length = distance between the pivots), which gives
 * the textbook linear coupled pendulums for small angles and a non-integrable, chaotic system at larger ones.
 *
 * <pre>
 *   E1 = m1 l1^2 omega1^2 / 2 + m1 g l1 (1 - cos theta1)      (E2 likewise)
 *   Ec = kc (l1 sin theta1 - l2 sin theta2)^2 / 2
 *   E  = E1 + E2 + Ec = KE + PE
 *   m1 l1^2 theta1'' = -m1 g l1 sin theta1 - kc (l1 sin theta1 - l2 sin theta2) l1 cos theta1   (and symmetric)
 * </pre>
 *
 * Integrated with velocity Verlet in the generalised coordinates (constant diagonal mass {@code m l^2}), inner
 * step {@code dt / substeps}; the energy error stays bounded and scales as O(h^2).
 *
 * <p>Components: {@code theta1, theta2}. Quantities: {@code E, E1, E2, Ec, KE, PE, omega1, omega2}. Parameters
 * (default ranges): {@code m1, m2} in [0.5, 2] kg, {@code l1, l2} in [0.5, 1.5] m, {@code g} = 9.81 m/s^2,
 * {@code kc} in [0.2, 2] N/m, initial {@code theta1_0, theta2_0} in [-1, 1] rad and {@code omega1_0, omega2_0} in
 * [-1, 1] rad/s. Default {@code dt} 0.05 s with 10 substeps, no burn-in.
 */
public final class CoupledPendulums extends AbstractSystem {

    /** Registry name. */
    public static final String NAME = "pendulums";

    static final List<ParameterSpec> SPECS = List.of(
            positive("m1", "bob mass 1 (kg)", 0.5, 2),
            positive("m2", "bob mass 2 (kg)", 0.5, 2),
            positive("l1", "rod length 1 (m)", 0.5, 1.5),
            positive("l2", "rod length 2 (m)", 0.5, 1.5),
            positive("g", "gravitational acceleration (m/s^2)", 9.81, 9.81),
            new ParameterSpec("kc", "coupling spring between the bobs (N/m)", new Range(0.2, 2),
                    new Range(0, ParameterSpec.HUGE)),
            any("theta1_0", "initial angle 1 (rad)", -1, 1),
            any("theta2_0", "initial angle 2 (rad)", -1, 1),
            any("omega1_0", "initial angular velocity 1 (rad/s)", -1, 1),
            any("omega2_0", "initial angular velocity 2 (rad/s)", -1, 1));

    CoupledPendulums(SystemConfig config) {
        super(config, NAME, List.of("theta1", "theta2"),
                List.of("E", "E1", "E2", "Ec", "KE", "PE", "omega1", "omega2"), false);
    }

    /** @return a builder with the default ranges and time stepping */
    public static SystemBuilder<CoupledPendulums> builder() {
        return new SystemBuilder<>(NAME, SPECS, 0.05, 10, 0, true, CoupledPendulums::new);
    }

    @Override
    void run(double[] p, int total, SplittableRandom noise, double[][] states, double[][] out) {
        double m1 = p[0];
        double m2 = p[1];
        double l1 = p[2];
        double l2 = p[3];
        double g = p[4];
        double kc = p[5];
        double i1 = m1 * l1 * l1;
        double i2 = m2 * l2 * l2;
        double[] th = {p[6], p[7]};
        double[] om = {p[8], p[9]};
        double[] a = new double[2];
        Integrators.Acceleration f = (q, acc) -> {
            double s1 = Math.sin(q[0]);
            double s2 = Math.sin(q[1]);
            double ext = l1 * s1 - l2 * s2;
            acc[0] = (-m1 * g * l1 * s1 - kc * ext * l1 * Math.cos(q[0])) / i1;
            acc[1] = (-m2 * g * l2 * s2 + kc * ext * l2 * Math.cos(q[1])) / i2;
        };
        f.apply(th, a);
        int n = config.substeps();
        double h = config.dt() / n;
        for (int t = 0; t < total; t++) {
            if (t > 0) {
                Integrators.verlet(th, om, a, h, n, f);
            }
            states[t][0] = th[0];
            states[t][1] = th[1];
            double ke1 = 0.5 * i1 * om[0] * om[0];
            double ke2 = 0.5 * i2 * om[1] * om[1];
            double pe1 = m1 * g * l1 * (1 - Math.cos(th[0]));
            double pe2 = m2 * g * l2 * (1 - Math.cos(th[1]));
            double ext = l1 * Math.sin(th[0]) - l2 * Math.sin(th[1]);
            double ec = 0.5 * kc * ext * ext;
            out[0][t] = ke1 + ke2 + pe1 + pe2 + ec;
            out[1][t] = ke1 + pe1;
            out[2][t] = ke2 + pe2;
            out[3][t] = ec;
            out[4][t] = ke1 + ke2;
            out[5][t] = pe1 + pe2 + ec;
            out[6][t] = om[0];
            out[7][t] = om[1];
        }
    }
}
