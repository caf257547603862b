package org.mechinterp.examples.physics.prompt;

/**
 * The format of Liu et al. (2024, "LLMs learn governing principles of dynamical systems, revealing an in-context
 * neural scaling law"): each trajectory is min–max rescaled to {@code [0.15, 0.85]}, each value is truncated to
 * {@code p} decimal digits and written without the leading {@code "0."} (so {@code 0.4567 -> "456"} for
 * {@code p = 3}), and values are joined by {@code ","} with a trailing {@code ","}.
 *
 * <p>Codes: {@code floor(10^p u)} for the rescaled value {@code u}, always exactly {@code p} digits (zero-padded;
 * codes lie in {@code [floor(0.15 10^p), floor(0.85 10^p)]} for values inside the scaling window, and values
 * outside it stay writable down to {@code u = 0} and up to {@code u < 1}, which is what the margins are for).
 * Decoding returns the centre of the truncation bin, so the round-trip error is at most half a code step.
 *
 * <p>Multivariate series (our extension; the paper's series are univariate): values are flattened step-major,
 * the components of one step joined by the component separator and steps closed by the step separator. Defaults:
 * both {@code ","} (exactly the paper's univariate text, and for {@code d} components a plain list of
 * {@code d}-tuples), trailing separator on, {@link ScalingMode#GLOBAL} scaling (one window for all components, so
 * relative amplitudes — e.g. which oscillator holds more energy — survive; use
 * {@link ScalingMode#PER_COMPONENT} for the paper's per-series scaling of components with unrelated units).
 */
public final class RescaledDigits extends DigitFormat {

    /** Lower end of the rescaled range. */
    public static final double LOW = 0.15;
    /** Upper end of the rescaled range. */
    public static final double HIGH = 0.85;

    private RescaledDigits(Builder b) {
        super(b.componentSep, b.stepSep, b.trailing, b.mode, 15.0 * pow10(b.digits) / 100,
                85.0 * pow10(b.digits) / 100, b.digits, true);
    }

    /** @return a builder with the defaults above and {@code p = 3} */
    public static Builder builder() {
        return new Builder();
    }

    /** @return {@code p}, digits per value */
    public int digits() {
        return width();
    }

    @Override
    public String toString() {
        return "RescaledDigits[p=" + digits() + ", sep='" + componentSeparator() + "'/'" + stepSeparator() + "', "
                + scalingMode() + "]";
    }

    /** Builder; all settings optional, validated in {@link #build()}. */
    public static final class Builder {
        private int digits = 3;
        private String componentSep = ",";
        private String stepSep = ",";
        private boolean trailing = true;
        private ScalingMode mode = ScalingMode.GLOBAL;

        private Builder() {
        }

        /**
         * Sets the precision.
         *
         * @param digits digits per value {@code p}, 1 to 15 (default 3); codes are {@code floor(10^p u)}
         * @return this builder
         */
        public Builder optDigits(int digits) {
            this.digits = digits;
            return this;
        }

        /**
         * Sets the text between the components of one time step (default {@code ","}).
         *
         * @param s non-empty separator without digits
         * @return this builder
         */
        public Builder optComponentSeparator(String s) {
            this.componentSep = s;
            return this;
        }

        /**
         * Sets the text closing a time step (default {@code ","}, as in the paper).
         *
         * @param s non-empty separator without digits
         * @return this builder
         */
        public Builder optStepSeparator(String s) {
            this.stepSep = s;
            return this;
        }

        /**
         * Sets whether the last step is closed by the step separator too (default true).
         *
         * @param trailing true to close every step, including the last
         * @return this builder
         */
        public Builder optTrailingSeparator(boolean trailing) {
            this.trailing = trailing;
            return this;
        }

        /**
         * Sets how {@code fitScaling} chooses the windows (default {@link ScalingMode#GLOBAL}).
         *
         * @param mode one window for all components, or one per component
         * @return this builder
         */
        public Builder optScalingMode(ScalingMode mode) {
            this.mode = mode;
            return this;
        }

        /**
         * @return the format
         * @throws IllegalArgumentException for digits outside [1, 15], empty separators or separators with digits
         */
        public RescaledDigits build() {
            if (digits < 1 || digits > 15) {
                throw new IllegalArgumentException("digits per value must be in [1, 15], got " + digits);
            }
            return new RescaledDigits(this);
        }
    }
}
