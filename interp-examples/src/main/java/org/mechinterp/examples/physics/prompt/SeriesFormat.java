package org.mechinterp.examples.physics.prompt;

import org.mechinterp.examples.physics.Trajectory;

/**
 * A way of writing a multivariate time series as prompt text, and of reading a model's continuation back.
 *
 * <p>Common shape of the built-in formats: each value is an affine {@link Scaling} of the physical value onto a
 * code axis, quantised to a non-negative integer code written in decimal digits (no sign, no decimal point);
 * the values of one time step are joined by the component separator, and each time step is closed by the step
 * separator (optionally not the last one). The values are flattened step-major, so the separators may even be
 * equal: which one is expected is known from the component count.
 */
public interface SeriesFormat {

    /** @return the scaling mode used when a scaling is fitted */
    ScalingMode scalingMode();

    /** @return the separator between components of one step */
    String componentSeparator();

    /** @return the separator closing a step */
    String stepSeparator();

    /**
     * Fits a scaling to {@code values} (see {@link #scalingMode()}) and serialises them.
     *
     * @param values [steps][components], not modified
     * @return the text with its character map; steps numbered from 0
     * @throws IllegalArgumentException for empty, ragged or non-finite values
     */
    SerializedSeries serialize(double[][] values);

    /**
     * Serialises with a given scaling (e.g. fitted on the context only, or on a whole data set).
     *
     * @param values [steps][components], not modified
     * @param scaling the map to codes
     * @param firstStep the step number of {@code values[0]} recorded in the character map
     * @return the text with its character map
     * @throws IllegalArgumentException if a value's code is outside what the format can write (naming step and
     *     component), or for ragged or non-finite values
     */
    SerializedSeries serialize(double[][] values, Scaling scaling, int firstStep);

    /**
     * Serialises steps {@code [from, to)} of a trajectory with a scaling fitted to those steps; step numbers in
     * the character map are the trajectory's.
     *
     * @param trajectory the simulated trajectory; not modified
     * @param from first step written (inclusive)
     * @param to end step (exclusive), {@code from < to <= trajectory.steps()}
     * @return the text with its character map, steps numbered from {@code from}
     */
    default SerializedSeries serialize(Trajectory trajectory, int from, int to) {
        double[][] v = trajectory.slice(from, to).states();
        return serialize(v, fitScaling(v), from);
    }

    /**
     * Serialises a whole trajectory with a scaling fitted to it.
     *
     * @param trajectory the simulated trajectory; not modified
     * @return the text with its character map, steps numbered from 0
     */
    default SerializedSeries serialize(Trajectory trajectory) {
        return serialize(trajectory, 0, trajectory.steps());
    }

    /**
     * @param values [steps][components], not modified
     * @return the scaling this format would fit
     */
    Scaling fitScaling(double[][] values);

    /**
     * Quantises a value to its integer code.
     *
     * @param value physical value
     * @param component component index (selects the scaling window)
     * @param scaling map from values to continuous codes
     * @return the code; may be outside the writable range for values outside the scaling's window
     */
    long code(double value, int component, Scaling scaling);

    /**
     * Reconstructs a value from its integer code.
     *
     * @param code integer code as written in the text
     * @param component component index (selects the scaling window)
     * @param scaling the scaling the code was written with
     * @return the value represented by the code (the centre of the values that quantise to it)
     */
    double decode(long code, int component, Scaling scaling);

    /**
     * Maps a position on the digit axis to a value. On the digit axis the digit string of code {@code D} covers
     * {@code [D, D + 1)}, whatever the quantiser; this is the axis of {@link DigitDistribution}.
     *
     * @param u position on the digit axis (a code's digit string read as a number, plus a fraction)
     * @param component component index (selects the scaling window)
     * @param scaling the scaling the codes were written with
     * @return the physical value at {@code u}
     */
    double digitAxisToValue(double u, int component, Scaling scaling);

    /**
     * Inverse of {@link #digitAxisToValue}.
     *
     * @param value physical value
     * @param component component index (selects the scaling window)
     * @param scaling the scaling the codes were written with
     * @return the position of {@code value} on the digit axis
     */
    double valueToDigitAxis(double value, int component, Scaling scaling);

    /**
     * Parses a continuation (text that starts at the first digit of a step, i.e. right after a step separator)
     * into values.
     *
     * @param text the generated text
     * @param scaling the scaling of the prompt, with the right component count
     * @param maxSteps stop after this many complete steps ({@code Integer.MAX_VALUE}: no limit)
     * @param mode {@link ParseMode#STRICT} throws on malformed text, {@link ParseMode#LENIENT} stops there
     * @return the complete steps parsed and why parsing stopped
     * @throws SeriesParseException in strict mode, naming the position and the problem
     */
    ParsedSeries parse(String text, Scaling scaling, int maxSteps, ParseMode mode);

    /** How {@link #parse} treats malformed text. */
    enum ParseMode {
        /** Throw a {@link SeriesParseException}. */
        STRICT,
        /** Return the steps before the problem, with {@link ParsedSeries.Stop#MALFORMED} and the message. */
        LENIENT
    }
}
