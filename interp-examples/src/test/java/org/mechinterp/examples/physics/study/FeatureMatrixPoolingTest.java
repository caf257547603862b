package org.mechinterp.examples.physics.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.mechinterp.sae.analysis.FeatureMatrix;

class FeatureMatrixPoolingTest {

    /** Two trajectories of 4 steps, 2 features; feature value = 10·trajectory + step (+100 for feature 1). */
    private static FeatureMatrix twoTrajectories() {
        double[] v = new double[8 * 2];
        int[] groups = new int[8];
        for (int t = 0; t < 2; t++) {
            for (int s = 0; s < 4; s++) {
                int row = t * 4 + s;
                groups[row] = t + 5; // ids need not start at 0
                v[row * 2] = 10 * t + s;
                v[row * 2 + 1] = 100 + 10 * t + s;
            }
        }
        return new FeatureMatrix(v, 8, 2, groups);
    }

    @Test
    void poolingAveragesEachTrajectoryFromTheGivenStep() {
        FeatureMatrix p = twoTrajectories().pooled(1); // steps 1..3: mean step 2
        assertEquals(2, p.rows());
        assertArrayEquals(new int[] {0, 1}, p.groups());
        assertArrayEquals(new double[] {2, 102, 12, 112}, p.values(), 1e-12);
        assertArrayEquals(new double[] {1.5, 101.5, 11.5, 111.5}, twoTrajectories().pooled(0).values(), 1e-12);
    }

    @Test
    void quantityPoolingMatchesFeaturePooling() {
        FeatureMatrix m = twoTrajectories();
        assertArrayEquals(m.pooled(2).column(0), PhysicsStudy.poolRows(m.column(0), 4, 2), 1e-12);
    }

    @Test
    void poolingPastTheLastStepIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> twoTrajectories().pooled(4));
    }
}
