package org.mechinterp.sae.train.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.mechinterp.sae.train.RowKernels;

/**
 * {@link RowKernels} with 256-bit vectors of 8 floats. Loaded by name only when {@code jdk.incubator.vector} is in
 * the boot layer. Lane-wise multiply then add (never fused), so every element rounds as in the scalar code.
 *
 * <p>In its own package so that javadoc, which would warn about the incubating module, can leave it out.
 */
public final class VectorRowKernels implements RowKernels.Impl {
    /** The implementation; {@link #isFast()} says whether it should be used here. */
    public VectorRowKernels() {}

    /** Exactly 8 lanes: the dot product's summation order is defined by 8 lanes. */
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final int L = 8;

    /** Whether this machine runs 256-bit vectors natively (otherwise the API falls back to slow Java code). */
    @Override
    public boolean isFast() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256 && S.length() == L;
    }

    @Override
    public void axpy(float a, float[] x, int xo, float[] y, int yo, int len) {
        FloatVector av = FloatVector.broadcast(S, a);
        int ub = len - len % L;
        int j = 0;
        for (; j < ub; j += L) {
            FloatVector.fromArray(S, y, yo + j).add(av.mul(FloatVector.fromArray(S, x, xo + j))).intoArray(y, yo + j);
        }
        for (; j < len; j++) {
            y[yo + j] += a * x[xo + j];
        }
    }

    /**
     * Eight source rows per pass, then four, then one: each y[j] is loaded once per pass, gets the pass's products
     * added one after the other in row order (the order of successive axpy calls), and is stored once.
     */
    @Override
    public void axpyRows(float[] a, int from, int[] xo, int count, float[] x, float[] y, int yo, int len) {
        int u = from;
        int end = from + count;
        for (; u + 8 <= end; u += 8) {
            axpy8(a, xo, u, x, y, yo, len);
        }
        for (; u + 4 <= end; u += 4) {
            axpy4(a, xo, u, x, y, yo, len);
        }
        for (; u < end; u++) {
            axpy(a[u], x, xo[u], y, yo, len);
        }
    }

    /** y += a[u]·x[xo[u]..] + … + a[u+7]·x[xo[u+7]..], added in that order. */
    private static void axpy8(float[] a, int[] xo, int u, float[] x, float[] y, int yo, int len) {
        FloatVector c0 = FloatVector.broadcast(S, a[u]);
        FloatVector c1 = FloatVector.broadcast(S, a[u + 1]);
        FloatVector c2 = FloatVector.broadcast(S, a[u + 2]);
        FloatVector c3 = FloatVector.broadcast(S, a[u + 3]);
        FloatVector c4 = FloatVector.broadcast(S, a[u + 4]);
        FloatVector c5 = FloatVector.broadcast(S, a[u + 5]);
        FloatVector c6 = FloatVector.broadcast(S, a[u + 6]);
        FloatVector c7 = FloatVector.broadcast(S, a[u + 7]);
        int o0 = xo[u];
        int o1 = xo[u + 1];
        int o2 = xo[u + 2];
        int o3 = xo[u + 3];
        int o4 = xo[u + 4];
        int o5 = xo[u + 5];
        int o6 = xo[u + 6];
        int o7 = xo[u + 7];
        int ub = len - len % L;
        int j = 0;
        for (; j < ub; j += L) {
            FloatVector acc = FloatVector.fromArray(S, y, yo + j);
            acc = acc.add(c0.mul(FloatVector.fromArray(S, x, o0 + j)));
            acc = acc.add(c1.mul(FloatVector.fromArray(S, x, o1 + j)));
            acc = acc.add(c2.mul(FloatVector.fromArray(S, x, o2 + j)));
            acc = acc.add(c3.mul(FloatVector.fromArray(S, x, o3 + j)));
            acc = acc.add(c4.mul(FloatVector.fromArray(S, x, o4 + j)));
            acc = acc.add(c5.mul(FloatVector.fromArray(S, x, o5 + j)));
            acc = acc.add(c6.mul(FloatVector.fromArray(S, x, o6 + j)));
            acc = acc.add(c7.mul(FloatVector.fromArray(S, x, o7 + j)));
            acc.intoArray(y, yo + j);
        }
        for (; j < len; j++) {
            float t = y[yo + j];
            for (int q = u; q < u + 8; q++) {
                t += a[q] * x[xo[q] + j];
            }
            y[yo + j] = t;
        }
    }

    /** y += a[u]·x[xo[u]..] + … + a[u+3]·x[xo[u+3]..], added in that order. */
    private static void axpy4(float[] a, int[] xo, int u, float[] x, float[] y, int yo, int len) {
        FloatVector c0 = FloatVector.broadcast(S, a[u]);
        FloatVector c1 = FloatVector.broadcast(S, a[u + 1]);
        FloatVector c2 = FloatVector.broadcast(S, a[u + 2]);
        FloatVector c3 = FloatVector.broadcast(S, a[u + 3]);
        int o0 = xo[u];
        int o1 = xo[u + 1];
        int o2 = xo[u + 2];
        int o3 = xo[u + 3];
        int ub = len - len % L;
        int j = 0;
        for (; j < ub; j += L) {
            FloatVector acc = FloatVector.fromArray(S, y, yo + j);
            acc = acc.add(c0.mul(FloatVector.fromArray(S, x, o0 + j)));
            acc = acc.add(c1.mul(FloatVector.fromArray(S, x, o1 + j)));
            acc = acc.add(c2.mul(FloatVector.fromArray(S, x, o2 + j)));
            acc = acc.add(c3.mul(FloatVector.fromArray(S, x, o3 + j)));
            acc.intoArray(y, yo + j);
        }
        for (; j < len; j++) {
            float t = y[yo + j];
            for (int q = u; q < u + 4; q++) {
                t += a[q] * x[xo[q] + j];
            }
            y[yo + j] = t;
        }
    }

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int len) {
        FloatVector s = FloatVector.zero(S);
        int ub = len - len % L;
        int j = 0;
        for (; j < ub; j += L) {
            s = s.add(FloatVector.fromArray(S, a, ao + j).mul(FloatVector.fromArray(S, b, bo + j)));
        }
        return finish(s, a, ao, b, bo, ub, len);
    }

    /** Four dot products at a time, each in its own 8-lane accumulator, then one at a time. */
    @Override
    public void dotRows(float[] a, int ao, float[] b, int[] bo, int from, int count, float[] out, int outFrom,
            int len) {
        int u = 0;
        int ub = len - len % L;
        for (; u + 4 <= count; u += 4) {
            int o0 = bo[from + u];
            int o1 = bo[from + u + 1];
            int o2 = bo[from + u + 2];
            int o3 = bo[from + u + 3];
            FloatVector s0 = FloatVector.zero(S);
            FloatVector s1 = FloatVector.zero(S);
            FloatVector s2 = FloatVector.zero(S);
            FloatVector s3 = FloatVector.zero(S);
            for (int j = 0; j < ub; j += L) {
                FloatVector av = FloatVector.fromArray(S, a, ao + j);
                s0 = s0.add(av.mul(FloatVector.fromArray(S, b, o0 + j)));
                s1 = s1.add(av.mul(FloatVector.fromArray(S, b, o1 + j)));
                s2 = s2.add(av.mul(FloatVector.fromArray(S, b, o2 + j)));
                s3 = s3.add(av.mul(FloatVector.fromArray(S, b, o3 + j)));
            }
            out[outFrom + u] = finish(s0, a, ao, b, o0, ub, len);
            out[outFrom + u + 1] = finish(s1, a, ao, b, o1, ub, len);
            out[outFrom + u + 2] = finish(s2, a, ao, b, o2, ub, len);
            out[outFrom + u + 3] = finish(s3, a, ao, b, o3, ub, len);
        }
        for (; u < count; u++) {
            out[outFrom + u] = dot(a, ao, b, bo[from + u], len);
        }
    }

    /** The tail j ∈ [ub, len) into lane 0, then the fixed combination of the eight lanes. */
    private static float finish(FloatVector s, float[] a, int ao, float[] b, int bo, int ub, int len) {
        float[] lane = s.toArray();
        for (int j = ub; j < len; j++) {
            lane[0] += a[ao + j] * b[bo + j];
        }
        return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
    }
}
