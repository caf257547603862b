package org.mechinterp.sae.train;

import org.mechinterp.core.VectorKernels;

/**
 * The row primitives of the sparse TopK kernels and Adam: y ← y + a·x over a row, and the dot product summed in
 * eight lanes.
 *
 * <p>Two implementations give <em>bit-identical</em> results, so which one runs never changes a trained SAE:
 * <ul>
 *   <li>{@code vector}: 256-bit {@code jdk.incubator.vector} code (8 float lanes). Used when the JVM was started with
 *       {@code --add-modules jdk.incubator.vector} (the {@code ./interp} script, the benchmarks and the tests do so)
 *       and the machine has vectors of at least 256 bits, unless the system property
 *       {@code interp.vectorKernels=false} is set ({@link VectorKernels}).</li>
 *   <li>{@code scalar}: plain Java loops, used otherwise. On JDK 17 the JIT does not vectorise these loops (their
 *       two arrays are addressed at different offsets), which makes the sparse SAE backward about twice as slow.</li>
 * </ul>
 *
 * <p>Why the results agree bit for bit: {@link #axpy} is element-wise (each y[j] gets one rounded product and one
 * rounded sum, in either implementation; Java never fuses them into an FMA), and {@link #dot} is defined with eight
 * partial sums, lane l summing the products at j ≡ l (mod 8) in increasing j, the tail (len mod 8 elements) added to
 * lane 0, then ((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7)) — which is exactly what one 8-lane vector accumulator computes.
 * {@code RowKernelsTest} compares the two on random rows of every length and offset.
 *
 * <p>No method modifies its inputs except the {@code y}/{@code v} it writes.
 */
public final class RowKernels {
    /**
     * One implementation of the primitives (public only so that the vector one, kept in its own package, can
     * implement it; call the static methods of {@link RowKernels} instead).
     */
    public interface Impl {
        /**
         * y[yo..yo+len) += a·x[xo..xo+len).
         *
         * @param a scale
         * @param x source; not modified
         * @param xo first element of x
         * @param y destination, updated in place
         * @param yo first element of y
         * @param len number of elements
         */
        void axpy(float a, float[] x, int xo, float[] y, int yo, int len);

        /**
         * y += Σ in order of a[u]·x[xo[u]..] for u in [from, from+count), as {@link RowKernels#axpyRows}.
         *
         * @param a coefficients; not modified
         * @param from first coefficient and offset used
         * @param xo first element of each source row; not modified
         * @param count number of source rows
         * @param x the source rows; not modified
         * @param y destination, updated in place
         * @param yo first element of y
         * @param len row length
         */
        void axpyRows(float[] a, int from, int[] xo, int count, float[] x, float[] y, int yo, int len);

        /**
         * Σ_j a[ao+j]·b[bo+j] over j &lt; len, in the eight-lane order of the class comment.
         *
         * @param a first row; not modified
         * @param ao first element of a
         * @param b second row; not modified
         * @param bo first element of b
         * @param len number of elements
         * @return the dot product
         */
        float dot(float[] a, int ao, float[] b, int bo, int len);

        /**
         * Several dot products with a common row, as {@link RowKernels#dotRows}.
         *
         * @param a the common row; not modified
         * @param ao first element of a
         * @param b the other rows; not modified
         * @param bo first element of each row in b; not modified
         * @param from first offset used
         * @param count number of dot products
         * @param out receives the products
         * @param outFrom first element of out written
         * @param len row length
         */
        void dotRows(float[] a, int ao, float[] b, int[] bo, int from, int count, float[] out, int outFrom, int len);

        /**
         * Whether this implementation runs at full speed on this machine.
         *
         * @return true unless it would fall back to slow emulation
         */
        default boolean isFast() {
            return true;
        }
    }

    private static final Impl IMPL = choose();

    private RowKernels() {}

    /**
     * Which implementation runs in this JVM.
     *
     * @return {@code "vector"} or {@code "scalar"}
     */
    public static String implementation() {
        return IMPL instanceof ScalarRowKernels ? "scalar" : "vector";
    }

    /**
     * y[yo..yo+len) += a·x[xo..xo+len).
     *
     * @param a scale
     * @param x source; not modified
     * @param xo first element of x
     * @param y destination, updated in place
     * @param yo first element of y
     * @param len number of elements
     */
    public static void axpy(float a, float[] x, int xo, float[] y, int yo, int len) {
        IMPL.axpy(a, x, xo, y, yo, len);
    }

    /**
     * y[yo+j] += a[from]·x[xo[from]+j], then += a[from+1]·x[xo[from+1]+j], …, for {@code count} source rows, in that
     * order for every j &lt; len: the bits of {@code count} successive {@link #axpy} calls, but y is read and written
     * once and several source rows are streamed at the same time (the sparse kernels are bound by fetching rows).
     *
     * @param a coefficients, a[from..from+count); not modified
     * @param from first coefficient and offset used
     * @param xo first element of each source row in x, xo[from..from+count); not modified
     * @param count number of source rows, ≥ 0
     * @param x the source rows; not modified
     * @param y destination, updated in place
     * @param yo first element of y
     * @param len row length
     */
    public static void axpyRows(float[] a, int from, int[] xo, int count, float[] x, float[] y, int yo, int len) {
        IMPL.axpyRows(a, from, xo, count, x, y, yo, len);
    }

    /**
     * Σ_j a[ao+j]·b[bo+j] over j &lt; len, summed in eight lanes as described in the class comment.
     *
     * @param a first row; not modified
     * @param ao first element of a
     * @param b second row; not modified
     * @param bo first element of b
     * @param len number of elements
     * @return the dot product in float
     */
    public static float dot(float[] a, int ao, float[] b, int bo, int len) {
        return IMPL.dot(a, ao, b, bo, len);
    }

    /**
     * out[outFrom+u] = {@link #dot}(a, ao, b, bo[from+u], len) for u &lt; count: the same bits as separate dot calls,
     * with several dot products accumulated side by side (they share the reads of a and hide the adds' latency).
     *
     * @param a the common row; not modified
     * @param ao first element of a
     * @param b the other rows; not modified
     * @param bo first element of each row in b, bo[from..from+count); not modified
     * @param from first offset used
     * @param count number of dot products, ≥ 0
     * @param out receives the products at out[outFrom..outFrom+count)
     * @param outFrom first element of out written
     * @param len row length
     */
    public static void dotRows(float[] a, int ao, float[] b, int[] bo, int from, int count, float[] out, int outFrom,
            int len) {
        IMPL.dotRows(a, ao, b, bo, from, count, out, outFrom, len);
    }

    /** The vector implementation when it can run here and is not switched off, else the scalar one. */
    private static Impl choose() {
        Impl v = VectorKernels.load("org.mechinterp.sae.train.simd.VectorRowKernels", Impl.class);
        return v != null && v.isFast() ? v : new ScalarRowKernels();
    }
}
