package org.mechinterp.sae.train;

import org.mechinterp.sae.model.Parallel;
import org.mechinterp.sae.model.SparseCodes;

/**
 * The sparse TopK step exactly as it was before the step was fused and extended for transcoders and Matryoshka
 * (TopKKernels.forwardBackward at commit 0379300, SAE only, one level; returns {mse, aux, fvu}). Test-only: the
 * reference the fused kernels must match bit for bit.
 */
final class TopKKernelsReference {
    private static final int ROW_CHUNK = 64;
    private static final int LATENT_CHUNK = 128;

    private TopKKernelsReference() {}

    /**
     * Loss and gradients of one TopK-family step, from the active latents.
     *
     * <p>With r = x − x̂, x̂_b = b_dec + Σ_{e ∈ row b} f_e W_dec[i_e], G_b = −(2/B) r_b (= ∂mse/∂x̂_b) and
     * δ_e = 1[f_e &gt; 0] G_b·W_dec[i_e] (= ∂mse/∂z at the entry): ∂/∂W_dec[i] = Σ_{e→i} f_e G_b,
     * ∂/∂encT[i] = Σ_{e→i} δ_e xc_b, ∂/∂b_enc[i] = Σ_{e→i} δ_e, ∂/∂b_dec = Σ_b G_b − Σ_e δ_e encT[i_e] (b_dec
     * is also subtracted from the encoder input; computed as −Σ_i (∂/∂b_enc[i]) encT[i]). AuxK adds α·Σ‖ê_b − r_b‖²/TV with ê_b = Σ_{aux e} a_e W_dec[i_e],
     * r detached, entering the same formulas with G_b^aux = α·2(ê_b − r_b)/TV.
     *
     * @param x inputs [B, d] (already normalised); not modified
     * @param xc x − b_dec [B, d] (see {@link #centre}); not modified
     * @param codes the main selection (values after ReLU)
     * @param aux the AuxK selection, or null
     * @param auxAlpha α (ignored when {@code aux} is null)
     * @param grad receives the gradients, <em>added</em> to what it holds (pass zeros for plain gradients)
     */
    static double[] forwardBackward(float[] x, float[] xc, int rows, SaeParameters p, SparseCodes codes,
            SparseCodes aux, double auxAlpha, SaeParameters grad) {
        final int d = p.dIn();
        final int n = p.dSae();
        final float[] wDec = p.wDec;
        final float[] encT = p.encT;
        final int[] st = codes.rowStart();
        final int[] id = codes.index();
        final float[] vl = codes.value();
        // below ~1M multiply-adds the thread hand-off costs more than it saves
        final boolean par = (long) codes.entries() * d >= 1 << 20;

        // residual r = x − x̂ per row
        float[] r = new float[rows * d];
        double[] rowSq = new double[rows];
        Parallel.forChunks(rows, ROW_CHUNK, par, (c, from, to) -> {
            for (int b = from; b < to; b++) {
                int o = b * d;
                for (int j = 0; j < d; j++) {
                    r[o + j] = x[o + j] - p.bDec[j];
                }
                for (int e = st[b]; e < st[b + 1]; e++) {
                    float v = vl[e];
                    if (v != 0f) {
                        axpy(-v, wDec, id[e] * d, r, o, d);
                    }
                }
                rowSq[b] = sumSquares(r, o, d);
            }
        });
        double sse = 0;
        for (double s : rowSq) {
            sse += s;
        }
        double tv = TopKKernels.totalVariance(x, rows, d);
        final float gScale = -2f / rows;

        // AuxK: gAux_b = α·2(ê_b − r_b)/TV
        final boolean hasAux = aux != null && auxAlpha > 0 && aux.entries() > 0;
        float[] gAux = hasAux ? new float[rows * d] : null;
        double auxLoss = 0;
        if (hasAux) {
            int[] ast = aux.rowStart();
            int[] aid = aux.index();
            float[] avl = aux.value();
            double[] auxSq = new double[rows];
            Parallel.forChunks(rows, ROW_CHUNK, par, (c, from, to) -> {
                for (int b = from; b < to; b++) {
                    int o = b * d;
                    for (int j = 0; j < d; j++) {
                        gAux[o + j] = -r[o + j];
                    }
                    for (int e = ast[b]; e < ast[b + 1]; e++) {
                        float v = avl[e];
                        if (v != 0f) {
                            axpy(v, wDec, aid[e] * d, gAux, o, d);
                        }
                    }
                    auxSq[b] = sumSquares(gAux, o, d);
                }
            });
            for (double s : auxSq) {
                auxLoss += s;
            }
            auxLoss /= tv;
            float scale = (float) (auxAlpha * 2.0 / tv);
            Parallel.forChunks(rows * d, 1 << 16, par, (c, from, to) -> {
                for (int i = from; i < to; i++) {
                    gAux[i] *= scale;
                }
            });
        }

        // δ at every entry: ∂loss/∂z
        float[] delta = new float[codes.entries()];
        float[] deltaAux = hasAux ? new float[aux.entries()] : null;
        Parallel.forChunks(rows, ROW_CHUNK, par, (c, from, to) -> {
            for (int b = from; b < to; b++) {
                int o = b * d;
                for (int e = st[b]; e < st[b + 1]; e++) {
                    if (vl[e] > 0f) {
                        delta[e] = gScale * dot(r, o, wDec, id[e] * d, d);
                    }
                }
                if (hasAux) {
                    int[] ast = aux.rowStart();
                    for (int e = ast[b]; e < ast[b + 1]; e++) {
                        if (aux.value()[e] > 0f) {
                            deltaAux[e] = dot(gAux, o, wDec, aux.index()[e] * d, d);
                        }
                    }
                }
            }
        });

        // b_dec, first part: Σ_b G_b, reduced over fixed row chunks in order. The second part,
        // −Σ_e δ_e encT[i_e] = −Σ_i (Σ_{e→i} δ_e) encT[i], is taken from the per-latent δ sums below: O(n·d), not O(E·d)
        int nChunks = Parallel.chunks(rows, ROW_CHUNK);
        float[][] partial = new float[nChunks][];
        Parallel.forChunks(rows, ROW_CHUNK, par, (c, from, to) -> {
            float[] acc = new float[d];
            for (int b = from; b < to; b++) {
                axpy(gScale, r, b * d, acc, 0, d);
            }
            partial[c] = acc;
        });
        for (float[] acc : partial) {
            for (int j = 0; j < d; j++) {
                grad.bDec[j] += acc[j];
            }
        }

        // scatter-add into the selected latents: entries bucketed by latent (counting sort, stable)
        int mainCount = codes.entries();
        int auxCount = hasAux ? aux.entries() : 0;
        int[] entryRow = new int[mainCount + auxCount];
        int[] latStart = new int[n + 1];
        for (int b = 0; b < rows; b++) {
            for (int e = st[b]; e < st[b + 1]; e++) {
                entryRow[e] = b;
                if (vl[e] > 0f) {
                    latStart[id[e] + 1]++;
                }
            }
        }
        if (hasAux) {
            int[] ast = aux.rowStart();
            for (int b = 0; b < rows; b++) {
                for (int e = ast[b]; e < ast[b + 1]; e++) {
                    entryRow[mainCount + e] = b;
                    if (aux.value()[e] > 0f) {
                        latStart[aux.index()[e] + 1]++;
                    }
                }
            }
        }
        for (int i = 0; i < n; i++) {
            latStart[i + 1] += latStart[i];
        }
        int[] byLatent = new int[latStart[n]];
        int[] fill = latStart.clone();
        for (int e = 0; e < mainCount; e++) {
            if (vl[e] > 0f) {
                byLatent[fill[id[e]]++] = e;
            }
        }
        for (int e = 0; e < auxCount; e++) {
            if (aux.value()[e] > 0f) {
                byLatent[fill[aux.index()[e]]++] = mainCount + e;
            }
        }
        float[] deltaSum = new float[n];
        Parallel.forChunks(n, LATENT_CHUNK, par, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                int w = i * d;
                float db = 0f;
                for (int q = latStart[i]; q < latStart[i + 1]; q++) {
                    int e = byLatent[q];
                    int o = entryRow[e] * d;
                    if (e < mainCount) {
                        axpy(vl[e] * gScale, r, o, grad.wDec, w, d);
                        axpy(delta[e], xc, o, grad.encT, w, d);
                        db += delta[e];
                    } else {
                        int a = e - mainCount;
                        axpy(aux.value()[a], gAux, o, grad.wDec, w, d);
                        axpy(deltaAux[a], xc, o, grad.encT, w, d);
                        db += deltaAux[a];
                    }
                }
                deltaSum[i] = db;
                grad.bEnc[i] += db;
            }
        });
        int latentChunks = Parallel.chunks(n, LATENT_CHUNK);
        float[][] encPart = new float[latentChunks][];
        Parallel.forChunks(n, LATENT_CHUNK, par, (c, from, to) -> {
            float[] acc = new float[d];
            for (int i = from; i < to; i++) {
                if (deltaSum[i] != 0f) {
                    axpy(-deltaSum[i], encT, i * d, acc, 0, d);
                }
            }
            encPart[c] = acc;
        });
        for (float[] acc : encPart) {
            for (int j = 0; j < d; j++) {
                grad.bDec[j] += acc[j];
            }
        }
        return new double[] {sse / rows, auxLoss, sse / tv};
    }


    /** y[yo..yo+len) += a·x[xo..xo+len). */
    static void axpy(float a, float[] x, int xo, float[] y, int yo, int len) {
        for (int j = 0; j < len; j++) {
            y[yo + j] += a * x[xo + j];
        }
    }

    /** Dot product with eight independent accumulators (the JIT does not vectorise ordered float sums). */
    static float dot(float[] a, int ao, float[] b, int bo, int len) {
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

    static double sumSquares(float[] a, int o, int len) {
        double s = 0;
        for (int j = 0; j < len; j++) {
            double v = a[o + j];
            s += v * v;
        }
        return s;
    }
}
