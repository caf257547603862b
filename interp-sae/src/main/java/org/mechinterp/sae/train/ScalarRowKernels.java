package org.mechinterp.sae.train;

/** {@link RowKernels} in plain Java loops (the reference; used when the Vector API is not available). */
final class ScalarRowKernels implements RowKernels.Impl {
    @Override
    public void axpy(float a, float[] x, int xo, float[] y, int yo, int len) {
        for (int j = 0; j < len; j++) {
            y[yo + j] += a * x[xo + j];
        }
    }

    /**
     * Per-thread zero-offset rows: {acc, row}. JDK 17's JIT vectorises {@code acc[j] += c*row[j]} (one index for
     * both arrays) but not the same loop over two arrays at different offsets; copying rows in and out is a memcpy.
     */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    /**
     * Row after row, as successive {@link #axpy} calls, but on zero-offset copies (y copied in once and out once,
     * each source row copied in): about twice as fast for the sparse kernels' rows, element by element the same
     * operations.
     */
    @Override
    public void axpyRows(float[] a, int from, int[] xo, int count, float[] x, float[] y, int yo, int len) {
        if (count < 2) {
            for (int u = from; u < from + count; u++) {
                axpy(a[u], x, xo[u], y, yo, len);
            }
            return;
        }
        float[][] scratch = SCRATCH.get();
        if (scratch[0].length < len) {
            scratch[0] = new float[len];
            scratch[1] = new float[len];
        }
        float[] acc = scratch[0];
        float[] row = scratch[1];
        System.arraycopy(y, yo, acc, 0, len);
        for (int u = from; u < from + count; u++) {
            System.arraycopy(x, xo[u], row, 0, len);
            float c = a[u];
            for (int j = 0; j < len; j++) {
                acc[j] += c * row[j];
            }
        }
        System.arraycopy(acc, 0, y, yo, len);
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
