package org.mechinterp.sae.train;

/** Thrown when a training step produces a NaN or infinite loss; training stops without updating the weights. */
public final class NonFiniteLossException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** The 0-based step whose loss was not finite (serialised with the exception). */
    private final int step;

    /**
     * An exception for the given step.
     *
     * @param step 0-based step whose loss was NaN or infinite
     * @param message what was not finite (the loss terms), for the user
     */
    public NonFiniteLossException(int step, String message) {
        super(message);
        this.step = step;
    }

    /**
     * The 0-based step whose loss was not finite.
     *
     * @return the step index
     */
    public int step() {
        return step;
    }
}
