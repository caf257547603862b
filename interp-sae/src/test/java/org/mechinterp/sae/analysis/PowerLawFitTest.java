package org.mechinterp.sae.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class PowerLawFitTest {

    private static final double[] C = {1, 2, 4, 8, 16, 32, 64};

    @Test
    void recoversAnExactExponent() {
        double[] e = new double[C.length];
        for (int i = 0; i < C.length; i++) {
            e[i] = 0.3 * Math.pow(C[i], -0.7);
        }
        PowerLawFit f = PowerLawFit.fit(C, e);
        assertEquals(-0.7, f.exponent(), 1e-12);
        assertEquals(Math.log(0.3), f.intercept(), 1e-12);
        assertEquals(-0.7, f.lower(), 1e-9);
        assertEquals(0.3 * Math.pow(10, -0.7), f.predict(10), 1e-12);
    }

    @Test
    void bootstrapIntervalCoversTheTrueExponentOfNoisyTrajectories() {
        SplittableRandom rng = new SplittableRandom(3);
        int j = 40;
        double[][] sq = new double[j][C.length];
        for (int t = 0; t < j; t++) {
            double scale = 0.5 + rng.nextDouble(); // trajectory difficulty
            for (int i = 0; i < C.length; i++) {
                double e = scale * Math.pow(C[i], -0.5) * (0.8 + 0.4 * rng.nextDouble());
                sq[t][i] = e * e;
            }
        }
        PowerLawFit f = PowerLawFit.fitBootstrap(C, sq, 500, 11);
        assertEquals("bootstrap", f.method());
        assertEquals(-0.5, f.exponent(), 0.05);
        assertTrue(f.lower() < -0.5 && f.upper() > -0.5, f.toString());
        assertTrue(f.upper() - f.lower() < 0.2, "interval too wide: " + f);
    }

    @Test
    void refusesNonPositiveErrors() {
        assertThrows(IllegalArgumentException.class, () -> PowerLawFit.fit(new double[] {1, 2, 3},
                new double[] {1, 0, 1}));
        assertThrows(IllegalArgumentException.class, () -> PowerLawFit.fit(new double[] {1, 2},
                new double[] {1, 1}));
    }
}
