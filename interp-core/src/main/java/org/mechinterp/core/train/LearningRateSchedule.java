package org.mechinterp.core.train;

/**
 * Learning rate per step: linear warm-up from 0 to the peak over {@code warmup} steps, then a decay to
 * {@code minRatio · peak} at the last step, cosine ({@code min + (peak − min)·(1 + cos(π·p))/2}), linear, or none
 * (constant peak), where {@code p = (step − warmup) / (steps − warmup)} in [0, 1]. Steps are numbered from 0;
 * step {@code s < warmup} uses {@code peak · (s + 1) / warmup}, so no step has a zero rate. Immutable.
 */
public final class LearningRateSchedule {
    /** Shape of the decay after warm-up. */
    public enum Decay {
        /** Half a cosine from the peak down to the minimum. */
        COSINE,
        /** A straight line from the peak down to the minimum. */
        LINEAR,
        /** The peak rate throughout. */
        CONSTANT
    }

    private final double peak;
    private final int warmup;
    private final int steps;
    private final double minRatio;
    private final Decay decay;

    /**
     * @param peak the peak
     * @param warmup the warmup
     * @param steps the number of steps
     * @param minRatio the min ratio
     * @param decay the decay schedule
     * @throws IllegalArgumentException for a non-positive peak or step count, a warm-up outside [0, steps] or a
     *     minimum ratio outside [0, 1]
     */
    public LearningRateSchedule(double peak, int warmup, int steps, double minRatio, Decay decay) {
        if (!(peak > 0) || !Double.isFinite(peak)) {
            throw new IllegalArgumentException("learning rate must be a positive number, got " + peak);
        }
        if (steps <= 0) {
            throw new IllegalArgumentException("steps must be > 0, got " + steps);
        }
        if (warmup < 0 || warmup > steps) {
            throw new IllegalArgumentException("warm-up steps must be in [0, " + steps + "], got " + warmup);
        }
        if (!(minRatio >= 0 && minRatio <= 1)) {
            throw new IllegalArgumentException("minimum learning-rate ratio must be in [0, 1], got " + minRatio);
        }
        this.peak = peak;
        this.warmup = warmup;
        this.steps = steps;
        this.minRatio = minRatio;
        this.decay = java.util.Objects.requireNonNull(decay, "decay");
    }

    /**
     * The rate of step {@code step} (0-based).
     *
     * @param step the step (0-based)
     * @return the rate of step {@code step} (0-based)
     */
    public double at(int step) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        int span = steps - warmup;
        double p = span <= 1 ? 1.0 : Math.min(1.0, (double) (step - warmup) / (span - 1));
        double min = minRatio * peak;
        switch (decay) {
            case COSINE:
                return min + (peak - min) * 0.5 * (1 + Math.cos(Math.PI * p));
            case LINEAR:
                return peak - (peak - min) * p;
            default:
                return peak;
        }
    }
}
