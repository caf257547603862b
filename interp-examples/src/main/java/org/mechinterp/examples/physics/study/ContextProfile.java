package org.mechinterp.examples.physics.study;

import java.util.Arrays;
import org.mechinterp.sae.analysis.Stats;

/**
 * Does a feature's code for a quantity sharpen as the context grows? The held-out rows (one per time step, rows of
 * trajectory {@code i} at {@code i·steps .. i·steps + steps − 1}) are split by step index into {@code bins} equal
 * ranges of context length, and the Pearson |r| of one feature with the quantity is computed within each range,
 * across all held-out trajectories.
 *
 * <p>Read with care: a conserved quantity (E of the mass–spring system) varies only across trajectories, so
 * within a bin the |r| measures how well the feature separates trajectories after that much context.
 *
 * @param binStart first step of each bin (inclusive)
 * @param binEnd last step of each bin (exclusive)
 */
public record ContextProfile(int[] binStart, int[] binEnd) {

    /**
     * Checks and copies the bins.
     *
     * @param binStart first step of each bin (inclusive); copied
     * @param binEnd last step of each bin (exclusive), same length as {@code binStart}; copied
     * @throws IllegalArgumentException if the lengths differ or there is no bin
     */
    public ContextProfile {
        if (binStart.length != binEnd.length || binStart.length == 0) {
            throw new IllegalArgumentException("need as many bin starts as ends, at least one");
        }
        binStart = binStart.clone();
        binEnd = binEnd.clone();
    }

    /**
     * {@code bins} contiguous ranges of nearly equal length covering steps {@code [1, steps)}; step 0 is left out
     * because after one step nothing about the dynamics is in the context.
     *
     * @param steps time steps per trajectory
     * @param bins number of bins, {@code >= 1}
     * @return the profile; bin i covers {@code [1 + (steps-1)·i/bins, 1 + (steps-1)·(i+1)/bins)}
     * @throws IllegalArgumentException if {@code bins < 1} or there are fewer than 2 steps per bin
     */
    public static ContextProfile equalBins(int steps, int bins) {
        if (bins < 1 || (steps - 1) < 2 * bins) {
            throw new IllegalArgumentException(bins + " context bins need at least " + (2 * bins + 1)
                    + " steps, got " + steps);
        }
        int[] start = new int[bins];
        int[] end = new int[bins];
        for (int i = 0; i < bins; i++) {
            start[i] = 1 + (int) ((long) (steps - 1) * i / bins);
            end[i] = 1 + (int) ((long) (steps - 1) * (i + 1) / bins);
        }
        return new ContextProfile(start, end);
    }

    /** @return number of bins */
    public int bins() {
        return binStart.length;
    }

    /**
     * |Pearson r| of {@code feature} with {@code quantity} within each bin (0 where either is constant there).
     *
     * @param feature one value per held-out row, rows ordered trajectory-major
     * @param quantity the quantity on the same rows
     * @param steps time steps per trajectory
     * @return one |r| per bin, in {@code [0, 1]}, computed over all rows whose step falls in the bin
     * @throws IllegalArgumentException if the lengths disagree or are not a multiple of {@code steps}
     */
    public double[] absR(double[] feature, double[] quantity, int steps) {
        if (feature.length != quantity.length || feature.length % steps != 0) {
            throw new IllegalArgumentException("feature (" + feature.length + ") and quantity (" + quantity.length
                    + ") must have the same length, a multiple of " + steps + " steps");
        }
        int trajectories = feature.length / steps;
        double[] out = new double[bins()];
        for (int b = 0; b < bins(); b++) {
            if (binEnd[b] > steps) {
                throw new IllegalArgumentException("bin " + b + " ends at step " + binEnd[b] + " beyond " + steps);
            }
            int width = binEnd[b] - binStart[b];
            double[] f = new double[trajectories * width];
            double[] q = new double[trajectories * width];
            int o = 0;
            for (int t = 0; t < trajectories; t++) {
                for (int s = binStart[b]; s < binEnd[b]; s++) {
                    f[o] = feature[t * steps + s];
                    q[o++] = quantity[t * steps + s];
                }
            }
            double r = Stats.pearson(f, q);
            out[b] = Double.isFinite(r) ? Math.abs(r) : 0;
        }
        return out;
    }

    @Override
    public String toString() {
        return "ContextProfile" + Arrays.toString(binStart) + ".." + Arrays.toString(binEnd);
    }
}
