package org.mechinterp.core.model;

/**
 * Rotary position embedding: base θ and an optional rescaling of the inverse frequencies.
 *
 * <p>The inverse frequencies are {@code inv_freq[i] = θ^(−2i/rotaryDim)}, i = 0..rotaryDim/2−1, applied with the
 * HF "rotate_half" convention. {@link Kind#LLAMA3} rescales them as Llama-3.1 does: wavelengths longer than
 * {@code original/lowFreqFactor} are divided by {@code factor}, wavelengths shorter than
 * {@code original/highFreqFactor} are kept, and those between are interpolated smoothly. {@link Kind#LINEAR}
 * divides every frequency by {@code factor} (position interpolation).
 */
public final class RopeScaling {
    /** The rescaling rule. */
    public enum Kind {
        /** Frequencies as the base theta gives them. */
        NONE,
        /** Every frequency divided by the factor (position interpolation). */
        LINEAR,
        /** Llama 3.1's rescaling: long wavelengths divided by the factor, short ones kept, a smooth band between. */
        LLAMA3
    }

    private final double theta;
    private final Kind kind;
    private final double factor;
    private final double lowFreqFactor;
    private final double highFreqFactor;
    private final int originalMaxPositions;

    private RopeScaling(double theta, Kind kind, double factor, double lowFreqFactor, double highFreqFactor,
            int originalMaxPositions) {
        if (!(theta > 1)) {
            throw new IllegalArgumentException("rope_theta must be > 1, got " + theta);
        }
        if (kind != Kind.NONE && !(factor > 0)) {
            throw new IllegalArgumentException("rope_scaling factor must be > 0, got " + factor);
        }
        if (kind == Kind.LLAMA3 && !(highFreqFactor > lowFreqFactor && originalMaxPositions > 0)) {
            throw new IllegalArgumentException("llama3 rope_scaling needs high_freq_factor > low_freq_factor and "
                    + "original_max_position_embeddings > 0, got " + highFreqFactor + ", " + lowFreqFactor + ", "
                    + originalMaxPositions);
        }
        this.theta = theta;
        this.kind = kind;
        this.factor = factor;
        this.lowFreqFactor = lowFreqFactor;
        this.highFreqFactor = highFreqFactor;
        this.originalMaxPositions = originalMaxPositions;
    }

    /**
     * Plain RoPE with base θ.
     *
     * @param theta the rotary base theta
     * @return plain RoPE with base θ
     */
    public static RopeScaling plain(double theta) {
        return new RopeScaling(theta, Kind.NONE, 1, 0, 0, 0);
    }

    /**
     * Linear position interpolation: every inverse frequency divided by {@code factor}.
     *
     * @param theta the rotary base theta
     * @param factor the factor
     * @return linear position interpolation: every inverse frequency divided by {@code factor}
     */
    public static RopeScaling linear(double theta, double factor) {
        return new RopeScaling(theta, Kind.LINEAR, factor, 0, 0, 0);
    }

    /**
     * Llama-3 frequency-dependent rescaling.
     *
     * @param theta the rotary base theta
     * @param factor the factor
     * @param lowFreqFactor the low freq factor
     * @param highFreqFactor the high freq factor
     * @param originalMaxPositions the original max positions
     * @return Llama-3 frequency-dependent rescaling
     */
    public static RopeScaling llama3(double theta, double factor, double lowFreqFactor, double highFreqFactor,
            int originalMaxPositions) {
        return new RopeScaling(theta, Kind.LLAMA3, factor, lowFreqFactor, highFreqFactor, originalMaxPositions);
    }

    /**
     * The rotary base theta.
     *
     * @return the rotary base theta
     */
    public double theta() {
        return theta;
    }

    /**
     * The rescaling rule.
     *
     * @return the rescaling rule
     */
    public Kind kind() {
        return kind;
    }

    /**
     * The (rescaled) inverse frequencies for a rotary dimension.
     *
     * @param rotaryDim the number of rotated channels per head (even)
     * @return a new array of length rotaryDim/2
     */
    public double[] inverseFrequencies(int rotaryDim) {
        if (rotaryDim <= 0 || rotaryDim % 2 != 0) {
            throw new IllegalArgumentException("rotary dimension must be positive and even, got " + rotaryDim);
        }
        double[] inv = new double[rotaryDim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / rotaryDim);
        }
        if (kind == Kind.LINEAR) {
            for (int i = 0; i < inv.length; i++) {
                inv[i] /= factor;
            }
        } else if (kind == Kind.LLAMA3) {
            double lowFreqWavelen = originalMaxPositions / lowFreqFactor;
            double highFreqWavelen = originalMaxPositions / highFreqFactor;
            for (int i = 0; i < inv.length; i++) {
                double wavelen = 2 * Math.PI / inv[i];
                if (wavelen > lowFreqWavelen) {
                    inv[i] = inv[i] / factor;
                } else if (wavelen >= highFreqWavelen) {
                    double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                    inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
                }
            }
        }
        return inv;
    }

    @Override
    public String toString() {
        switch (kind) {
            case LINEAR:
                return "rope(theta=" + theta + ", linear x" + factor + ")";
            case LLAMA3:
                return "rope(theta=" + theta + ", llama3 factor=" + factor + ", low=" + lowFreqFactor + ", high="
                        + highFreqFactor + ", original=" + originalMaxPositions + ")";
            default:
                return "rope(theta=" + theta + ")";
        }
    }
}
