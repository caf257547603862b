package org.mechinterp.core.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file (or a sharded checkpoint index) is malformed, truncated or inconsistent.
 *
 * <p>Every message produced by this package names the offending file and, when the problem concerns one
 * tensor, that tensor, so that a failure deep inside model loading can be traced back without a debugger.
 */
public class SafetensorsFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a complete message.
     *
     * @param message the full message; callers in this package always include the file name
     */
    public SafetensorsFormatException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a complete message and a cause.
     *
     * @param message the full message; callers in this package always include the file name
     * @param cause the underlying parse or I/O error
     */
    public SafetensorsFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Formats "{@code <file>: <detail>}" or "{@code <file>: tensor '<name>': <detail>}".
     *
     * @param file the file concerned
     * @param tensor the tensor concerned, or {@code null} for file-level problems
     * @param detail what is wrong
     * @return the formatted exception
     */
    static SafetensorsFormatException of(Path file, String tensor, String detail) {
        return new SafetensorsFormatException(describe(file, tensor, detail));
    }

    static SafetensorsFormatException of(Path file, String tensor, String detail, Throwable cause) {
        return new SafetensorsFormatException(describe(file, tensor, detail), cause);
    }

    static String describe(Path file, String tensor, String detail) {
        StringBuilder sb = new StringBuilder();
        sb.append("safetensors file ").append(file);
        if (tensor != null) {
            sb.append(": tensor '").append(tensor).append('\'');
        }
        return sb.append(": ").append(detail).toString();
    }
}
