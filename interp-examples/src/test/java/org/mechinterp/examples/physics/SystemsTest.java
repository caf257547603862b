package org.mechinterp.examples.physics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mechinterp.sae.analysis.Normal;

/** Registry, seeded reproducibility, parameter sampling and validation, trajectories, the normal CDF. */
class SystemsTest {

    @Test
    void everySystemIsReproducibleAndSeedsChangeParameters() {
        assertEquals(List.of("mass-spring", "pendulums", "harmonic", "damped", "lorenz", "logistic", "brownian", "ou"),
                Systems.names());
        for (String name : Systems.names()) {
            PhysicalSystem sys = Systems.create(name);
            assertEquals(name, sys.name());
            Trajectory a = sys.simulate(60, new SplittableRandom(1));
            Trajectory b = sys.simulate(60, new SplittableRandom(1));
            Trajectory c = sys.simulate(60, new SplittableRandom(2));
            assertEquals(60, a.steps());
            assertEquals(sys.components(), a.components());
            assertEquals(sys.quantities(), a.quantityNames());
            assertEquals(sys.config().parameterNames(), List.copyOf(a.parameters().keySet()));
            assertEquals(sys.stochastic(), a.stochastic());
            assertEquals(sys.stochastic(), a.transition().isPresent(), name);
            assertArrayEquals(a.states(), b.states(), name);
            for (String q : sys.quantities()) {
                assertArrayEquals(a.quantity(q), b.quantity(q), name + " " + q);
                for (double v : a.quantity(q)) {
                    assertTrue(Double.isFinite(v), name + " " + q);
                }
            }
            assertEquals(a.parameters(), b.parameters());
            assertNotEquals(a.parameters(), c.parameters(), name);
            for (Map.Entry<String, Double> e : a.parameters().entrySet()) {
                assertTrue(sys.config().ranges().get(e.getKey()).contains(e.getValue()), name + " " + e);
            }
            assertEquals(sys.config().burnIn() * sys.config().dt(), a.time(0), 1e-9, name);
        }
    }

    @Test
    void sampleGivesIndependentReproducibleTrajectories() {
        PhysicalSystem sys = Systems.create("harmonic");
        List<Trajectory> five = Systems.sample(sys, 5, 30, 42);
        List<Trajectory> three = Systems.sample(sys, 3, 30, 42);
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(five.get(i).states(), three.get(i).states());
        }
        assertNotEquals(five.get(0).parameters(), five.get(1).parameters());
        // stochastic: same parameters, different noise streams give different paths; same seed same path
        PhysicalSystem ou = Systems.create("ou");
        Map<String, Double> p = ou.config().sample(new SplittableRandom(9));
        Trajectory x = ou.simulate(p, 20, new SplittableRandom(1));
        Trajectory y = ou.simulate(p, 20, new SplittableRandom(2));
        assertFalse(java.util.Arrays.deepEquals(x.states(), y.states()));
        assertArrayEquals(x.states(), ou.simulate(p, 20, new SplittableRandom(1)).states());
    }

    @Test
    void builderOverridesAndValidation() {
        CoupledMassSpring sys = CoupledMassSpring.builder().opt("kc", 0.3).opt("m1", 1, 1.1).optDt(0.1).build();
        for (int i = 0; i < 20; i++) {
            Trajectory t = sys.simulate(3, new SplittableRandom(i));
            assertEquals(0.3, t.parameters().get("kc"), 0);
            assertTrue(t.parameters().get("m1") >= 1 && t.parameters().get("m1") <= 1.1);
            assertEquals(0.1, t.time(1), 1e-15);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CoupledMassSpring.builder().opt("kk", 1).build());
        assertTrue(e.getMessage().contains("unknown parameter 'kk'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CoupledMassSpring.builder().opt("m1", -1, 1).build());
        assertTrue(e.getMessage().contains("m1") && e.getMessage().contains("domain"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LogisticMap.builder().optSubsteps(2).build());
        assertTrue(e.getMessage().contains("substeps must be 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LogisticMap.builder().opt("r", 3, 4.5).build());
        assertTrue(e.getMessage().contains("r"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> HarmonicOscillator.builder().optDt(0).build());
        assertTrue(e.getMessage().contains("dt"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Systems.create("pendulum"));
        assertTrue(e.getMessage().contains("unknown physical system 'pendulum'")
                && e.getMessage().contains("pendulums"), e.getMessage());

        HarmonicOscillator h = HarmonicOscillator.builder().build();
        Map<String, Double> p = new LinkedHashMap<>(Map.of("m", 1.0, "k", 1.0, "x_0", 0.0));
        e = assertThrows(IllegalArgumentException.class, () -> h.simulate(p, 5, new SplittableRandom(0)));
        assertTrue(e.getMessage().contains("missing parameter 'v_0'"), e.getMessage());
        p.put("v_0", 1.0);
        p.put("m", 0.0);
        e = assertThrows(IllegalArgumentException.class, () -> h.simulate(p, 5, new SplittableRandom(0)));
        assertTrue(e.getMessage().contains("m = 0.0"), e.getMessage());
        p.put("m", 1.0);
        p.put("q", 1.0);
        e = assertThrows(IllegalArgumentException.class, () -> h.simulate(p, 5, new SplittableRandom(0)));
        assertTrue(e.getMessage().contains("unknown parameter 'q'"), e.getMessage());
        p.remove("q");
        e = assertThrows(IllegalArgumentException.class, () -> h.simulate(p, 0, new SplittableRandom(0)));
        assertTrue(e.getMessage().contains("steps"), e.getMessage());
    }

    @Test
    void trajectorySliceAndBuilder() {
        Trajectory t = Systems.create("mass-spring").simulate(40, new SplittableRandom(7));
        Trajectory s = t.slice(10, 25);
        assertEquals(15, s.steps());
        assertEquals(t.time(10), s.time(0), 1e-12);
        assertArrayEquals(t.state(12), s.state(2));
        assertEquals(t.quantity("E1", 24), s.quantity("E1", 14), 0);
        assertThrows(IndexOutOfBoundsException.class, () -> t.slice(5, 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Trajectory.builder().setSystem("mine").setComponents(List.of("a", "b")).setDt(1)
                        .setStates(new double[][] {{1, 2}, {3}}).build());
        assertTrue(e.getMessage().contains("state 1 has 1 components"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.quantity("Q", 0));
        assertTrue(e.getMessage().contains("unknown quantity 'Q'"), e.getMessage());
        double[][] states = t.states();
        states[0][0] = 99;
        assertNotEquals(99, t.value(0, 0));
    }

    @Test
    void normalCdfMatchesKnownValuesAndIntegratedDensity() {
        assertEquals(0.5, Normal.cdf(0), 1e-16);
        assertEquals(0.8413447460685429, Normal.cdf(1), 1e-15);
        assertEquals(0.0013498980316301, Normal.cdf(-3), 1e-15);
        assertEquals(0.9750021048517795, Normal.cdf(1.96), 1e-15);
        assertEquals(2.866515718791933e-07, Normal.cdf(-5), 1e-16);
        // Simpson integration of the density from -10 to x
        for (double x : new double[] {-2.5, -0.7, 0.3, 1.1, 3.2, 8.0}) {
            int n = 20_000;
            double a = -10;
            double h = (x - a) / n;
            double s = 0;
            for (int i = 0; i <= n; i++) {
                double w = i == 0 || i == n ? 1 : (i % 2 == 1 ? 4 : 2);
                double u = a + i * h;
                s += w * Math.exp(-u * u / 2);
            }
            s *= h / 3 / Math.sqrt(2 * Math.PI);
            assertEquals(s, Normal.cdf(x), 1e-12, "x=" + x);
        }
        assertEquals(Normal.cdf(0.5), Normal.cdf(3.5, 2, 3), 1e-16);
        assertThrows(IllegalArgumentException.class, () -> Normal.cdf(0, 0, 0));
    }
}
