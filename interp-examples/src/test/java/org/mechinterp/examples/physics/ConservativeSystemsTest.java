package org.mechinterp.examples.physics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Conservative systems against independent references: exact normal modes (mass–spring), the closed form
 * (harmonic), an RK4 integration of forces obtained by finite differences of the energy function written here
 * (pendulums); energy drift bounds and its O(h^2) scaling; energy bookkeeping.
 */
class ConservativeSystemsTest {

    static final SplittableRandom NO_NOISE = new SplittableRandom(0);

    static Map<String, Double> params(Object... kv) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], ((Number) kv[i + 1]).doubleValue());
        }
        return m;
    }

    static final Map<String, Double> SPRING = params("m1", 1.0, "m2", 1.5, "k1", 1.0, "k2", 1.2, "kc", 0.2,
            "x1_0", 1.0, "x2_0", -0.2, "v1_0", 0.0, "v2_0", 0.3);

    static final Map<String, Double> PENDULUMS = params("m1", 1.0, "m2", 1.3, "l1", 1.0, "l2", 0.8, "g", 9.81,
            "kc", 1.0, "theta1_0", 0.9, "theta2_0", -0.3, "omega1_0", 0.0, "omega2_0", 0.5);

    static double maxRelativeEnergyError(Trajectory t) {
        double[] e = t.quantity("E");
        double worst = 0;
        for (double v : e) {
            worst = Math.max(worst, Math.abs(v - e[0]) / e[0]);
        }
        return worst;
    }

    @Test
    void massSpringEnergyDriftIsBoundedAndScalesAsDtSquared() {
        Trajectory coarse = CoupledMassSpring.builder().optDt(0.2).optSubsteps(20).build()
                .simulate(SPRING, 10_000, NO_NOISE);
        Trajectory fine = CoupledMassSpring.builder().optDt(0.2).optSubsteps(40).build()
                .simulate(SPRING, 10_000, NO_NOISE);
        double e1 = maxRelativeEnergyError(coarse);
        double e2 = maxRelativeEnergyError(fine);
        System.err.printf("mass-spring max |dE|/E over 1e4 steps (t=2000): h=0.01 %.3e, h=0.005 %.3e, ratio %.3f%n",
                e1, e2, e1 / e2);
        assertTrue(e1 < 5e-5, "energy error " + e1);
        assertEquals(4.0, e1 / e2, 0.3, "Verlet energy error must scale as h^2");
        // no secular drift: the error over the last tenth is no larger than over the first tenth (within 50%)
        double[] e = coarse.quantity("E");
        double early = 0;
        double late = 0;
        for (int i = 0; i < 1000; i++) {
            early = Math.max(early, Math.abs(e[i] - e[0]));
            late = Math.max(late, Math.abs(e[9000 + i] - e[0]));
        }
        assertTrue(late < 1.5 * early, "late error " + late + " vs early " + early);
    }

    /** Exact solution by normal modes of M x'' = -K x, written independently of the simulator. */
    static double[] normalModes(Map<String, Double> p, double t) {
        double m1 = p.get("m1");
        double m2 = p.get("m2");
        double kc = p.get("kc");
        double a = (p.get("k1") + kc) / m1;
        double d = (p.get("k2") + kc) / m2;
        double b = -kc / Math.sqrt(m1 * m2);
        double mid = (a + d) / 2;
        double rad = Math.sqrt((a - d) * (a - d) / 4 + b * b);
        double[] lambda = {mid - rad, mid + rad};
        double[] y0 = {Math.sqrt(m1) * p.get("x1_0"), Math.sqrt(m2) * p.get("x2_0")};
        double[] w0 = {Math.sqrt(m1) * p.get("v1_0"), Math.sqrt(m2) * p.get("v2_0")};
        double[] y = new double[2];
        for (double l : lambda) {
            double ux = b;
            double uy = l - a;
            double n = Math.hypot(ux, uy);
            ux /= n;
            uy /= n;
            double w = Math.sqrt(l);
            double eta = ux * y0[0] + uy * y0[1];
            double etaDot = ux * w0[0] + uy * w0[1];
            double e = eta * Math.cos(w * t) + etaDot / w * Math.sin(w * t);
            y[0] += ux * e;
            y[1] += uy * e;
        }
        return new double[] {y[0] / Math.sqrt(m1), y[1] / Math.sqrt(m2)};
    }

    @Test
    void massSpringMatchesExactNormalModes() {
        double[] err = new double[2];
        int[] substeps = {20, 40};
        for (int r = 0; r < 2; r++) {
            Trajectory t = CoupledMassSpring.builder().optSubsteps(substeps[r]).build().simulate(SPRING, 1000, NO_NOISE);
            for (int i = 0; i < t.steps(); i++) {
                double[] exact = normalModes(SPRING, t.time(i));
                err[r] = Math.max(err[r], Math.max(Math.abs(exact[0] - t.value(i, 0)),
                        Math.abs(exact[1] - t.value(i, 1))));
            }
        }
        System.err.printf("mass-spring max |x - x_exact| over t=200: h=0.01 %.3e, h=0.005 %.3e%n", err[0], err[1]);
        assertTrue(err[0] < 2e-3, "position error " + err[0]);
        assertEquals(4.0, err[0] / err[1], 0.3, "position error must scale as h^2");
        assertEquals(0.0, normalModes(SPRING, 0)[1] - SPRING.get("x2_0"), 1e-14); // the reference itself
    }

    @Test
    void energyBookkeepingAddsUp() {
        for (Trajectory t : new Trajectory[] {
                CoupledMassSpring.builder().build().simulate(SPRING, 500, NO_NOISE),
                CoupledPendulums.builder().build().simulate(PENDULUMS, 500, NO_NOISE)}) {
            double beatsE1 = Double.POSITIVE_INFINITY;
            double beatsE1Max = 0;
            for (int i = 0; i < t.steps(); i++) {
                double e = t.quantity("E", i);
                assertEquals(e, t.quantity("E1", i) + t.quantity("E2", i) + t.quantity("Ec", i), 1e-12 * e);
                assertEquals(e, t.quantity("KE", i) + t.quantity("PE", i), 1e-12 * e);
                beatsE1 = Math.min(beatsE1, t.quantity("E1", i));
                beatsE1Max = Math.max(beatsE1Max, t.quantity("E1", i));
            }
            // energy is exchanged between the oscillators: E1 varies by a sizable fraction of E
            assertTrue(beatsE1Max - beatsE1 > 0.1 * t.quantity("E", 0), t.system());
        }
        // mass-spring energies at t = 0 from the parameters, by hand
        Trajectory t = CoupledMassSpring.builder().build().simulate(SPRING, 2, NO_NOISE);
        assertEquals(0.5 * 1.0 * 1.0, t.quantity("E1", 0), 1e-15);
        assertEquals(0.5 * 1.5 * 0.09 + 0.5 * 1.2 * 0.04, t.quantity("E2", 0), 1e-15);
        assertEquals(0.5 * 0.2 * 1.44, t.quantity("Ec", 0), 1e-15);
        assertEquals(0.3, t.quantity("v2", 0), 0);
    }

    @Test
    void pendulumEnergyDriftIsBoundedAndScalesAsDtSquared() {
        Trajectory coarse = CoupledPendulums.builder().optSubsteps(10).build().simulate(PENDULUMS, 10_000, NO_NOISE);
        Trajectory fine = CoupledPendulums.builder().optSubsteps(20).build().simulate(PENDULUMS, 10_000, NO_NOISE);
        double e1 = maxRelativeEnergyError(coarse);
        double e2 = maxRelativeEnergyError(fine);
        System.err.printf("pendulums max |dE|/E over 1e4 steps (t=500): h=0.005 %.3e, h=0.0025 %.3e, ratio %.3f%n",
                e1, e2, e1 / e2);
        assertTrue(e1 < 1e-4, "energy error " + e1);
        assertEquals(4.0, e1 / e2, 0.4, "Verlet energy error must scale as h^2");
    }

    /** Energy function of the pendulums written from the physics, not from the simulator's code. */
    static double pendulumEnergy(Map<String, Double> p, double[] th, double[] om) {
        double m1 = p.get("m1");
        double m2 = p.get("m2");
        double l1 = p.get("l1");
        double l2 = p.get("l2");
        double g = p.get("g");
        // bob positions (pivots at the same height, the spring's rest length = pivot distance)
        double dx = l1 * Math.sin(th[0]) - l2 * Math.sin(th[1]);
        double v = m1 * g * l1 * (1 - Math.cos(th[0])) + m2 * g * l2 * (1 - Math.cos(th[1]))
                + 0.5 * p.get("kc") * dx * dx;
        return v + 0.5 * m1 * l1 * l1 * om[0] * om[0] + 0.5 * m2 * l2 * l2 * om[1] * om[1];
    }

    @Test
    void pendulumsMatchRk4OfForcesFromTheEnergyByFiniteDifferences() {
        Map<String, Double> p = PENDULUMS;
        double[] inertia = {p.get("m1") * p.get("l1") * p.get("l1"), p.get("m2") * p.get("l2") * p.get("l2")};
        // y = (th1, th2, om1, om2); torques = -dV/dth by central differences of the energy at zero velocity
        java.util.function.BiConsumer<double[], double[]> f = (y, dy) -> {
            double hd = 1e-5;
            for (int i = 0; i < 2; i++) {
                double[] a = {y[0], y[1]};
                double[] b = {y[0], y[1]};
                a[i] += hd;
                b[i] -= hd;
                double dv = (pendulumEnergy(p, a, new double[2]) - pendulumEnergy(p, b, new double[2])) / (2 * hd);
                dy[2 + i] = -dv / inertia[i];
                dy[i] = y[2 + i];
            }
        };
        Trajectory sim = CoupledPendulums.builder().optSubsteps(40).build().simulate(p, 101, NO_NOISE);
        double[] y = {0.9, -0.3, 0.0, 0.5};
        double h = 0.05 / 50;
        double worst = 0;
        double[] k1 = new double[4];
        double[] k2 = new double[4];
        double[] k3 = new double[4];
        double[] k4 = new double[4];
        double[] tmp = new double[4];
        for (int step = 0; step <= 100; step++) {
            worst = Math.max(worst, Math.max(Math.abs(y[0] - sim.value(step, 0)), Math.abs(y[1] - sim.value(step, 1))));
            assertEquals(pendulumEnergy(p, new double[] {sim.value(step, 0), sim.value(step, 1)},
                    new double[] {sim.quantity("omega1", step), sim.quantity("omega2", step)}),
                    sim.quantity("E", step), 1e-12);
            for (int s = 0; s < 50; s++) {
                f.accept(y, k1);
                for (int i = 0; i < 4; i++) {
                    tmp[i] = y[i] + h / 2 * k1[i];
                }
                f.accept(tmp, k2);
                for (int i = 0; i < 4; i++) {
                    tmp[i] = y[i] + h / 2 * k2[i];
                }
                f.accept(tmp, k3);
                for (int i = 0; i < 4; i++) {
                    tmp[i] = y[i] + h * k3[i];
                }
                f.accept(tmp, k4);
                for (int i = 0; i < 4; i++) {
                    y[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
                }
            }
        }
        System.err.printf("pendulums vs finite-difference RK4 over t=5: max |dtheta| %.3e%n", worst);
        assertTrue(worst < 1e-4, "angle error " + worst);
    }

    @Test
    void harmonicMatchesClosedForm() {
        Map<String, Double> p = params("m", 0.7, "k", 1.9, "x_0", 0.4, "v_0", -0.8);
        Trajectory t = HarmonicOscillator.builder().build().simulate(p, 2000, NO_NOISE);
        double w = Math.sqrt(1.9 / 0.7);
        double worst = 0;
        for (int i = 0; i < t.steps(); i++) {
            double time = t.time(i);
            double exact = 0.4 * Math.cos(w * time) - 0.8 / w * Math.sin(w * time);
            worst = Math.max(worst, Math.abs(exact - t.value(i, 0)));
            assertEquals(0.5 * 1.9 * t.value(i, 0) * t.value(i, 0), t.quantity("PE", i), 1e-15);
        }
        double e0 = 0.5 * 0.7 * 0.64 + 0.5 * 1.9 * 0.16;
        // Verlet's frequency error is (w h)^2 / 24 to leading order: a phase lag A w T (w h)^2 / 24 at time T
        double amplitude = Math.sqrt(0.16 + 0.64 / (w * w));
        double h = 0.2 / 20;
        double predicted = amplitude * w * t.time(1999) * (w * h) * (w * h) / 24;
        System.err.printf("harmonic max |x - x_exact| over t=400: %.3e (leading-order phase error %.3e)%n", worst,
                predicted);
        assertEquals(predicted, worst, 0.1 * predicted);
        // amplitude <-> energy: E = k A^2 / 2, amplitude read off a finely sampled trajectory
        double amp = 0;
        Trajectory dense = HarmonicOscillator.builder().optDt(0.01).optSubsteps(1).build().simulate(p, 2000, NO_NOISE);
        for (double x : dense.component(0)) {
            amp = Math.max(amp, Math.abs(x));
        }
        assertEquals(e0, 0.5 * 1.9 * amp * amp, 5e-4 * e0);
        assertEquals(e0, t.quantity("E", 1999), 1e-4 * e0);
    }
}
