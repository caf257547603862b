package org.mechinterp.examples.physics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mechinterp.examples.physics.ConservativeSystemsTest.NO_NOISE;
import static org.mechinterp.examples.physics.ConservativeSystemsTest.params;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Damped oscillator vs its closed form and decay rate; Lorenz convergence order; logistic map exactness. */
class DissipativeAndChaoticTest {

    static final Map<String, Double> DAMPED = params("m", 1.2, "k", 0.9, "c", 0.1, "x_0", 0.8, "v_0", 0.3);

    @Test
    void dampedMatchesClosedFormUnderdampedSolution() {
        Trajectory t = DampedOscillator.builder().build().simulate(DAMPED, 500, NO_NOISE);
        double gamma = 0.1 / (2 * 1.2);
        double wd = Math.sqrt(0.9 / 1.2 - gamma * gamma);
        double worst = 0;
        for (int i = 0; i < t.steps(); i++) {
            double s = t.time(i);
            double env = Math.exp(-gamma * s);
            double x = env * (0.8 * Math.cos(wd * s) + (0.3 + gamma * 0.8) / wd * Math.sin(wd * s));
            double v = -gamma * x + env * wd * (-0.8 * Math.sin(wd * s) + (0.3 + gamma * 0.8) / wd * Math.cos(wd * s));
            worst = Math.max(worst, Math.abs(x - t.value(i, 0)));
            assertEquals(0.5 * 1.2 * v * v + 0.5 * 0.9 * x * x, t.quantity("E", i), 1e-8);
        }
        System.err.printf("damped max |x - x_exact| over t=100 (RK4 h=0.02): %.3e%n", worst);
        assertTrue(worst < 1e-7, "error " + worst);
    }

    @Test
    void dampedEnergyDecaysAtRateCOverM() {
        Trajectory t = DampedOscillator.builder().build().simulate(DAMPED, 1000, NO_NOISE);
        // least-squares slope of ln E against time over t = 0..200 (about 27 periods)
        int n = t.steps();
        double st = 0;
        double sl = 0;
        double stt = 0;
        double stl = 0;
        for (int i = 0; i < n; i++) {
            double x = t.time(i);
            double y = Math.log(t.quantity("E", i));
            st += x;
            sl += y;
            stt += x * x;
            stl += x * y;
        }
        double slope = (n * stl - st * sl) / (n * stt - st * st);
        System.err.printf("damped ln E slope %.5f vs -c/m %.5f%n", slope, -0.1 / 1.2);
        assertEquals(-0.1 / 1.2, slope, 0.01 * 0.1 / 1.2);
        for (int i = 1; i < n; i++) {
            assertTrue(t.quantity("E", i) <= t.quantity("E", i - 1) + 1e-12, "energy rose at step " + i);
        }
    }

    static double lorenzError(int substeps, Trajectory reference) {
        Trajectory t = Lorenz.builder().optBurnIn(0).optSubsteps(substeps).build()
                .simulate(reference.parameters(), reference.steps(), NO_NOISE);
        double worst = 0;
        for (int i = 0; i < t.steps(); i++) {
            for (int c = 0; c < 3; c++) {
                worst = Math.max(worst, Math.abs(t.value(i, c) - reference.value(i, c)));
            }
        }
        return worst;
    }

    @Test
    void lorenzConvergesAtFourthOrderToAFineReference() {
        Map<String, Double> p = params("sigma", 10.0, "rho", 28.0, "beta", 8.0 / 3, "x_0", 1.0, "y_0", 1.0,
                "z_0", 20.0);
        Trajectory ref = Lorenz.builder().optBurnIn(0).optSubsteps(512).build().simulate(p, 51, NO_NOISE);
        double e1 = lorenzError(2, ref);
        double e2 = lorenzError(4, ref);
        double e3 = lorenzError(8, ref);
        double e4 = lorenzError(16, ref);
        System.err.printf("lorenz max error over t=1 vs h=3.9e-5 reference: h=0.01 %.3e, 0.005 %.3e, 0.0025 %.3e,"
                + " 0.00125 %.3e; ratios %.2f %.2f %.2f%n", e1, e2, e3, e4, e1 / e2, e2 / e3, e3 / e4);
        assertTrue(e2 < 1e-4, "default step error " + e2);
        assertEquals(16, e2 / e3, 3, "RK4 order");
        assertEquals(16, e3 / e4, 3, "RK4 order");
        // quantities are what their documentation says, recomputed from the states
        for (int i = 0; i < ref.steps(); i++) {
            double x = ref.value(i, 0);
            double y = ref.value(i, 1);
            double z = ref.value(i, 2);
            double dx = 10 * (y - x);
            double dy = x * (28 - z) - y;
            double dz = x * y - 8.0 / 3 * z;
            assertEquals(Math.sqrt(dx * dx + dy * dy + dz * dz), ref.quantity("speed", i), 1e-9);
            assertEquals(x * x + y * y + (z - 38) * (z - 38), ref.quantity("V", i), 1e-9);
        }
    }

    @Test
    void lorenzBurnInDropsTheTransient() {
        Lorenz sys = Lorenz.builder().build();
        Map<String, Double> p = params("sigma", 10.0, "rho", 28.0, "beta", 8.0 / 3, "x_0", 1.0, "y_0", 1.0,
                "z_0", 20.0);
        Trajectory withBurn = sys.simulate(p, 50, NO_NOISE);
        Trajectory full = Lorenz.builder().optBurnIn(0).build().simulate(p, 550, NO_NOISE);
        for (int i = 0; i < 50; i++) {
            assertEquals(full.value(500 + i, 2), withBurn.value(i, 2), 0);
            assertEquals(full.time(500 + i), withBurn.time(i), 1e-12);
        }
    }

    @Test
    void logisticMapIsExact() {
        // r = 4 has the closed form x_n = sin^2(2^n pi a) for x_0 = sin^2(pi a)
        double a = 0.1234;
        double x0 = Math.pow(Math.sin(Math.PI * a), 2);
        Trajectory t = LogisticMap.builder().optBurnIn(0).build().simulate(params("r", 4.0, "x_0", x0), 21,
                NO_NOISE);
        for (int n = 0; n <= 20; n++) {
            double exact = Math.pow(Math.sin(Math.PI * a * Math.pow(2, n)), 2);
            assertEquals(exact, t.value(n, 0), 1e-8, "step " + n);
        }
        // bitwise: each step is one double evaluation of r x (1 - x); burn-in drops exactly the first steps
        Map<String, Double> p = params("r", 3.83, "x_0", 0.31);
        Trajectory burned = LogisticMap.builder().build().simulate(p, 200, NO_NOISE);
        double x = 0.31;
        for (int n = 0; n < 300; n++) {
            if (n >= 100) {
                assertEquals(x, burned.value(n - 100, 0), 0);
                assertEquals(Math.log(Math.abs(3.83 * (1 - 2 * x))), burned.quantity("stretch", n - 100), 0);
            }
            x = 3.83 * x * (1 - x);
        }
    }
}
