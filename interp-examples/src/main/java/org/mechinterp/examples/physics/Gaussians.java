package org.mechinterp.examples.physics;

import java.util.SplittableRandom;

/** Standard normal draws from a {@link SplittableRandom} (which has no {@code nextGaussian} in Java 17). */
final class Gaussians {

    private Gaussians() {
    }

    /**
     * Marsaglia polar method; the second variate of each pair is discarded so that each call's result depends
     * only on the generator state (no hidden cache that would break reproducibility across splits).
     */
    static double next(SplittableRandom rng) {
        double u;
        double v;
        double s;
        do {
            u = 2 * rng.nextDouble() - 1;
            v = 2 * rng.nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        return u * Math.sqrt(-2 * Math.log(s) / s);
    }
}
