package org.mechinterp.core.generate;

import org.mechinterp.core.model.Generation;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits [V], in the order HF's logits processors apply: temperature, then top-k, then
 * top-p (nucleus). Temperature 0 is greedy: the argmax, the lowest id on ties (as {@code torch.argmax}). Candidates
 * are ranked by logit, ties by lower id; top-k keeps exactly the first k of them (so top-k 1 is greedy at any
 * temperature); top-p keeps a candidate while the probability of those ranked before it is below p (the smallest
 * set reaching p, at least one token). Probabilities are computed in double precision. Stateless; the random numbers
 * come from the caller.
 */
public final class Sampler {
    private final double temperature;
    private final int topK;
    private final double topP;

    /**
     * Creates a sampler.
     *
     * @param options the options
     */
    public Sampler(GenerationOptions options) {
        this.temperature = options.temperature();
        this.topK = options.topK();
        this.topP = options.topP();
    }

    /**
     * The chosen token: greedy without drawing, else one {@code rng.nextDouble()} per call.
     *
     * @param logits the logits
     * @param rng the rng
     * @return the chosen token: greedy without drawing, else one {@code rng.nextDouble()} per call
     */
    public int next(float[] logits, SplittableRandom rng) {
        if (temperature == 0) {
            return Generation.argmax(logits);
        }
        Candidates c = candidates(logits);
        double u = rng.nextDouble();
        double cumulative = 0;
        for (int i = 0; i < c.ids.length; i++) {
            cumulative += c.probs[i];
            if (u < cumulative) {
                return c.ids[i];
            }
        }
        return c.ids[c.ids.length - 1]; // round-off: u just below 1
    }

    /**
     * The distribution {@link #next} samples from, over the whole vocabulary: 0 outside the kept candidates, summing
     * to 1 (one-hot at the argmax when greedy).
     *
     * @param logits the logits
     * @return the distribution {@link #next} samples from, over the whole vocabulary: 0 outside the kept candidates,
     *     summing to 1 (one-hot at the argmax when greedy)
     */
    public double[] distribution(float[] logits) {
        double[] p = new double[logits.length];
        if (temperature == 0) {
            p[Generation.argmax(logits)] = 1;
            return p;
        }
        Candidates c = candidates(logits);
        for (int i = 0; i < c.ids.length; i++) {
            p[c.ids[i]] = c.probs[i];
        }
        return p;
    }

    /** The kept tokens, best first, and their renormalised probabilities. */
    private record Candidates(int[] ids, double[] probs) {}

    private Candidates candidates(float[] logits) {
        int[] ranked = rank(logits);
        int k = topK > 0 ? Math.min(topK, ranked.length) : ranked.length;
        double max = logits[ranked[0]] / temperature;
        double[] weights = new double[k];
        double total = 0;
        for (int i = 0; i < k; i++) {
            weights[i] = Math.exp(logits[ranked[i]] / temperature - max);
            total += weights[i];
        }
        int kept = 0;
        double before = 0;
        while (kept < k && (kept == 0 || before < topP)) {
            before += weights[kept] / total;
            kept++;
        }
        double keptTotal = 0;
        for (int i = 0; i < kept; i++) {
            keptTotal += weights[i];
        }
        double[] probs = new double[kept];
        for (int i = 0; i < kept; i++) {
            probs[i] = weights[i] / keptTotal;
        }
        return new Candidates(Arrays.copyOf(ranked, kept), probs);
    }

    /** Token ids by logit descending, lower id first on ties (one primitive sort, no boxing). */
    private static int[] rank(float[] logits) {
        long[] keys = new long[logits.length];
        for (int i = 0; i < logits.length; i++) {
            int bits = Float.floatToIntBits(-logits[i] + 0f);     // + 0f: -0.0 and 0.0 rank equal
            int ordered = bits ^ ((bits >> 31) & 0x7fffffff);      // same order as the float values
            keys[i] = ((long) ordered << 32) | i;
        }
        Arrays.sort(keys);
        int[] ids = new int[keys.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (int) keys[i];
        }
        return ids;
    }
}
