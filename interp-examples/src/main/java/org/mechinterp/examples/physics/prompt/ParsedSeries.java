package org.mechinterp.examples.physics.prompt;

/**
 * The result of parsing a continuation: the complete time steps found, decoded to physical values, and why
 * parsing stopped. A step counts only when all its components were read; a value cut off by the end of the text
 * (fewer digits than the format's width, or any value of a variable-width format not followed by a separator)
 * and the incomplete step it belongs to are dropped.
 *
 * @param values decoded values [steps][components]
 * @param codes integer codes [steps][components]
 * @param consumed characters of the text that belong to the returned steps (incl. their separators)
 * @param stop why parsing stopped
 * @param message human-readable reason (empty for {@link Stop#END})
 */
public record ParsedSeries(double[][] values, long[][] codes, int consumed, Stop stop, String message) {

    /** Why parsing stopped. */
    public enum Stop {
        /** The text ended at a step boundary. */
        END,
        /** The text ended inside a step (a truncated value or missing components); that step was dropped. */
        TRUNCATED,
        /** The requested number of steps was reached. */
        MAX_STEPS,
        /** Text not in the format (lenient mode only); see the message. */
        MALFORMED
    }

    /** @return number of complete steps */
    public int steps() {
        return values.length;
    }
}
