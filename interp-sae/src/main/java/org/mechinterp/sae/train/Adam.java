package org.mechinterp.sae.train;

import org.mechinterp.sae.model.Parallel;

/**
 * Adam over {@link SaeParameters} (PyTorch's update: m ← β1 m + (1−β1) g, v ← β2 v + (1−β2) g²,
 * p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)), with global gradient-norm clipping and the unit-norm decoder
 * projection.
 *
 * <p>The moments {@link #m} and {@link #v} are owned here and saved in checkpoints. Work is chunked over a fixed
 * partition, so updates are bit-reproducible. Not thread-safe.
 */
public final class Adam {
    private static final int CHUNK = 1 << 15;

    final SaeParameters m;
    final SaeParameters v;
    private final double beta1;
    private final double beta2;
    private final double epsilon;

    /**
     * Adam state with zero first and second moments, shaped like {@code shape}.
     *
     * @param shape parameters whose array shapes the moments copy (only the shapes are read)
     * @param beta1 first-moment decay β1 in [0, 1)
     * @param beta2 second-moment decay β2 in [0, 1)
     * @param epsilon ε &gt; 0 added to the bias-corrected √v̂
     */
    public Adam(SaeParameters shape, double beta1, double beta2, double epsilon) {
        this.m = shape.zerosLike();
        this.v = shape.zerosLike();
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
    }

    /**
     * The global L2 norm of all gradients (fixed-chunk partial sums in double, reduced in order).
     *
     * @param grad gradients; not modified
     * @return √(Σ g²) over every array, deterministic whatever the thread count
     */
    public static double globalNorm(SaeParameters grad) {
        double total = 0;
        for (float[] g : grad.arrays()) {
            int chunks = Parallel.chunks(g.length, CHUNK);
            double[] partial = new double[chunks];
            // four chunks per task, summed side by side: each chunk's sum is still one sequential chain (the same bits),
            // but four chains hide the latency of the double adds
            Parallel.forChunks(g.length, 4 * CHUNK, g.length >= 1 << 18,
                    (c, from, to) -> chunkSquares(g, from, to, partial, 4 * c));
            for (double s : partial) {
                total += s;
            }
        }
        return Math.sqrt(total);
    }

    /**
     * partial[first + q] = Σ g[i]² (in double, i increasing) over the q-th CHUNK-long piece of [from, to), for the up
     * to four pieces of the range; four full pieces are summed in one loop with four accumulators.
     */
    private static void chunkSquares(float[] g, int from, int to, double[] partial, int first) {
        if (to - from == 4 * CHUNK) {
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            for (int i = from; i < from + CHUNK; i++) {
                double a = g[i];
                double b = g[i + CHUNK];
                double c = g[i + 2 * CHUNK];
                double d = g[i + 3 * CHUNK];
                s0 += a * a;
                s1 += b * b;
                s2 += c * c;
                s3 += d * d;
            }
            partial[first] = s0;
            partial[first + 1] = s1;
            partial[first + 2] = s2;
            partial[first + 3] = s3;
            return;
        }
        for (int q = 0; from + q * CHUNK < to; q++) {
            double s = 0;
            for (int i = from + q * CHUNK; i < Math.min(to, from + (q + 1) * CHUNK); i++) {
                s += (double) g[i] * g[i];
            }
            partial[first + q] = s;
        }
    }

    /**
     * Scales every gradient by {@code factor} in place.
     *
     * @param grad gradients; every entry multiplied in place
     * @param factor the multiplier (e.g. the clipping factor clip/‖g‖)
     */
    public static void scale(SaeParameters grad, float factor) {
        for (float[] g : grad.arrays()) {
            Parallel.forChunks(g.length, CHUNK, g.length >= 1 << 18, (c, from, to) -> {
                for (int i = from; i < to; i++) {
                    g[i] *= factor;
                }
            });
        }
    }

    /**
     * Removes from each decoder-row gradient its component along the (unit-norm) row: g_i ← g_i − (g_i·w_i) w_i.
     *
     * @param p parameters whose decoder rows W_dec [n, d_out] are unit norm; not modified
     * @param grad gradients; its W_dec rows are projected in place, other arrays untouched
     */
    public static void projectDecoderGradient(SaeParameters p, SaeParameters grad) {
        int d = p.dOut();
        Parallel.forChunks(p.dSae(), 256, (long) p.dSae() * d >= 1 << 18, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                int o = i * d;
                float dotp = RowKernels.dot(grad.wDec, o, p.wDec, o, d);
                if (dotp != 0f) {
                    RowKernels.axpy(-dotp, p.wDec, o, grad.wDec, o, d);
                }
            }
        });
    }

    /**
     * Rescales every decoder row to unit norm (rows of norm 0 are left alone).
     *
     * @param p parameters; W_dec [n, d_out] rescaled in place
     */
    public static void normalizeDecoderRows(SaeParameters p) {
        int d = p.dOut();
        Parallel.forChunks(p.dSae(), 256, (long) p.dSae() * d >= 1 << 18, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                normalizeRow(p.wDec, i * d, d);
            }
        });
    }

    /** Rescales w[o..o+d) to unit norm (norm in double; a zero row is left alone). */
    private static void normalizeRow(float[] w, int o, int d) {
        double norm = Math.sqrt(TopKKernels.sumSquares(w, o, d));
        if (norm > 0) {
            float inv = (float) (1 / norm);
            for (int j = 0; j < d; j++) {
                w[o + j] *= inv;
            }
        }
    }

    /**
     * One Adam update of {@code p} with gradient {@code grad} at step {@code t} (1-based); zeroes {@code grad}.
     *
     * @param p parameters, updated in place
     * @param grad gradients; read, then zeroed
     * @param lr learning rate of this step
     * @param t step number, 1-based (for the bias corrections 1 − β^t)
     */
    public void update(SaeParameters p, SaeParameters grad, double lr, long t) {
        update(p, grad, lr, t, false);
    }

    /**
     * As {@link #update(SaeParameters, SaeParameters, double, long)}, then, with {@code normalizeDecoderRows},
     * rescales every decoder row to unit norm as {@link #normalizeDecoderRows} does — bit-identical to calling it
     * afterwards (the update is elementwise), but each row is renormalised right after its update, while in cache,
     * saving a pass over W_dec.
     *
     * @param p parameters, updated in place
     * @param grad gradients; read, then zeroed
     * @param lr learning rate of this step
     * @param t step number, 1-based
     * @param normalizeDecoderRows whether to rescale each decoder row to unit norm after its update
     */
    public void update(SaeParameters p, SaeParameters grad, double lr, long t, boolean normalizeDecoderRows) {
        update(p, grad, lr, t, normalizeDecoderRows, 1f);
    }

    /**
     * As {@link #update(SaeParameters, SaeParameters, double, long, boolean)} with every gradient entry first
     * multiplied by {@code gradScale} (the clipping factor) — bit-identical to {@link #scale} followed by the update,
     * without its extra pass over the gradients.
     *
     * @param p parameters, updated in place
     * @param grad gradients; read (times {@code gradScale}), then zeroed
     * @param lr learning rate of this step
     * @param t step number, 1-based
     * @param normalizeDecoderRows whether to rescale each decoder row to unit norm after its update
     * @param gradScale factor applied to every gradient entry before the update (1 = none)
     */
    public void update(SaeParameters p, SaeParameters grad, double lr, long t, boolean normalizeDecoderRows,
            float gradScale) {
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2 = Math.sqrt(1 - Math.pow(beta2, t));
        float stepSize = (float) (lr / bc1);
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        float c1 = (float) (1 - beta1);
        float c2 = (float) (1 - beta2);
        float invBc2 = (float) (1 / bc2);
        float eps = (float) epsilon;
        float[][] ps = p.arrays();
        float[][] gs = grad.arrays();
        float[][] ms = m.arrays();
        float[][] vs = v.arrays();
        for (int a = 0; a < ps.length; a++) {
            float[] pa = ps[a];
            float[] ga = gs[a];
            float[] ma = ms[a];
            float[] va = vs[a];
            if (normalizeDecoderRows && pa == p.wDec) {
                int d = p.dOut();
                int rowsPerChunk = Math.max(1, CHUNK / d);
                Parallel.forChunks(p.dSae(), rowsPerChunk, pa.length >= 1 << 18, (c, from, to) -> {
                    for (int i = from; i < to; i++) {
                        int o = i * d;
                        for (int q = o; q < o + d; q++) {
                            float g = ga[q] * gradScale;
                            float mi = b1 * ma[q] + c1 * g;
                            float vi = b2 * va[q] + c2 * g * g;
                            ma[q] = mi;
                            va[q] = vi;
                            pa[q] -= stepSize * mi / ((float) Math.sqrt(vi) * invBc2 + eps);
                            ga[q] = 0f;
                        }
                        normalizeRow(pa, o, d);
                    }
                });
                continue;
            }
            Parallel.forChunks(pa.length, CHUNK, pa.length >= 1 << 18, (c, from, to) -> {
                for (int i = from; i < to; i++) {
                    float g = ga[i] * gradScale;
                    float mi = b1 * ma[i] + c1 * g;
                    float vi = b2 * va[i] + c2 * g * g;
                    ma[i] = mi;
                    va[i] = vi;
                    pa[i] -= stepSize * mi / ((float) Math.sqrt(vi) * invBc2 + eps);
                    ga[i] = 0f;
                }
            });
        }
    }
}
