package org.mechinterp.sae.train;

/** {@link RowKernels} in plain Java loops (the reference; used when the Vector API is not available). */
final class ScalarRowKernels implements RowKernels.Impl {
    @Override
    public void axpy(float a, float[] x, int xo, float[] y, int yo, int len) {
        for (int j = 0; j < len; j++) {
            y[yo + j] += a * x[xo + j];
        }
    }

    /** One row after the other: the defining order, each pass streaming a single source row. */
    @Override
    public void axpyRows(float[] a, int from, int[] xo, int count, float[] x, float[] y, int yo, int len) {
        for (int u = from; u < from + count; u++) {
            axpy(a[u], x, xo[u], y, yo, len);
        }
    }

    @Override
    public void dotRows(float[] a, int ao, float[] b, int[] bo, int from, int count, float[] out, int outFrom,
            int len) {
        for (int u = 0; u < count; u++) {
            out[outFrom + u] = dot(a, ao, b, bo[from + u], len);
        }
    }

    /** Eight independent accumulators (lane l takes j ≡ l mod 8), the tail into lane 0. */
    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int len) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int j = 0;
        for (; j + 8 <= len; j += 8) {
            s0 += a[ao + j] * b[bo + j];
            s1 += a[ao + j + 1] * b[bo + j + 1];
            s2 += a[ao + j + 2] * b[bo + j + 2];
            s3 += a[ao + j + 3] * b[bo + j + 3];
            s4 += a[ao + j + 4] * b[bo + j + 4];
            s5 += a[ao + j + 5] * b[bo + j + 5];
            s6 += a[ao + j + 6] * b[bo + j + 6];
            s7 += a[ao + j + 7] * b[bo + j + 7];
        }
        for (; j < len; j++) {
            s0 += a[ao + j] * b[bo + j];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }
}
