package org.mechinterp.examples.physics.prompt;

import java.util.Arrays;
import java.util.Objects;

/**
 * The affine map between physical values and the continuous code axis of a serialisation, per component
 * {@code c}: {@code y = lo + (x - min[c]) (hi - lo) / (max[c] - min[c])}, so {@code min[c]} maps to {@code lo}
 * and {@code max[c]} to {@code hi} (e.g. {@code lo = 150, hi = 850}). A format then quantises {@code y} to an
 * integer code. Immutable.
 *
 * <p>A constant component ({@code max == min}) is given the window {@code [min - 1/2, min + 1/2]}, so its value
 * sits in the middle of the code range and the map stays invertible.
 */
public final class Scaling {

    private final double[] min;
    private final double[] max;
    private final double lo;
    private final double hi;

    private Scaling(double[] min, double[] max, double lo, double hi) {
        this.min = min;
        this.max = max;
        this.lo = lo;
        this.hi = hi;
    }

    /**
     * A scaling with given windows, e.g. fitted on a whole data set or on the prompt part only.
     *
     * @param min per-component value mapped to {@code lo}; copied
     * @param max per-component value mapped to {@code hi}, {@code >= min}; copied
     * @param lo code of {@code min}
     * @param hi code of {@code max}, {@code > lo}
     * @return the scaling
     * @throws IllegalArgumentException for mismatched lengths, non-finite values, {@code max < min} or
     *     {@code hi <= lo}
     */
    public static Scaling of(double[] min, double[] max, double lo, double hi) {
        Objects.requireNonNull(min, "min");
        Objects.requireNonNull(max, "max");
        if (min.length != max.length || min.length == 0) {
            throw new IllegalArgumentException("min and max need the same, non-zero length; got " + min.length
                    + " and " + max.length);
        }
        if (!Double.isFinite(lo) || !Double.isFinite(hi) || !(hi > lo)) {
            throw new IllegalArgumentException("code range needs finite lo < hi, got [" + lo + ", " + hi + "]");
        }
        double[] a = new double[min.length];
        double[] b = new double[min.length];
        for (int c = 0; c < a.length; c++) {
            if (!Double.isFinite(min[c]) || !Double.isFinite(max[c]) || max[c] < min[c]) {
                throw new IllegalArgumentException("component " + c + ": window [" + min[c] + ", " + max[c]
                        + "] is not a finite interval");
            }
            if (max[c] == min[c]) {
                a[c] = min[c] - 0.5;
                b[c] = min[c] + 0.5;
            } else {
                a[c] = min[c];
                b[c] = max[c];
            }
        }
        return new Scaling(a, b, lo, hi);
    }

    /**
     * Fits the windows to data.
     *
     * @param values [steps][components], not modified
     * @param mode one window for all components or one each
     * @param lo code of the minimum
     * @param hi code of the maximum
     * @return the scaling
     * @throws IllegalArgumentException for empty, ragged or non-finite values (naming step and component)
     */
    public static Scaling fit(double[][] values, ScalingMode mode, double lo, double hi) {
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(mode, "mode");
        if (values.length == 0 || values[0].length == 0) {
            throw new IllegalArgumentException("no values to fit a scaling to");
        }
        int d = values[0].length;
        double[] mn = new double[d];
        double[] mx = new double[d];
        Arrays.fill(mn, Double.POSITIVE_INFINITY);
        Arrays.fill(mx, Double.NEGATIVE_INFINITY);
        for (int t = 0; t < values.length; t++) {
            if (values[t].length != d) {
                throw new IllegalArgumentException("step " + t + " has " + values[t].length + " components, step 0 has "
                        + d);
            }
            for (int c = 0; c < d; c++) {
                double x = values[t][c];
                if (!Double.isFinite(x)) {
                    throw new IllegalArgumentException("value at step " + t + " component " + c + " is not finite: "
                            + x);
                }
                mn[c] = Math.min(mn[c], x);
                mx[c] = Math.max(mx[c], x);
            }
        }
        if (mode == ScalingMode.GLOBAL) {
            double a = Arrays.stream(mn).min().getAsDouble();
            double b = Arrays.stream(mx).max().getAsDouble();
            Arrays.fill(mn, a);
            Arrays.fill(mx, b);
        }
        return of(mn, mx, lo, hi);
    }

    /** @return number of components */
    public int components() {
        return min.length;
    }

    /** @return code of each component's minimum */
    public double codeLo() {
        return lo;
    }

    /** @return code of each component's maximum */
    public double codeHi() {
        return hi;
    }

    /** @return a copy of the per-component values mapped to {@link #codeLo()} */
    public double[] min() {
        return min.clone();
    }

    /** @return a copy of the per-component values mapped to {@link #codeHi()} */
    public double[] max() {
        return max.clone();
    }

    /**
     * Maps a physical value to the continuous code axis (before quantisation).
     *
     * @param c component index
     * @param x physical value of component {@code c}
     * @return the continuous code {@code y = lo + (x - min[c]) (hi - lo) / (max[c] - min[c])}
     * @throws IndexOutOfBoundsException if {@code c} is not a component
     */
    public double toCode(int c, double x) {
        check(c);
        return lo + (x - min[c]) * ((hi - lo) / (max[c] - min[c]));
    }

    /**
     * Inverse of {@link #toCode}.
     *
     * @param c component index
     * @param y continuous code (e.g. a decoded integer code or a bin edge)
     * @return the physical value of component {@code c} whose continuous code is {@code y}
     * @throws IndexOutOfBoundsException if {@code c} is not a component
     */
    public double fromCode(int c, double y) {
        check(c);
        return min[c] + (y - lo) * ((max[c] - min[c]) / (hi - lo));
    }

    /**
     * The quantisation step of one component.
     *
     * @param c component index
     * @return the change of value of component {@code c} per unit of code, {@code (max[c] - min[c]) / (hi - lo)}
     * @throws IndexOutOfBoundsException if {@code c} is not a component
     */
    public double valuePerCode(int c) {
        check(c);
        return (max[c] - min[c]) / (hi - lo);
    }

    private void check(int c) {
        if (c < 0 || c >= min.length) {
            throw new IndexOutOfBoundsException("component " + c + " of " + min.length);
        }
    }

    @Override
    public String toString() {
        return "Scaling[min=" + Arrays.toString(min) + ", max=" + Arrays.toString(max) + " -> [" + lo + ", " + hi
                + "]]";
    }
}
