package org.mechinterp.examples.physics.prompt;

import java.util.Objects;

/**
 * A time series written as text, with an exact map from every character to the time step and component it
 * belongs to. Produced by a {@link SeriesFormat}; immutable (array accessors return copies).
 *
 * <p>Character map: for character {@code i} of {@link #text()}, {@link #charKind(int)} says whether it is a digit
 * or part of a separator; {@link #charStep(int)} is its time step (a separator belongs to the step whose value it
 * follows; numbered from {@link #firstStep()}); {@link #charComponent(int)} is the component of the value a digit
 * belongs to or that a component separator follows (-1 for a step separator); {@link #charDigit(int)} is the
 * digit's index within its value, most significant first (-1 for separators).
 */
public final class SerializedSeries {

    private final String text;
    private final SeriesFormat format;
    private final Scaling scaling;
    private final int firstStep;
    private final long[][] codes;
    private final int[] valueStart;
    private final int[] valueEnd;
    private final CharKind[] kind;
    private final int[] step;
    private final int[] component;
    private final int[] digit;

    SerializedSeries(String text, SeriesFormat format, Scaling scaling, int firstStep, long[][] codes,
            int[] valueStart, int[] valueEnd, CharKind[] kind, int[] step, int[] component, int[] digit) {
        this.text = Objects.requireNonNull(text);
        this.format = format;
        this.scaling = scaling;
        this.firstStep = firstStep;
        this.codes = codes;
        this.valueStart = valueStart;
        this.valueEnd = valueEnd;
        this.kind = kind;
        this.step = step;
        this.component = component;
        this.digit = digit;
    }

    /** @return the prompt text */
    public String text() {
        return text;
    }

    /** @return the format that wrote it (use it to parse continuations) */
    public SeriesFormat format() {
        return format;
    }

    /** @return the scaling used (use it to decode continuations) */
    public Scaling scaling() {
        return scaling;
    }

    /** @return the step number of the first serialised state */
    public int firstStep() {
        return firstStep;
    }

    /** @return the number of serialised steps */
    public int steps() {
        return codes.length;
    }

    /** @return components per step */
    public int components() {
        return scaling.components();
    }

    /**
     * The integer code written for one value.
     *
     * @param step time step, numbered from {@link #firstStep()}
     * @param c component index
     * @return the integer code of value ({@code step}, {@code c})
     */
    public long code(int step, int c) {
        return codes[local(step)][c];
    }

    /** @return a copy of the codes, [steps][components] */
    public long[][] codes() {
        long[][] out = new long[codes.length][];
        for (int i = 0; i < out.length; i++) {
            out[i] = codes[i].clone();
        }
        return out;
    }

    /** @return the values the codes stand for (quantised reconstruction), [steps][components] */
    public double[][] decoded() {
        double[][] out = new double[codes.length][codes[0].length];
        for (int t = 0; t < out.length; t++) {
            for (int c = 0; c < out[t].length; c++) {
                out[t][c] = format.decode(codes[t][c], c, scaling);
            }
        }
        return out;
    }

    /**
     * Where one value starts in the text.
     *
     * @param step time step, numbered from {@link #firstStep()}
     * @param c component index
     * @return the index in {@link #text()} of the value's first digit
     */
    public int valueStart(int step, int c) {
        return valueStart[local(step) * components() + checkComponent(c)];
    }

    /**
     * Where one value ends in the text.
     *
     * @param step time step, numbered from {@link #firstStep()}
     * @param c component index
     * @return one past the index in {@link #text()} of the value's last digit (exclusive end)
     */
    public int valueEnd(int step, int c) {
        return valueEnd[local(step) * components() + checkComponent(c)];
    }

    /**
     * Whether a character is a digit or part of a separator.
     *
     * @param i character index into {@link #text()}, in {@code [0, text().length())}
     * @return the kind of character {@code i}: digit, component separator or step separator
     */
    public CharKind charKind(int i) {
        return kind[i];
    }

    /**
     * The time step a character belongs to (a separator belongs to the step whose value it follows).
     *
     * @param i character index into {@link #text()}, in {@code [0, text().length())}
     * @return the time step of character {@code i}, numbered from {@link #firstStep()}
     */
    public int charStep(int i) {
        return step[i];
    }

    /**
     * The component a digit belongs to or a component separator follows.
     *
     * @param i character index into {@link #text()}, in {@code [0, text().length())}
     * @return the component of character {@code i} (-1 for step separators)
     */
    public int charComponent(int i) {
        return component[i];
    }

    /**
     * The position of a digit within its value.
     *
     * @param i character index into {@link #text()}, in {@code [0, text().length())}
     * @return the digit index within its value of character {@code i}, most significant first (-1 for separators)
     */
    public int charDigit(int i) {
        return digit[i];
    }

    /** @return the last step number + 1 */
    public int endStep() {
        return firstStep + codes.length;
    }

    private int local(int s) {
        int l = s - firstStep;
        if (l < 0 || l >= codes.length) {
            throw new IndexOutOfBoundsException("step " + s + " outside [" + firstStep + ", " + endStep() + ")");
        }
        return l;
    }

    private int checkComponent(int c) {
        if (c < 0 || c >= components()) {
            throw new IndexOutOfBoundsException("component " + c + " of " + components());
        }
        return c;
    }

    @Override
    public String toString() {
        return "SerializedSeries[" + codes.length + " steps x " + components() + ", " + text.length() + " chars]";
    }
}
