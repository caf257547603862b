package org.mechinterp.sae.dashboard;

import java.util.Arrays;

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
