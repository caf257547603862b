package org.mechinterp.examples.physics.prompt;

/** A continuation text that does not follow the series format; the message names the position and problem. */
public final class SeriesParseException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** Character index in the parsed text where the problem is; serialised with the exception. */
    private final int position;

    /**
     * @param position character index in the parsed text where the problem is
     * @param message what is wrong
     */
    public SeriesParseException(int position, String message) {
        super(message);
        this.position = position;
    }

    /** @return the character index of the problem */
    public int position() {
        return position;
    }
}
