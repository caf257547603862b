package org.mechinterp.sae.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import org.mechinterp.sae.model.Parallel;
import org.mechinterp.sae.model.SparseCodes;

/**
 * The TopK-family training step computed from the active latents only.
 *
 * <p>Only the encoder GEMM z = (x − b_dec)·W_enc + b_enc ([B, d]×[d, n]) is dense ({@link #preActivations}, through libtorch); the
 * selection runs in libtorch too ({@link #selectTopK}, {@link #selectBatchTopK}, {@link #selectAux}); everything
 * else ({@link #forwardBackward}) is O(E·d) for E active entries, in Java: the reconstruction gathers E decoder
 * rows, the decoder and encoder weight gradients are scatter-adds into the E selected rows.
 *
 * <p>Determinism: work is split over fixed partitions (rows for per-row work, latents for the scatter-adds,
 * fixed row chunks for the b_dec reduction, summed in chunk order), so results are bit-identical whatever the
 * number of threads. Every method is stateless; none modifies its inputs except the gradient it is given.
 */
public final class TopKKernels {
    /** Rows per parallel chunk. */
    private static final int ROW_CHUNK = 64;
    /** Latents per parallel chunk of the scatter-add. */
    private static final int LATENT_CHUNK = 128;

    private TopKKernels() {}

    /**
     * The losses of one step (scalars, computed in double from float residuals).
     *
     * @param mse (1/B) Σ_b ‖x_b − x̂_b‖²
     * @param aux AuxK loss Σ_b ‖ê_b − r_b‖² / Σ_b ‖x_b − x̄‖² before α (0 without AuxK)
     * @param fvu Σ_b ‖x_b − x̂_b‖² / Σ_b ‖x_b − x̄‖²
     * @param inner Matryoshka: Σ over the inner levels (all but the whole dictionary) of their (1/B) Σ_b ‖r^(g)_b‖²;
     *     0 with one level
     */
    public record Losses(double mse, double aux, double fvu, double inner) {}

    /**
     * z = xc·encTᵀ + b_enc [B, n] in {@code m}, where xc = x − b_dec [B, d] is given.
     *
     * @param m the manager that owns the result (use a per-step sub-manager)
     * @param xc encoder input rows [rows, d_in]; not modified
     * @param rows batch size B
     * @param p parameters; not modified
     * @return z [rows, n] (float32), attached to {@code m}
     */
    public static NDArray preActivations(NDManager m, float[] xc, int rows, SaeParameters p) {
        NDArray xs = m.create(FloatBuffer.wrap(xc, 0, rows * p.dIn()), new Shape(rows, p.dIn()));
        NDArray enc = m.create(FloatBuffer.wrap(p.encT), new Shape(p.dSae(), p.dIn()));
        return encode(m, xs, enc, p);
    }

    /**
     * As {@link #preActivations(NDManager, float[], int, SaeParameters)}, with the input and the encoder copied into
     * native memory through reusable buffers (a training run keeps one per operand across steps; same result).
     */
    static NDArray preActivations(NDManager m, float[] xc, int rows, SaeParameters p, DirectStaging inputStaging,
            DirectStaging encoderStaging) {
        NDArray xs = inputStaging.stage(m, xc, new Shape(rows, p.dIn()));
        NDArray enc = encoderStaging.stage(m, p.encT, new Shape(p.dSae(), p.dIn()));
        return encode(m, xs, enc, p);
    }

    /** xs [B, d]·encᵀ [d, n] + b_enc in {@code m}. */
    private static NDArray encode(NDManager m, NDArray xs, NDArray enc, SaeParameters p) {
        // in place: the [B, n] result is the largest array of the step, do not allocate it twice
        return xs.matMul(enc.transpose()).addi(m.create(p.bEnc));
    }

    /**
     * xc = x − b_dec for the first {@code rows} rows of x [rows, d].
     *
     * @param x input rows [rows, d] (at least {@code rows} rows); not modified
     * @param rows number of rows to centre
     * @param bDec b_dec [d]; not modified
     * @return a new array xc [rows, d]
     */
    public static float[] centre(float[] x, int rows, float[] bDec) {
        int d = bDec.length;
        float[] xc = new float[rows * d];
        Parallel.forChunks(rows, ROW_CHUNK * 4, (c, from, to) -> {
            for (int b = from; b < to; b++) {
                int o = b * d;
                for (int j = 0; j < d; j++) {
                    xc[o + j] = x[o + j] - bDec[j];
                }
            }
        });
        return xc;
    }

    /**
     * Per-token TopK: the k largest z of each row, ReLU applied to the values (non-positive picks become 0).
     *
     * @param z pre-activations [B, n]; not modified
     * @param k latents per row, ≤ n
     * @return k entries per row in descending order of z, values max(z, 0)
     */
    public static SparseCodes selectTopK(NDArray z, int k) {
        int rows = (int) z.getShape().get(0);
        int n = (int) z.getShape().get(1);
        NDList top = z.topK(k, 1, true, true);
        float[] val = top.get(0).toFloatArray();
        long[] idx = top.get(1).toLongArray();
        int[] index = new int[idx.length];
        for (int e = 0; e < idx.length; e++) {
            index[e] = (int) idx[e];
            val[e] = Math.max(0f, val[e]);
        }
        int[] start = new int[rows + 1];
        for (int b = 0; b <= rows; b++) {
            start[b] = b * k;
        }
        return new SparseCodes(rows, n, start, index, val);
    }

    /**
     * BatchTopK: the {@code total} largest entries of ReLU(z) over the whole batch, as compressed rows (a row may
     * hold more or fewer than the average). Entries that are not positive are dropped (they would contribute
     * nothing); ties at the cut go to the earlier row.
     *
     * <p>Exact and cheap: each row's {@code 4·total/B} largest entries are taken with a per-row TopK in libtorch,
     * the cut is found among those candidates in Java, and only if some row has all of its candidates above the
     * cut (it might hold more) is the exact flat TopK over all B·n entries used instead.
     *
     * @param z pre-activations [B, n]; not modified
     * @param total number of entries to keep over the batch (B·k)
     * @return the kept entries as compressed rows, with their values of z (all &gt; 0)
     */
    public static SparseCodes selectBatchTopK(NDArray z, int total) {
        int rows = (int) z.getShape().get(0);
        int n = (int) z.getShape().get(1);
        int kk = (int) Math.min(total, (long) rows * n);
        int cap = (int) Math.min(n, Math.max(1, 4L * ((kk + rows - 1) / rows)));
        NDList top = z.topK(cap, 1, true, true);
        float[] cand = top.get(0).toFloatArray();
        long[] candIdx = top.get(1).toLongArray();
        float cut = kthLargest(cand, kk);
        boolean saturated = false;
        if (cap < n) {
            for (int b = 0; b < rows && !saturated; b++) {
                float smallest = cand[b * cap + cap - 1];
                saturated = smallest >= cut && smallest > 0f;
            }
        }
        if (saturated) {
            NDList flat = z.reshape(-1).topK(kk, 0, true, true);
            float[] v = flat.get(0).toFloatArray();
            long[] f = flat.get(1).toLongArray();
            cand = new float[rows * n];
            java.util.Arrays.fill(cand, Float.NEGATIVE_INFINITY);
            candIdx = new long[rows * n];
            int[] fill = new int[rows];
            // regroup the flat picks by row (cap = n), in the flat order
            for (int e = 0; e < kk; e++) {
                int b = (int) (f[e] / n);
                int pos = b * n + fill[b]++;
                cand[pos] = v[e];
                candIdx[pos] = f[e] % n;
            }
            cap = n;
            cut = kk > 0 ? v[kk - 1] : Float.POSITIVE_INFINITY;
        }
        // keep everything above the cut, then ties at the cut in row order, positive values only
        int above = 0;
        for (float v : cand) {
            if (v > cut) {
                above++;
            }
        }
        int tiesLeft = kk - above;
        int[] start = new int[rows + 1];
        int[] index = new int[kk];
        float[] val = new float[kk];
        int e = 0;
        for (int b = 0; b < rows; b++) {
            for (int c = 0; c < cap; c++) {
                float v = cand[b * cap + c];
                boolean keep = v > cut || (v == cut && tiesLeft-- > 0);
                if (keep && v > 0f) {
                    index[e] = (int) candIdx[b * cap + c];
                    val[e++] = v;
                }
            }
            start[b + 1] = e;
        }
        return new SparseCodes(rows, n, start, index, val);
    }

    /** The k-th largest value of {@code a} (1-based k ≤ length), by sorting a copy. */
    private static float kthLargest(float[] a, int k) {
        if (k < 1) {
            return Float.POSITIVE_INFINITY;
        }
        float[] c = a.clone();
        java.util.Arrays.sort(c);
        return c[c.length - k];
    }

    /**
     * AuxK selection: per row, the {@code kAux} largest pre-activations among dead latents (ReLU applied), or null
     * when no latent is dead. At most as many as there are dead latents are taken.
     *
     * @param m manager for the temporary masked copy of z (freed before returning)
     * @param z pre-activations [B, n]; not modified
     * @param dead dead-latent mask [n]
     * @param kAux latents per row for the auxiliary reconstruction
     * @return min(kAux, #dead) entries per row among dead latents, values max(z, 0); null when none is dead
     */
    public static SparseCodes selectAux(NDManager m, NDArray z, boolean[] dead, int kAux) {
        int numDead = 0;
        float[] mask = new float[dead.length];
        for (int i = 0; i < dead.length; i++) {
            if (dead[i]) {
                numDead++;
            } else {
                mask[i] = Float.NEGATIVE_INFINITY;
            }
        }
        if (numDead == 0 || kAux < 1) {
            return null;
        }
        try (NDManager local = m.newSubManager()) {
            NDArray masked = z.add(local.create(mask));
            masked.attach(local);
            return selectTopK(masked, Math.min(kAux, numDead));
        }
    }

    /**
     * What distinguishes a transcoder or Matryoshka step from the plain SAE step ({@link #SAE}).
     *
     * @param levelEnds prefix ends of the nested reconstruction levels (strictly increasing, last = n), or null for
     *     one level (the whole dictionary)
     * @param centredInput whether the encoder input is x − b_dec (an SAE: b_dec then also gets the encoder term of
     *     its gradient); false for a transcoder, whose encoder reads the raw input
     * @param totalVariance Σ_b ‖y_b − ȳ‖² of the reconstruction target for FVU and AuxK, or NaN to compute it from
     *     {@code target}
     * @param outputGradient if not null, [B, d_out] receives ∂loss/∂ŷ summed over the levels (for the skip
     *     connection's gradient)
     * @param projectDecoderGradient whether to finish each decoder-row gradient with the unit-norm projection
     *     g_i ← g_i − (g_i·w_i) w_i ({@link Adam#projectDecoderGradient}, bit-identical, but done while the row is in
     *     cache; only valid when {@code grad} starts at zero)
     */
    public record Options(int[] levelEnds, boolean centredInput, double totalVariance, float[] outputGradient,
            boolean projectDecoderGradient) {
        /** The plain SAE step. */
        public static final Options SAE = new Options(null, true, Double.NaN, null, false);

        /**
         * Without the fused decoder-gradient projection.
         *
         * @param levelEnds prefix ends of the nested levels, or null for one level
         * @param centredInput whether the encoder input is x − b_dec
         * @param totalVariance Σ_b ‖y_b − ȳ‖² of the target, or NaN to compute it
         * @param outputGradient [B, d_out] receiving ∂loss/∂ŷ, or null
         */
        public Options(int[] levelEnds, boolean centredInput, double totalVariance, float[] outputGradient) {
            this(levelEnds, centredInput, totalVariance, outputGradient, false);
        }
    }

    /**
     * The plain SAE step: {@code forwardBackward(x, xc, rows, p, codes, aux, auxAlpha, Options.SAE, grad)}.
     *
     * @param x input rows [B, d] (the target); not modified
     * @param xc x − b_dec [B, d]; not modified
     * @param rows batch size B
     * @param p parameters; not modified
     * @param codes the TopK or BatchTopK selection (values after ReLU)
     * @param aux the AuxK selection, or null
     * @param auxAlpha α of the AuxK term
     * @param grad receives the gradients, added to what it holds
     * @return the step's MSE, AuxK, FVU and inner-level losses
     */
    public static Losses forwardBackward(float[] x, float[] xc, int rows, SaeParameters p, SparseCodes codes,
            SparseCodes aux, double auxAlpha, SaeParameters grad) {
        return forwardBackward(x, xc, rows, p, codes, aux, auxAlpha, Options.SAE, grad);
    }

    /**
     * Loss and gradients of one TopK-family step, from the active latents.
     *
     * <p>With t the target (x for an SAE; y − x·W_skipᵀ for a transcoder, so that r below is y − ŷ), levels
     * g = 0..L−1 of prefix ends w_g (L = 1 without Matryoshka), r^(g)_b = t_b − b_dec − Σ_{e ∈ row b, i_e &lt; w_g}
     * f_e W_dec[i_e], loss Σ_g (1/B) Σ_b ‖r^(g)_b‖². A latent of group h enters every level g ≥ h, so with
     * R^h_b = Σ_{g≥h} r^(g)_b and G^h_b = −(2/B) R^h_b: δ_e = 1[f_e &gt; 0] G^{h(e)}_b·W_dec[i_e] (= ∂loss/∂z),
     * ∂/∂W_dec[i] = Σ_{e→i} f_e G^{h(e)}_b, ∂/∂encT[i] = Σ_{e→i} δ_e xc_b, ∂/∂b_enc[i] = Σ_{e→i} δ_e,
     * ∂/∂b_dec = Σ_b G^0_b, minus Σ_e δ_e encT[i_e] when b_dec is also subtracted from the encoder input
     * ({@link Options#centredInput()}; computed as −Σ_i (∂/∂b_enc[i]) encT[i]). AuxK adds α·Σ‖ê_b − r_b‖²/TV with
     * r = r^(L−1), ê_b = Σ_{aux e} a_e W_dec[i_e], r detached, entering the same formulas with
     * G_b^aux = α·2(ê_b − r_b)/TV.
     *
     * @param target t [B, d_out]; not modified
     * @param xc the encoder input [B, d_in] (x − b_dec for an SAE, see {@link #centre}); not modified
     * @param codes the main selection (values after ReLU)
     * @param aux the AuxK selection, or null
     * @param auxAlpha α (ignored when {@code aux} is null)
     * @param grad receives the gradients, <em>added</em> to what it holds (pass zeros for plain gradients); its
     *     W_skip is not touched (see {@link Options#outputGradient()})
     * @param rows batch size B
     * @param p parameters; not modified
     * @param opt levels, input centring, total variance, output-gradient sink and decoder projection
     * @return the step's MSE, AuxK, FVU and inner-level losses
     */
    public static Losses forwardBackward(float[] target, float[] xc, int rows, SaeParameters p, SparseCodes codes,
            SparseCodes aux, double auxAlpha, Options opt, SaeParameters grad) {
        final int d = p.dOut();
        final int dIn = p.dIn();
        final int n = p.dSae();
        final float[] wDec = p.wDec;
        final float[] encT = p.encT;
        final int[] st = codes.rowStart();
        final int[] id = codes.index();
        final float[] vl = codes.value();
        final int[] ends = opt.levelEnds() == null ? new int[] {n} : opt.levelEnds();
        final int levels = ends.length;
        final int[] levelOf = levelOf(ends, n);
        // below ~1M multiply-adds the thread hand-off costs more than it saves
        final boolean par = (long) codes.entries() * d >= 1 << 20;

        final double tv = Double.isNaN(opt.totalVariance()) ? totalVariance(target, rows, d) : opt.totalVariance();
        final float gScale = -2f / rows;
        final boolean hasAux = aux != null && auxAlpha > 0 && aux.entries() > 0;
        final float auxScale = (float) (auxAlpha * 2.0 / tv);
        final float[][] rs = new float[levels][rows * d];
        final double[][] rowSq = new double[levels][rows];
        final float[] gAux = hasAux ? new float[rows * d] : null;
        final double[] auxSq = hasAux ? new double[rows] : null;
        final float[] delta = new float[codes.entries()];
        final float[] deltaAux = hasAux ? new float[aux.entries()] : null;
        final float[] gOut = opt.outputGradient();
        final float[][] partial = new float[Parallel.chunks(rows, ROW_CHUNK)][];
        // One pass over the rows does all per-row work while the row's residual is in cache: residual of every level
        // r^(g) = t − x̂^(g) (cumulative, level order), AuxK's gAux_b = α·2(ê_b − r_b)/TV, the suffix sums
        // R^h = Σ_{g≥h} r^(g), δ at every entry (∂loss/∂z), ∂loss/∂ŷ for the skip, and the chunk's share of
        // ∂/∂b_dec = Σ_b G^0_b (chunks reduced in order below, so the result does not depend on the threads)
        Parallel.forChunks(rows, ROW_CHUNK, par, (c, from, to) -> {
            float[] acc = new float[d];
            for (int b = from; b < to; b++) {
                int o = b * d;
                levelResiduals(b, target, p, codes, levelOf, rs, rowSq);
                if (hasAux) {
                    auxRow(b, o, d, rs[levels - 1], aux, wDec, auxScale, gAux, auxSq, deltaAux);
                }
                suffixSums(rs, o, d);
                rowDeltas(b, codes, levelOf, rs, wDec, d, gScale, delta);
                RowKernels.axpy(gScale, rs[0], o, acc, 0, d);
                if (gOut != null) {
                    float[] r0 = rs[0];
                    for (int j = 0; j < d; j++) {
                        gOut[o + j] = gScale * r0[o + j];
                    }
                }
            }
            partial[c] = acc;
        });
        for (float[] acc : partial) {
            for (int j = 0; j < d; j++) {
                grad.bDec[j] += acc[j];
            }
        }

        // scatter-add into the selected latents, each latent's entries in a fixed order
        int mainCount = codes.entries();
        int[][] buckets = bucketByLatent(codes, hasAux ? aux : null, rows, n);
        float[] deltaSum = new float[n];
        LatentScatter scatter = new LatentScatter(d, dIn, gScale, wDec, xc, rs, levelOf, codes.value(), delta,
                hasAux ? aux.value() : null, gAux, deltaAux, mainCount, buckets, opt.projectDecoderGradient());
        Parallel.forChunks(n, LATENT_CHUNK, par, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                float db = scatter.latent(i, grad);
                deltaSum[i] = db;
                grad.bEnc[i] += db;
            }
        });
        if (opt.centredInput()) {
            subtractEncoderTerm(deltaSum, encT, dIn, par, grad.bDec);
        }
        return losses(rowSq, auxSq, rows, tv);
    }

    /**
     * The suffix sums R^h = Σ_{g≥h} r^(g) of row o's level residuals, in place (rs[h] becomes R^h), from the
     * second-to-last level down.
     */
    private static void suffixSums(float[][] rs, int o, int d) {
        for (int g = rs.length - 2; g >= 0; g--) {
            float[] lo = rs[g];
            float[] hi = rs[g + 1];
            for (int j = 0; j < d; j++) {
                lo[o + j] += hi[o + j];
            }
        }
    }

    /**
     * The step's losses from the per-row squared residual norms of every level and of AuxK (null without AuxK),
     * each summed over the rows in order: MSE and FVU from the last level, the inner levels' (1/B)-scaled sums.
     */
    private static Losses losses(double[][] rowSq, double[] auxSq, int rows, double tv) {
        int levels = rowSq.length;
        double[] sseLevel = new double[levels];
        for (int g = 0; g < levels; g++) {
            for (double s : rowSq[g]) {
                sseLevel[g] += s;
            }
        }
        double sse = sseLevel[levels - 1];
        double inner = 0;
        for (int g = 0; g + 1 < levels; g++) {
            inner += sseLevel[g] / rows;
        }
        double auxLoss = 0;
        if (auxSq != null) {
            for (double s : auxSq) {
                auxLoss += s;
            }
            auxLoss /= tv;
        }
        return new Losses(sse / rows, auxLoss, sse / tv, inner);
    }

    /**
     * The scatter-add of one step into each latent's gradient rows, from that latent's entries in a fixed order (main
     * entries in row order, then AuxK entries in row order):
     * ∂/∂W_dec[i] += Σ_{e→i} coef_e·G_b (coef = f_e·(−2/B) with G from the residual R^{h(i)}, or a_e with gAux for
     * AuxK), ∂/∂encT[i] += Σ_{e→i} δ_e·xc_b, and the unit-norm projection of the finished decoder-row gradient.
     * Several source rows are streamed at once ({@link RowKernels#axpyRows}), which gives the bits of one axpy per
     * entry.
     */
    private record LatentScatter(int d, int dIn, float gScale, float[] wDec, float[] xc, float[][] rs, int[] levelOf,
            float[] value, float[] delta, float[] auxValue, float[] gAux, float[] deltaAux, int mainCount,
            int[][] buckets, boolean project) {
        /** Adds latent i's gradient rows into {@code grad}; returns Σ_{e→i} δ_e (its b_enc gradient). */
        float latent(int i, SaeParameters grad) {
            int[] entryRow = buckets[0];
            int[] latStart = buckets[1];
            int[] byLatent = buckets[2];
            int from = latStart[i];
            int to = latStart[i + 1];
            if (from == to) {
                return 0f;
            }
            int count = to - from;
            float[] decCoef = new float[count];
            int[] decOff = new int[count];
            float[] encCoef = new float[count];
            int[] encOff = new int[count];
            int mains = 0;
            float db = 0f;
            for (int q = from; q < to; q++) {
                int e = byLatent[q];
                int u = q - from;
                int b = entryRow[e];
                boolean main = e < mainCount;
                mains += main ? 1 : 0;
                decCoef[u] = main ? value[e] * gScale : auxValue[e - mainCount];
                decOff[u] = b * d;
                encCoef[u] = main ? delta[e] : deltaAux[e - mainCount];
                encOff[u] = b * dIn;
                db += encCoef[u];
            }
            int w = i * d;
            // the bucket holds the main entries first, then the AuxK ones (whose source is gAux, not the residual)
            RowKernels.axpyRows(decCoef, 0, decOff, mains, rs[levelOf[i]], grad.wDec, w, d);
            if (mains < count) {
                RowKernels.axpyRows(decCoef, mains, decOff, count - mains, gAux, grad.wDec, w, d);
            }
            RowKernels.axpyRows(encCoef, 0, encOff, count, xc, grad.encT, i * dIn, dIn);
            if (project) {
                // the row's gradient is complete: remove its component along the unit-norm decoder row now, while
                // it is in cache (what Adam.projectDecoderGradient does for every row; rows without entries have a
                // zero gradient, which the projection leaves at zero)
                float dotp = RowKernels.dot(grad.wDec, w, wDec, w, d);
                if (dotp != 0f) {
                    RowKernels.axpy(-dotp, wDec, w, grad.wDec, w, d);
                }
            }
            return db;
        }
    }

    /**
     * Row b's residual at every level, r^(g)_b = t_b − b_dec − Σ_{entries of levels ≤ g} f_e W_dec[i_e], built
     * cumulatively in level order (entries in row order within a level), and their squared norms.
     */
    private static void levelResiduals(int b, float[] target, SaeParameters p, SparseCodes codes, int[] levelOf,
            float[][] rs, double[][] rowSq) {
        int d = p.dOut();
        int o = b * d;
        int[] st = codes.rowStart();
        int[] id = codes.index();
        float[] vl = codes.value();
        float[] coef = new float[st[b + 1] - st[b]];
        int[] off = new int[coef.length];
        for (int g = 0; g < rs.length; g++) {
            float[] r = rs[g];
            if (g == 0) {
                for (int j = 0; j < d; j++) {
                    r[o + j] = target[o + j] - p.bDec[j];
                }
            } else {
                System.arraycopy(rs[g - 1], o, r, o, d);
            }
            int m = 0;
            for (int e = st[b]; e < st[b + 1]; e++) {
                float v = vl[e];
                if (v != 0f && levelOf[id[e]] == g) {
                    coef[m] = -v;
                    off[m++] = id[e] * d;
                }
            }
            RowKernels.axpyRows(coef, 0, off, m, p.wDec, r, o, d);
            rowSq[g][b] = sumSquares(r, o, d);
        }
    }

    /**
     * δ at row b's positive entries: δ_e = (−2/B)·R^{h(i_e)}_b·W_dec[i_e], the dot products of each level taken
     * together ({@link RowKernels#dotRows}, the bits of one dot per entry).
     */
    private static void rowDeltas(int b, SparseCodes codes, int[] levelOf, float[][] rs, float[] wDec, int d,
            float gScale, float[] delta) {
        int[] st = codes.rowStart();
        int[] id = codes.index();
        float[] vl = codes.value();
        int[] off = new int[st[b + 1] - st[b]];
        int[] entry = new int[off.length];
        float[] dots = new float[off.length];
        for (int g = 0; g < rs.length; g++) {
            int m = 0;
            for (int e = st[b]; e < st[b + 1]; e++) {
                if (vl[e] > 0f && levelOf[id[e]] == g) {
                    entry[m] = e;
                    off[m++] = id[e] * d;
                }
            }
            RowKernels.dotRows(rs[g], b * d, wDec, off, 0, m, dots, 0, d);
            for (int u = 0; u < m; u++) {
                delta[entry[u]] = gScale * dots[u];
            }
        }
    }

    /**
     * The positive entries bucketed by latent (counting sort, stable: main entries in order, then AuxK entries,
     * numbered mainCount + e): {entryRow [all entries] = row of each entry, latStart [n+1], byLatent}.
     */
    private static int[][] bucketByLatent(SparseCodes codes, SparseCodes aux, int rows, int n) {
        int mainCount = codes.entries();
        int auxCount = aux != null ? aux.entries() : 0;
        int[] entryRow = new int[mainCount + auxCount];
        int[] latStart = new int[n + 1];
        SparseCodes[] sets = aux != null ? new SparseCodes[] {codes, aux} : new SparseCodes[] {codes};
        for (int s = 0; s < sets.length; s++) {
            int base = s == 0 ? 0 : mainCount;
            int[] st = sets[s].rowStart();
            for (int b = 0; b < rows; b++) {
                for (int e = st[b]; e < st[b + 1]; e++) {
                    entryRow[base + e] = b;
                    if (sets[s].value()[e] > 0f) {
                        latStart[sets[s].index()[e] + 1]++;
                    }
                }
            }
        }
        for (int i = 0; i < n; i++) {
            latStart[i + 1] += latStart[i];
        }
        int[] byLatent = new int[latStart[n]];
        int[] fill = latStart.clone();
        for (int s = 0; s < sets.length; s++) {
            int base = s == 0 ? 0 : mainCount;
            for (int e = 0; e < sets[s].entries(); e++) {
                if (sets[s].value()[e] > 0f) {
                    byLatent[fill[sets[s].index()[e]]++] = base + e;
                }
            }
        }
        return new int[][] {entryRow, latStart, byLatent};
    }

    /**
     * gradBDec −= Σ_i deltaSum_i encT[i]: the b_dec gradient through the encoder input x − b_dec, summed per fixed
     * latent chunk and the chunks reduced in order.
     */
    private static void subtractEncoderTerm(float[] deltaSum, float[] encT, int dIn, boolean par, float[] gradBDec) {
        int n = deltaSum.length;
        float[][] encPart = new float[Parallel.chunks(n, LATENT_CHUNK)][];
        Parallel.forChunks(n, LATENT_CHUNK, par, (c, from, to) -> {
            float[] acc = new float[dIn];
            for (int i = from; i < to; i++) {
                if (deltaSum[i] != 0f) {
                    RowKernels.axpy(-deltaSum[i], encT, i * dIn, acc, 0, dIn);
                }
            }
            encPart[c] = acc;
        });
        for (float[] acc : encPart) {
            for (int j = 0; j < dIn; j++) {
                gradBDec[j] += acc[j];
            }
        }
    }

    /**
     * AuxK for row b: gAux_b = scale·(ê_b − r_b) with ê_b = Σ_{aux e} a_e W_dec[i_e], auxSq[b] = ‖ê_b − r_b‖², and
     * δ at the row's aux entries.
     */
    private static void auxRow(int b, int o, int d, float[] r, SparseCodes aux, float[] wDec, float scale,
            float[] gAux, double[] auxSq, float[] deltaAux) {
        int[] ast = aux.rowStart();
        int[] aid = aux.index();
        float[] avl = aux.value();
        for (int j = 0; j < d; j++) {
            gAux[o + j] = -r[o + j];
        }
        float[] coef = new float[ast[b + 1] - ast[b]];
        int[] off = new int[coef.length];
        int m = 0;
        for (int e = ast[b]; e < ast[b + 1]; e++) {
            float v = avl[e];
            if (v != 0f) {
                coef[m] = v;
                off[m++] = aid[e] * d;
            }
        }
        RowKernels.axpyRows(coef, 0, off, m, wDec, gAux, o, d);
        auxSq[b] = sumSquares(gAux, o, d);
        for (int j = 0; j < d; j++) {
            gAux[o + j] *= scale;
        }
        m = 0;
        for (int e = ast[b]; e < ast[b + 1]; e++) {
            if (avl[e] > 0f) {
                off[m++] = aid[e] * d;
            }
        }
        RowKernels.dotRows(gAux, o, wDec, off, 0, m, coef, 0, d);
        m = 0;
        for (int e = ast[b]; e < ast[b + 1]; e++) {
            if (avl[e] > 0f) {
                deltaAux[e] = coef[m++];
            }
        }
    }

    /** The level of every latent: the first g with i &lt; ends[g]. */
    private static int[] levelOf(int[] ends, int n) {
        if (ends.length == 0 || ends[ends.length - 1] != n) {
            throw new IllegalArgumentException("level ends must finish at d_sae=" + n + ", got "
                    + java.util.Arrays.toString(ends));
        }
        int[] out = new int[n];
        int g = 0;
        for (int i = 0; i < n; i++) {
            while (i >= ends[g]) {
                g++;
            }
            out[i] = g;
        }
        return out;
    }

    /**
     * Σ_b ‖x_b − x̄‖² over the first {@code rows} rows of x [rows, d], in double.
     *
     * @param x rows [rows, d] (at least {@code rows} rows); not modified
     * @param rows number of rows B
     * @param d row width
     * @return Σ_b ‖x_b − x̄‖², the total variance times B
     */
    public static double totalVariance(float[] x, int rows, int d) {
        double[] mean = new double[d];
        double sumSq = 0;
        for (int b = 0; b < rows; b++) {
            int o = b * d;
            for (int j = 0; j < d; j++) {
                double v = x[o + j];
                mean[j] += v;
                sumSq += v * v;
            }
        }
        double meanSq = 0;
        for (int j = 0; j < d; j++) {
            meanSq += mean[j] * mean[j];
        }
        double tv = sumSq - meanSq / rows;
        // one-pass formula can cancel; never divide by a non-positive variance
        return Math.max(tv, 1e-30);
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
