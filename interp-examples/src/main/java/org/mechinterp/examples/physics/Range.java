package org.mechinterp.examples.physics;

import java.util.SplittableRandom;

/**
 * A closed interval {@code [lo, hi]} of finite reals, from which a parameter or initial condition is drawn
 * uniformly. {@code lo == hi} fixes the value.
 *
 * @param lo lower end (inclusive)
 * @param hi upper end (inclusive), {@code >= lo}
 */
public record Range(double lo, double hi) {

    /**
     * Checks the ends.
     *
     * @param lo lower end (inclusive), finite
     * @param hi upper end (inclusive), finite and {@code >= lo}
     * @throws IllegalArgumentException if an end is not finite or {@code lo > hi}
     */
    public Range {
        if (!Double.isFinite(lo) || !Double.isFinite(hi)) {
            throw new IllegalArgumentException("range ends must be finite, got [" + lo + ", " + hi + "]");
        }
        if (lo > hi) {
            throw new IllegalArgumentException("empty range: lo " + lo + " > hi " + hi);
        }
    }

    /**
     * A range that always yields one value.
     *
     * @param v the value, finite
     * @return the range {@code [v, v]}
     */
    public static Range fixed(double v) {
        return new Range(v, v);
    }

    /**
     * Tests membership in the closed interval.
     *
     * @param x the value to test
     * @return whether {@code lo <= x <= hi} (false for NaN)
     */
    public boolean contains(double x) {
        return x >= lo && x <= hi;
    }

    /** @return whether the range is a single value */
    public boolean isFixed() {
        return lo == hi;
    }

    /**
     * Draws a value uniformly from the range (exactly {@code lo} for a fixed range, consuming no randomness).
     *
     * @param rng advanced by one draw unless the range is fixed
     * @return the value
     */
    public double sample(SplittableRandom rng) {
        if (lo == hi) {
            return lo;
        }
        // Clamped because lo + (hi - lo) * u can round up to hi + ulp for u close to 1.
        return Math.min(hi, lo + (hi - lo) * rng.nextDouble());
    }

    @Override
    public String toString() {
        return lo == hi ? Double.toString(lo) : "[" + lo + ", " + hi + "]";
    }
}
