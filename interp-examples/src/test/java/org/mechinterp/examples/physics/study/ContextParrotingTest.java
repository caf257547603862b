package org.mechinterp.examples.physics.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ContextParrotingTest {

    private static double[][] periodic(int n, int period) {
        double[][] x = new double[n][2];
        for (int t = 0; t < n; t++) {
            x[t][0] = Math.sin(2 * Math.PI * t / period);
            x[t][1] = Math.cos(2 * Math.PI * t / period) * 0.5;
        }
        return x;
    }

    @Test
    void exactOnAPeriodicSequence() {
        double[][] all = periodic(40, 7);
        // From n = period + motif on, the last motif has a complete earlier copy followed by a known state.
        for (int n = 10; n < 40; n++) {
            double[][] ctx = java.util.Arrays.copyOf(all, n);
            assertArrayEquals(all[n], ContextParroting.forecast(ctx, 3), 1e-12, "context " + n);
        }
    }

    @Test
    void picksTheBestMatchNotTheLastValue() {
        // 0 1 2 9 | 0 1 2 → the stretch "0 1 2" was followed by 9
        double[][] ctx = {{0}, {1}, {2}, {9}, {0}, {1}, {2}};
        assertArrayEquals(new double[] {9}, ContextParroting.forecast(ctx, 3), 0);
        assertArrayEquals(new double[] {5}, ContextParroting.forecast(new double[][] {{5}}, 3), 0);
        // With motif 1 and ties (value 1 at steps 1 and 4), the most recent match wins: step 4 → step 5 = 3
        double[][] ties = {{0}, {1}, {2}, {0}, {1}, {3}, {1}};
        assertArrayEquals(new double[] {3}, ContextParroting.forecast(ties, 1), 0);
        assertThrows(IllegalArgumentException.class, () -> ContextParroting.forecast(new double[0][], 2));
    }
}
