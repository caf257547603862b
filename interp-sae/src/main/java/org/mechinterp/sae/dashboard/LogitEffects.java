package org.mechinterp.sae.dashboard;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.sae.model.Sae;

/**
 * The direct effect of a latent on the logits: {@code W_dec[i] · W_U} [V], the change in every logit per unit of
 * activation through the residual stream, ignoring the final norm (as SAE-Vis and Neuronpedia show it). Meaningful for
 * an SAE on a residual-stream hook.
 *
 * @param latent the latent
 * @param positiveIds the tokens with the largest effects, descending
 * @param positiveValues their effects
 * @param negativeIds the tokens with the most negative effects, ascending
 * @param negativeValues their effects
 */
public record LogitEffects(int latent, int[] positiveIds, double[] positiveValues, int[] negativeIds,
        double[] negativeValues) {

    /**
     * @param wDec decoder rows [n, d] (not modified)
     * @param wU unembedding [d, V] row-major (not modified)
     * @param d model width
     * @param vocab V
     * @param latent the latent i
     * @param k tokens kept on each side
     * @return the k tokens whose logits the latent's decoder direction raises most and the k it lowers most, with the
     *     effects W_dec[i]·W_U[:, t]
     */
    public static LogitEffects of(float[] wDec, float[] wU, int d, int vocab, int latent, int k) {
        if ((long) d * vocab != wU.length || (long) (latent + 1) * d > wDec.length) {
            throw new IllegalArgumentException("W_U must be [" + d + ", " + vocab + "] and latent " + latent
                    + " a row of W_dec");
        }
        double[] e = new double[vocab];
        for (int j = 0; j < d; j++) {
            double w = wDec[latent * d + j];
            int o = j * vocab;
            for (int v = 0; v < vocab; v++) {
                e[v] += w * wU[o + v];
            }
        }
        return topAndBottom(latent, e, k);
    }

    /**
     * The logit effects of several latents of an SAE on a residual-stream hook of {@code model}, with the model's
     * W_U (copied once to the heap as float32; nothing native stays allocated).
     *
     * @param model the model whose unembedding is used (not closed)
     * @param sae the SAE; its input width must be the model's d
     * @param hook the hook the SAE reads; must be a residual-stream hook ({@code ...resid...})
     * @param latents the latents, each in [0, n)
     * @param k tokens kept on each side
     * @return latent → its effects, in the order of {@code latents}
     * @throws IllegalArgumentException when the hook is not on the residual stream or W_U does not match the SAE,
     *     naming why
     * @throws IllegalStateException when the model's W_U is not available (e.g. weights kept at rest)
     */
    public static Map<Integer, LogitEffects> forLatents(HookedTransformer model, Sae sae, String hook, int[] latents,
            int k) {
        if (!hook.contains("resid")) {
            throw new IllegalArgumentException("logit effects need an SAE on the residual stream; " + hook + " is not");
        }
        float[] wU;
        long[] shape;
        try {
            NDArray u = model.weights().unembed();                                                  // [d, V]
            shape = u.getShape().getShape();
            if (u.getDataType() == DataType.FLOAT32) {
                wU = u.toFloatArray();
            } else {
                try (NDArray f = u.toType(DataType.FLOAT32, false)) {
                    wU = f.toFloatArray();
                }
            }
        } catch (RuntimeException e) {
            throw new IllegalStateException("W_U is not available: " + e.getMessage(), e);
        }
        if (shape.length != 2 || shape[0] != sae.dIn()) {
            throw new IllegalArgumentException("W_U has shape " + Arrays.toString(shape) + ", not [" + sae.dIn()
                    + ", V]");
        }
        float[] wDec = sae.wDec();
        Map<Integer, LogitEffects> out = new LinkedHashMap<>();
        for (int l : latents) {
            out.put(l, of(wDec, wU, sae.dIn(), (int) shape[1], l, k));
        }
        return out;
    }

    /** The k largest and k smallest entries of {@code e} [V] (ties by token id). */
    private static LogitEffects topAndBottom(int latent, double[] e, int k) {
        int vocab = e.length;
        Integer[] order = new Integer[vocab];
        for (int v = 0; v < vocab; v++) {
            order[v] = v;
        }
        Arrays.sort(order, (a, b) -> e[a] != e[b] ? Double.compare(e[b], e[a]) : Integer.compare(a, b));
        int m = Math.min(k, vocab);
        int[] pi = new int[m];
        double[] pv = new double[m];
        int[] ni = new int[m];
        double[] nv = new double[m];
        for (int r = 0; r < m; r++) {
            pi[r] = order[r];
            pv[r] = e[order[r]];
            ni[r] = order[vocab - 1 - r];
            nv[r] = e[order[vocab - 1 - r]];
        }
        return new LogitEffects(latent, pi, pv, ni, nv);
    }
}
