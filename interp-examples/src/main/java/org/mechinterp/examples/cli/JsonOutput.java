package org.mechinterp.examples.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.Map;

/**
 * The one way the CLI prints {@code --json} objects: valid JSON (RFC 8259), with NaN and ±infinity written as
 * {@code null}.
 *
 * <p>Why: Gson writes a {@link JsonElement} leniently, so a NaN logit, score or metric came out as a bare
 * {@code NaN}/{@code Infinity} token that {@code jq}, Python's strict parsers and JavaScript reject. {@code null} is
 * what {@code JSON.stringify} and pandas write for them.
 */
final class JsonOutput {
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    private JsonOutput() {}

    /** {@code element} as one line of valid JSON, non-finite numbers as null. */
    static String toJson(JsonElement element) {
        return GSON.toJson(finite(element));
    }

    /** A copy of {@code e} with every non-finite number replaced by {@link JsonNull} (finite ones are kept as is). */
    static JsonElement finite(JsonElement e) {
        if (e.isJsonPrimitive()) {
            JsonPrimitive p = e.getAsJsonPrimitive();
            return p.isNumber() && !Double.isFinite(p.getAsDouble()) ? JsonNull.INSTANCE : e;
        }
        if (e.isJsonArray()) {
            JsonArray out = new JsonArray();
            e.getAsJsonArray().forEach(x -> out.add(finite(x)));
            return out;
        }
        if (e.isJsonObject()) {
            JsonObject out = new JsonObject();
            for (Map.Entry<String, JsonElement> entry : e.getAsJsonObject().entrySet()) {
                out.add(entry.getKey(), finite(entry.getValue()));
            }
            return out;
        }
        return e;
    }
}
