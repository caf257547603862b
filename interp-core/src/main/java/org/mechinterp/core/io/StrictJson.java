package org.mechinterp.core.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.Map;

/**
 * Valid JSON (RFC 8259) from Gson trees that may hold non-finite numbers: NaN and ±infinity become {@code null}.
 *
 * <p>Why: Gson writes a {@link JsonElement} leniently, so a NaN logit, score or metric comes out as a bare
 * {@code NaN}/{@code Infinity} token that {@code jq}, Python's strict parsers and JavaScript reject. {@code null} is
 * what {@code JSON.stringify} and pandas write for them. Used by the CLI's {@code --json} output and by every JSON
 * file the library writes for people to read (dashboards, reports).
 */
public final class StrictJson {
    private static final Gson COMPACT = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    private StrictJson() {}

    /**
     * {@code element} as one line of valid JSON.
     *
     * @param element the tree (not modified)
     * @return compact JSON with every non-finite number written as {@code null}
     */
    public static String toJson(JsonElement element) {
        return COMPACT.toJson(finite(element));
    }

    /**
     * A copy of {@code e} with every non-finite number replaced by {@link JsonNull}; finite numbers, strings,
     * booleans and nulls are kept as they are.
     *
     * @param e the tree (not modified)
     * @return the copy (primitives and nulls may be returned as is: they are immutable)
     */
    public static JsonElement finite(JsonElement e) {
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
