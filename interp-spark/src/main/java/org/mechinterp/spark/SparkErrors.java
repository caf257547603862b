package org.mechinterp.spark;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Turns a failed Spark job back into the error a task raised: Spark wraps a task's exception in a
 * {@code SparkException} whose message starts with "Job aborted due to stage failure"; users should read the
 * task's own message (which names the corpus file and line, the model folder and executor, ...).
 */
final class SparkErrors {
    private SparkErrors() {
    }

    /**
     * The task's {@link IllegalArgumentException} or I/O error inside {@code e}, as an exception to rethrow on the
     * driver; {@code e} itself when it holds neither.
     */
    static RuntimeException unwrap(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IllegalArgumentException iae) {
                return new IllegalArgumentException(iae.getMessage(), e);
            }
            if (t instanceof UncheckedIOException || t instanceof IOException) {
                return new UncheckedIOException(t.getMessage(), t instanceof IOException io ? io
                        : ((UncheckedIOException) t).getCause());
            }
        }
        return e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
    }
}
