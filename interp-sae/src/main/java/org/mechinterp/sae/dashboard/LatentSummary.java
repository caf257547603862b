package org.mechinterp.sae.dashboard;

import java.util.List;

/**
 * What a dashboard shows of one latent, from {@link LatentStatsAccumulator#summary(int)}. Arrays and lists are
 * owned by the summary; do not modify them.
 *
 * @param latent the latent's index
 * @param tokens tokens seen
 * @param fired tokens where it fired (activation > 0)
 * @param meanWhenFired mean activation over the tokens where it fired
 * @param sdWhenFired standard deviation (population) over those tokens
 * @param max largest activation
 * @param histogram counts of positive activations per log10 bin (see {@link LatentStatsAccumulator#bin})
 * @param top the top contexts, largest activation first
 * @param samples per sample bin (ascending activation ranges), the sampled contexts
 * @param labelNames label columns
 * @param labelR Pearson r of the activation (zeros included) with each label over the tokens where it is finite
 */
public record LatentSummary(int latent, long tokens, long fired, double meanWhenFired, double sdWhenFired,
        float max, long[] histogram, List<LatentContext> top, List<List<LatentContext>> samples,
        List<String> labelNames, double[] labelR) {

    /** @return fraction of tokens where the latent fired */
    public double density() {
        return tokens == 0 ? 0 : (double) fired / tokens;
    }

    /**
     * @param q a quantile in [0, 1] of the positive activations
     * @return the lower edge of the histogram bin holding it (NaN when the latent never fired)
     */
    public double quantileLowerEdge(double q) {
        if (fired == 0) {
            return Double.NaN;
        }
        long target = (long) Math.ceil(q * fired);
        long cum = 0;
        for (int b = 0; b < histogram.length; b++) {
            cum += histogram[b];
            if (cum >= Math.max(1, target)) {
                return LatentStatsAccumulator.binLower(b);
            }
        }
        return LatentStatsAccumulator.binLower(histogram.length - 1);
    }

    /**
     * @param sampleBin a sample bin
     * @return the share of firing tokens below that bin and up to its end: its quantile range {@code {lo, hi}}
     */
    public double[] quantileRange(int sampleBin) {
        long below = 0;
        long in = 0;
        int first = sampleBin * LatentStatsAccumulator.BINS_PER_SAMPLE_BIN;
        for (int b = 0; b < histogram.length; b++) {
            if (b < first) {
                below += histogram[b];
            } else if (b < first + LatentStatsAccumulator.BINS_PER_SAMPLE_BIN) {
                in += histogram[b];
            }
        }
        return fired == 0 ? new double[] {0, 0} : new double[] {(double) below / fired, (double) (below + in) / fired};
    }
}
