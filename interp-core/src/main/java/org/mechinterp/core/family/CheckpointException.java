package org.mechinterp.core.family;

import java.io.IOException;

/** A checkpoint folder that cannot be turned into a model: bad config, unsupported family, missing or misshapen weights. */
public class CheckpointException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates a checkpoint exception.
     *
     * @param message the message
     */
    public CheckpointException(String message) {
        super(message);
    }

    /**
     * Creates a checkpoint exception.
     *
     * @param message the message
     * @param cause the cause
     */
    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
