package org.mechinterp.examples.physics.prompt;

/**
 * The format of Bao et al. (2025) for PDE rollouts: values min–max scaled to the integers {@code [150, 850]}
 * (rounded to the nearest integer), {@code ","} between the components of one state and {@code ";"} closing each
 * time step, e.g. {@code "150,623;402,850;"}.
 *
 * <p>Width: when {@code lo} and {@code hi} have the same number of digits (the default: three) every code is
 * written with exactly that many, so a truncated last value can be recognised and {@link DigitDistribution}
 * applies; a value outside the scaling window whose code falls below {@code 100} is then zero-padded
 * ({@code "050"}) and one above {@code 999} cannot be written (error). Otherwise codes have variable width and no
 * padding. Decoding returns the code's value exactly (the centre of its rounding bin), so
 * the round-trip error is at most half a code step. Defaults: {@code [150, 850]}, separators {@code ","} and
 * {@code ";"}, trailing separator on, {@link ScalingMode#GLOBAL} scaling (Bao et al. scale all spatial values of
 * a field together).
 */
public final class IntegerGrid extends DigitFormat {

    private final long lo;
    private final long hi;

    private IntegerGrid(Builder b, int width) {
        super(b.componentSep, b.stepSep, b.trailing, b.mode, b.lo, b.hi, width, false);
        this.lo = b.lo;
        this.hi = b.hi;
    }

    /** @return a builder with the defaults above */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the code of the scaling window's minimum */
    public long lo() {
        return lo;
    }

    /** @return the code of the scaling window's maximum */
    public long hi() {
        return hi;
    }

    @Override
    public String toString() {
        return "IntegerGrid[" + lo + ".." + hi + ", sep='" + componentSeparator() + "'/'" + stepSeparator() + "', "
                + scalingMode() + "]";
    }

    /** Builder; all settings optional, validated in {@link #build()}. */
    public static final class Builder {
        private long lo = 150;
        private long hi = 850;
        private String componentSep = ",";
        private String stepSep = ";";
        private boolean trailing = true;
        private ScalingMode mode = ScalingMode.GLOBAL;

        private Builder() {
        }

        /**
         * Sets the codes the scaling window's ends map to (default 150 and 850).
         *
         * @param lo integer code of the window's minimum, {@code >= 0}
         * @param hi integer code of the window's maximum, {@code > lo} and {@code <= 10^15}; equal digit counts of
         *     {@code lo} and {@code hi} give fixed-width codes
         * @return this builder
         */
        public Builder optRange(long lo, long hi) {
            this.lo = lo;
            this.hi = hi;
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
         * Sets the text closing a time step (default {@code ";"}).
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
         * @throws IllegalArgumentException unless {@code 0 <= lo < hi <= 10^15}, or for bad separators
         */
        public IntegerGrid build() {
            if (lo < 0 || hi <= lo || hi > 1_000_000_000_000_000L) {
                throw new IllegalArgumentException("integer range needs 0 <= lo < hi <= 1e15, got [" + lo + ", "
                        + hi + "]");
            }
            // Fixed width when every code of the window has as many digits as hi: then truncated values can be
            // told from complete ones and DigitDistribution applies.
            int hiDigits = Long.toString(hi).length();
            int width = Long.toString(lo).length() == hiDigits ? hiDigits : 0;
            return new IntegerGrid(this, width);
        }
    }
}
