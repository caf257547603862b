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

        /** @return this; integer codes of the window's minimum and maximum (default 150 and 850) */
        public Builder optRange(long lo, long hi) {
            this.lo = lo;
            this.hi = hi;
            return this;
        }

        /** @return this; separator between components of a step (default {@code ","}) */
        public Builder optComponentSeparator(String s) {
            this.componentSep = s;
            return this;
        }

        /** @return this; separator closing a step (default {@code ";"}) */
        public Builder optStepSeparator(String s) {
            this.stepSep = s;
            return this;
        }

        /** @return this; whether the last step gets its separator too (default true) */
        public Builder optTrailingSeparator(boolean trailing) {
            this.trailing = trailing;
            return this;
        }

        /** @return this; how scalings are fitted (default {@link ScalingMode#GLOBAL}) */
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
