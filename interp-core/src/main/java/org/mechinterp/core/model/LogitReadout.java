package org.mechinterp.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.mechinterp.core.hooks.HookNames;

/**
 * Reads residual vectors out as logits (the math behind {@link ActivationCache#logitLens} and
 * {@link ActivationCache#logitAttribution}).
 *
 * <p>The model's head is z = softcap(norm(r)·W_U + b_U), norm(r) = (r − μ)/s·(c + w) + b for LayerNorm and
 * r/s·(c + w) for RMSNorm, s = sqrt(mean((r − μ)²) + eps), c the norm weight offset (1 for Gemma), softcap the
 * final-logit soft-cap (identity without one).
 */
final class LogitReadout {
    private final ActivationCache cache;
    private final HookedTransformer model;
    private final ModelConfig config;

    LogitReadout(ActivationCache cache, HookedTransformer model) {
        this.cache = cache;
        this.model = model;
        this.config = model.config();
    }

    /**
     * The logit lens: every component of {@code stack} [C,B,T,D] at token {@code position} through the full head
     * above, with each component's own norm scale. The last component of
     * {@link ActivationCache#accumulatedResid}(−1, ..) gives the model's logits. [C,B,V], owned by the cache.
     */
    NDArray lens(ResidualStack stack, int position) {
        checkPosition(stack, position);
        try (NDManager scratch = cache.manager().newSubManager()) {
            HeadWeights head = model.weights().head(scratch);
            NDArray r = stack.stack().get(":, :, {}, :", position);                               // [C,B,D]
            r.attach(scratch);
            NDArray centred = config.norm() == NormKind.LAYER_NORM ? r.sub(r.mean(new int[] {-1}, true)) : r;
            NDArray normed = centred.div(centred.square().mean(new int[] {-1}, true).add((float) config.normEps())
                    .sqrt());
            NDArray y = normed.mul(head.lnFinal().weight()).add(normed.mul((float) config.normWeightOffset()));
            if (head.lnFinal().bias() != null) {
                y = y.add(head.lnFinal().bias());
            }
            NDArray z = y.matMul(head.unembed());                                                   // [C,B,V]
            if (head.unembedBias() != null) {
                z = z.add(head.unembedBias());
            }
            double cap = config.finalLogitSoftcap();
            if (cap > 0) {
                z = z.div((float) cap).tanh().mul((float) cap);
            }
            z.attach(cache.manager());
            return z;
        }
    }

    /**
     * Direct logit attribution of token {@code token} (minus {@code other} when ≥ 0) at (batchRow, position): with u =
     * W_U[:,token] − W_U[:,other] and the cached final scale s frozen, component x contributes
     * (x − mean_D x)/s · ((c + w) ⊙ u) (no centring for RMSNorm), and the constant is b·u + b_U[token] − b_U[other].
     * Computed in double precision.
     */
    LogitAttribution attribute(ResidualStack components, int batchRow, int position, int token, int other) {
        checkPosition(components, position);
        int d = config.dModel();
        int v = config.vocabSize();
        if (token < 0 || token >= v || other >= v) {
            throw new IllegalArgumentException("token ids must be within 0.." + (v - 1) + ", got " + token
                    + (other >= 0 ? " and " + other : ""));
        }
        try (NDManager scratch = cache.manager().newSubManager()) {
            HeadWeights head = model.weights().head(scratch);
            double[] u = column(head.unembed(), token, scratch);
            float[] biasU = head.unembedBias() == null ? null : head.unembedBias().toFloatArray();
            double bu = biasU == null ? 0 : biasU[token];
            if (other >= 0) {
                double[] o = column(head.unembed(), other, scratch);
                for (int i = 0; i < d; i++) {
                    u[i] -= o[i];
                }
                bu -= biasU == null ? 0 : biasU[other];
            }
            float[] w = head.lnFinal().weight().toFloatArray();
            float[] b = head.lnFinal().bias() == null ? null : head.lnFinal().bias().toFloatArray();
            double constant = bu;
            double[] reader = new double[d];                                  // (c + w) ⊙ u
            for (int i = 0; i < d; i++) {
                reader[i] = ((double) w[i] + config.normWeightOffset()) * u[i];
                constant += b == null ? 0 : b[i] * u[i];
            }
            double scale = cache.get(HookNames.LN_FINAL_SCALE).getFloat(batchRow, position, 0);
            NDArray rows = components.stack().get(":, {}, {}, :", batchRow, position);          // [C,D]
            rows.attach(scratch);
            float[] x = rows.toFloatArray();
            double[] out = new double[components.size()];
            for (int c = 0; c < out.length; c++) {
                double mean = 0;
                if (config.norm() == NormKind.LAYER_NORM) {
                    for (int i = 0; i < d; i++) {
                        mean += x[c * d + i];
                    }
                    mean /= d;
                }
                double dot = 0;
                for (int i = 0; i < d; i++) {
                    dot += (x[c * d + i] - mean) * reader[i];
                }
                out[c] = dot / scale;
            }
            return new LogitAttribution(components.labels(), out, constant);
        }
    }

    /** W_U[:, id] in double precision (the slice is owned by scratch, not by the model). */
    private static double[] column(NDArray unembed, int id, NDManager scratch) {
        NDArray col = unembed.get(":, {}", id);
        col.attach(scratch);
        float[] f = col.toFloatArray();
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i];
        }
        return out;
    }

    private static void checkPosition(ResidualStack stack, int position) {
        long t = stack.stack().getShape().get(2);
        if (position < 0 || position >= t) {
            throw new IllegalArgumentException("position " + position + " is outside 0.." + (t - 1));
        }
    }
}
