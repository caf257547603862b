package org.mechinterp.examples.physics.study;

/**
 * A study setting that does not fit the model or the system (a layer outside the model, an unknown quantity, a
 * vocabulary without single-digit tokens, trajectories longer than the model's positions): bad input rather than a
 * failure while running. The command line reports it as a usage error.
 */
public final class StudyInputException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong and which setting to change, shown to the user as is
     */
    public StudyInputException(String message) {
        super(message);
    }
}
