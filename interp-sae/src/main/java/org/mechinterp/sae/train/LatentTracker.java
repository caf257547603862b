package org.mechinterp.sae.train;

/**
 * Dead and dense latent tracking during training.
 *
 * <p>A latent is dead once it has not fired for {@code window} consecutive steps (this drives AuxK). Firing
 * counts are accumulated over windows of {@code window} steps; at the end of each window the dense fraction
 * (latents firing on more than 10% of the window's tokens) is recorded. All state is saved in checkpoints.
 */
public final class LatentTracker {
    /** A latent firing on more than this fraction of tokens is dense. */
    public static final double DENSE_THRESHOLD = 0.1;

    private final int window;
    final int[] stepsSinceFired;
    final long[] windowFires;
    long windowTokens;
    int windowSteps;
    double lastDenseFraction;

    /**
     * A tracker with every latent counted as having just fired.
     *
     * @param latents number of latents n
     * @param window dead window and dense-fraction window, in steps (≥ 1)
     * @throws IllegalArgumentException if {@code window} is below 1
     */
    public LatentTracker(int latents, int window) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be >= 1, got " + window);
        }
        this.window = window;
        this.stepsSinceFired = new int[latents];
        this.windowFires = new long[latents];
    }

    /**
     * Records one step.
     *
     * @param fires per latent, the number of tokens of this step on which it fired
     * @param tokens tokens in the step
     */
    public void record(long[] fires, int tokens) {
        for (int i = 0; i < fires.length; i++) {
            if (fires[i] > 0) {
                stepsSinceFired[i] = 0;
                windowFires[i] += fires[i];
            } else if (stepsSinceFired[i] < Integer.MAX_VALUE) {
                stepsSinceFired[i]++;
            }
        }
        windowTokens += tokens;
        if (++windowSteps >= window) {
            int dense = 0;
            for (long f : windowFires) {
                if (f > DENSE_THRESHOLD * windowTokens) {
                    dense++;
                }
            }
            lastDenseFraction = dense / (double) windowFires.length;
            java.util.Arrays.fill(windowFires, 0);
            windowTokens = 0;
            windowSteps = 0;
        }
    }

    /**
     * The dead mask: not fired for the last {@code window} steps.
     *
     * @return a new array [n], true for each latent dead now
     */
    public boolean[] dead() {
        boolean[] out = new boolean[stepsSinceFired.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = stepsSinceFired[i] >= window;
        }
        return out;
    }

    /**
     * Fraction of latents that are dead now.
     *
     * @return the count of dead latents over n, in [0, 1]
     */
    public double deadFraction() {
        int c = 0;
        for (int s : stepsSinceFired) {
            if (s >= window) {
                c++;
            }
        }
        return c / (double) stepsSinceFired.length;
    }

    /**
     * The dense fraction of the last completed window (0 before the first one completes).
     *
     * @return the fraction of latents that fired on more than {@link #DENSE_THRESHOLD} of the last window's tokens
     */
    public double denseFraction() {
        return lastDenseFraction;
    }
}
