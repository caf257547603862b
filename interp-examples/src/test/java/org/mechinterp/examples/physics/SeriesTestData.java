package org.mechinterp.examples.physics;

import java.util.SplittableRandom;

/** Shared small trajectories for the serialisation tests. */
public final class SeriesTestData {

    private SeriesTestData() {
    }

    /** A mass-spring trajectory with seeded random parameters. */
    public static Trajectory massSpring(int steps) {
        return CoupledMassSpring.builder().build().simulate(steps, new SplittableRandom(2024));
    }
}
