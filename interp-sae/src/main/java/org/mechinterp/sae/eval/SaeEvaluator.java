package org.mechinterp.sae.eval;

import java.io.IOException;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.model.SparseCodes;
import org.mechinterp.sae.store.ActivationBatches;

/**
 * Computes {@link EvalResult} metrics of an SAE over rows from an {@link ActivationBatches} stream, in batches,
 * accumulating in double precision. The stream is read (advanced) but not closed; the SAE is not modified.
 *
 * <p>For a transcoder the stream serves rows [x | y] (see {@code StoreBatches.Builder#optTargetHook}) and every
 * reconstruction metric compares ŷ(x) with y.
 */
public final class SaeEvaluator {
    /** A latent firing on more than this fraction of rows is dense. */
    public static final double DENSE_THRESHOLD = 0.1;

    private SaeEvaluator() {}

    /**
     * @param rows rows to evaluate (≥ 1)
     * @param batch rows per batch (≥ 1)
     * @param sae the SAE or transcoder to evaluate; not modified
     * @param data the stream of rows ([x | y] for a transcoder); read, not closed
     * @return reconstruction (MSE, FVU), sparsity (L0) and per-latent densities over the rows
     * @throws IllegalArgumentException if the stream's width differs from the SAE's d_in
     * @throws IOException if reading the stream fails
     */
    public static EvalResult evaluate(Sae sae, ActivationBatches data, long rows, int batch) throws IOException {
        int dIn = sae.dIn();
        int d = sae.dOut();
        int n = sae.dSae();
        boolean tc = sae.isTranscoder();
        if (data.dim() != (tc ? dIn + d : dIn)) {
            throw new IllegalArgumentException("activations have width " + data.dim() + " but the "
                    + (tc ? "transcoder expects rows [x | y] of d_in + d_out = " + dIn + " + " + d
                            : "SAE expects d_in=" + dIn));
        }
        if (rows < 1 || batch < 1) {
            throw new IllegalArgumentException("rows and batch must be >= 1, got " + rows + ", " + batch);
        }
        float[] raw = new float[batch * data.dim()];
        float[] in = tc ? new float[batch * dIn] : raw;
        float[] x = tc ? new float[batch * d] : raw;
        long[] fires = new long[n];
        double sse = 0;
        double sumSq = 0;
        double[] sum = new double[d];
        double cosSum = 0;
        double shrinkSum = 0;
        long shrinkRows = 0;
        long active = 0;
        long done = 0;
        while (done < rows) {
            int b = (int) Math.min(batch, rows - done);
            data.next(raw, b);
            if (tc) {
                for (int r = 0; r < b; r++) {
                    System.arraycopy(raw, r * (dIn + d), in, r * dIn, dIn);
                    System.arraycopy(raw, r * (dIn + d) + dIn, x, r * d, d);
                }
            }
            SparseCodes codes = sae.encode(in, b);
            float[] xhat = sae.decode(codes);
            sae.addSkip(in, b, xhat);
            for (int r = 0; r < b; r++) {
                double xx = 0;
                double hh = 0;
                double xh = 0;
                for (int j = 0; j < d; j++) {
                    double xv = x[r * d + j];
                    double hv = xhat[r * d + j];
                    xx += xv * xv;
                    hh += hv * hv;
                    xh += xv * hv;
                    sse += (xv - hv) * (xv - hv);
                    sum[j] += xv;
                }
                sumSq += xx;
                if (xx != 0 && hh != 0) { // a NaN row makes the mean NaN, like the MSE, instead of counting as 0
                    cosSum += xh / Math.sqrt(xx * hh);
                }
                if (xx != 0) {
                    shrinkSum += Math.sqrt(hh / xx);
                    shrinkRows++;
                }
            }
            for (int e = 0; e < codes.entries(); e++) {
                if (codes.value()[e] != 0f) {
                    fires[codes.index()[e]]++;
                    active++;
                }
            }
            done += b;
        }
        double meanSq = 0;
        for (double s : sum) {
            meanSq += s * s;
        }
        double variance = sumSq - meanSq / done;
        double[] density = new double[n];
        int dead = 0;
        int dense = 0;
        for (int i = 0; i < n; i++) {
            density[i] = fires[i] / (double) done;
            dead += fires[i] == 0 ? 1 : 0;
            dense += density[i] > DENSE_THRESHOLD ? 1 : 0;
        }
        return new EvalResult(done, active / (double) done, sse / (done * (double) d),
                variance > 0 ? sse / variance : Double.NaN, cosSum / done,
                shrinkRows > 0 ? shrinkSum / shrinkRows : Double.NaN, dead / (double) n, dense / (double) n, density);
    }
}
