package org.mechinterp.sae.train;

/** Thrown when a training step produces a NaN or infinite loss; training stops without updating the weights. */
public final class NonFiniteLossException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final int step;

    public NonFiniteLossException(int step, String message) {
        super(message);
        this.step = step;
    }

    /** The 0-based step whose loss was not finite. */
    public int step() {
        return step;
    }
}
