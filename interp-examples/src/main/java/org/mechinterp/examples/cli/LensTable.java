package org.mechinterp.examples.cli;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.mechinterp.core.model.ActivationCache;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.ResidualStack;
import org.mechinterp.core.model.TokenBatch;

/**
 * The logit lens of one prompt: for every layer boundary ({@code 0_pre} ... {@code final_post}, the residual stream
 * through the final norm and unembedding, see {@link ActivationCache#logitLens}) and every position, the top-k next
 * tokens, and the probability of a heat-map token per (layer, position): the chosen target everywhere, or, without
 * one, the final layer's top-1 at each position.
 *
 * @param layers layer labels, C of them
 * @param top [C][T][k] candidates (id, logit, probability over the full vocabulary)
 * @param heatToken [T] the token whose probability fills each column of {@code heat}
 * @param heat [C][T] probability of {@code heatToken[t]} at layer c
 * @param heatRank [C][T] its rank (1 = top)
 */
record LensTable(List<String> layers, RunCommand.Candidate[][][] top, int[] heatToken, double[][] heat,
        int[][] heatRank) {

    /** Runs the model once and reads every layer at every position. */
    static LensTable compute(HookedTransformer model, int[] ids, int k, Integer target) {
        try (ActivationCache cache = model.runWithCache(TokenBatch.of(ids), ActivationCache.analysisHooks(model))) {
            ResidualStack acc = cache.accumulatedResid(-1, false, false);
            int c = acc.size();
            int t = ids.length;
            float[][][] logits = new float[c][t][];
            for (int p = 0; p < t; p++) {
                NDArray lens = cache.logitLens(acc, p);                                           // [C,1,V]
                for (int l = 0; l < c; l++) {
                    logits[l][p] = lens.get(l, 0).toFloatArray();
                }
                lens.close();
            }
            return fromLogits(acc.labels(), logits, k, target);
        }
    }

    /** The table from lens logits [C][T][V]. */
    static LensTable fromLogits(List<String> layers, float[][][] logits, int k, Integer target) {
        int c = logits.length;
        int t = logits[0].length;
        RunCommand.Candidate[][][] top = new RunCommand.Candidate[c][t][];
        int[] heatToken = new int[t];
        double[][] heat = new double[c][t];
        int[][] rank = new int[c][t];
        for (int p = 0; p < t; p++) {
            heatToken[p] = target != null ? target : RunCommand.topK(logits[c - 1][p], 1)[0].id();
            for (int l = 0; l < c; l++) {
                top[l][p] = RunCommand.topK(logits[l][p], k);
                heat[l][p] = probability(logits[l][p], heatToken[p]);
                rank[l][p] = rank(logits[l][p], heatToken[p]);
            }
        }
        return new LensTable(new ArrayList<>(layers), top, heatToken, heat, rank);
    }

    /** softmax(logits)[id] in double precision. */
    static double probability(float[] logits, int id) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        return Math.exp(logits[id] - max) / sum;
    }

    /** 1 + the number of tokens with a strictly larger logit, or an equal logit and a lower id. */
    static int rank(float[] logits, int id) {
        int r = 1;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] > logits[id] || (logits[i] == logits[id] && i < id)) {
                r++;
            }
        }
        return r;
    }
}
