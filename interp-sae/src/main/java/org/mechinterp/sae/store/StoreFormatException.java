package org.mechinterp.sae.store;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An activation store on disk is malformed: a manifest that does not parse or contradicts itself, or a shard that
 * is missing, truncated or fails its SHA-256 checksum. The message names the offending file; {@link #file()}
 * returns it.
 */
public final class StoreFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * @param file the offending file (a shard or the manifest)
     * @param message what is wrong with it; the file name is prepended
     */
    public StoreFormatException(Path file, String message) {
        super(file + ": " + message);
        this.file = file;
    }

    /**
     * @param file the offending file
     * @param message what is wrong with it
     * @param cause the underlying failure
     */
    public StoreFormatException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
        this.file = file;
    }

    /**
     * The file the problem was found in.
     *
     * @return the path of the offending file (manifest or shard)
     */
    public Path file() {
        return file;
    }
}
