package org.mechinterp.examples.cli;

import com.google.gson.JsonElement;
import org.mechinterp.core.io.StrictJson;

/**
 * The one way the CLI prints {@code --json} objects: valid JSON (RFC 8259), with NaN and ±infinity written as
 * {@code null} ({@link StrictJson}).
 */
final class JsonOutput {
    private JsonOutput() {}

    /** {@code element} as one line of valid JSON, non-finite numbers as null. */
    static String toJson(JsonElement element) {
        return StrictJson.toJson(element);
    }
}
