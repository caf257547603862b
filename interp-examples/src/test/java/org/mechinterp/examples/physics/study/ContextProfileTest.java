package org.mechinterp.examples.physics.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ContextProfileTest {

    @Test
    void equalBinsCoverEveryStepButTheFirst() {
        ContextProfile p = ContextProfile.equalBins(47, 3);
        assertArrayEquals(new int[] {1, 16, 31}, p.binStart());
        assertArrayEquals(new int[] {16, 31, 47}, p.binEnd());
        assertThrows(IllegalArgumentException.class, () -> ContextProfile.equalBins(6, 3));
    }

    /** A feature that is noise for the first half of every trajectory and equals the quantity afterwards. */
    @Test
    void profileFindsWhereTheFeatureStartsTracking() {
        int steps = 31;
        int trajectories = 40;
        SplittableRandom rng = new SplittableRandom(3);
        double[] q = new double[steps * trajectories];
        double[] f = new double[q.length];
        for (int t = 0; t < trajectories; t++) {
            double energy = 1 + rng.nextDouble();
            for (int s = 0; s < steps; s++) {
                q[t * steps + s] = energy;
                f[t * steps + s] = s < 16 ? rng.nextGaussian() : 2 * energy - 1;
            }
        }
        double[] r = ContextProfile.equalBins(steps, 2).absR(f, q, steps); // bins [1,16) and [16,31)
        assertTrue(r[0] < 0.2, "noise bin: " + r[0]);
        assertEquals(1.0, r[1], 1e-12);
    }

    @Test
    void mismatchedLengthsAreNamed() {
        ContextProfile p = ContextProfile.equalBins(10, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> p.absR(new double[20], new double[19], 10));
        assertTrue(e.getMessage().contains("same length"), e.getMessage());
    }
}
