package org.mechinterp.core.family;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.mechinterp.core.model.RopeScaling;

/**
 * A parsed HF {@code config.json} with typed accessors whose errors name the file and the field.
 * Handles the variants met in real files (transformers v5 {@code rope_parameters}, list-valued ids, nulls).
 */
public final class HfConfig {
    private final Path source;
    private final JsonObject json;

    private HfConfig(Path source, JsonObject json) {
        this.source = source;
        this.json = json;
    }

    /**
     * Reads {@code dir/config.json}.
     *
     * @param dir the folder
     * @return the parsed config
     * @throws CheckpointException if the checkpoint or its config is malformed (the message names the file and field)
     */
    public static HfConfig read(Path dir) throws CheckpointException {
        Path file = dir.resolve("config.json");
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CheckpointException("no config.json in " + dir);
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return parse(file, text);
    }

    /**
     * Parses config text; {@code source} is used in messages only.
     *
     * @param source the source
     * @param text the text
     * @return the parsed config
     * @throws CheckpointException if the checkpoint or its config is malformed (the message names the file and field)
     */
    public static HfConfig parse(Path source, String text) throws CheckpointException {
        try {
            JsonElement root = JsonParser.parseString(text);
            if (!root.isJsonObject()) {
                throw new CheckpointException(source + " is not a JSON object");
            }
            return new HfConfig(source, root.getAsJsonObject());
        } catch (JsonParseException e) {
            throw new CheckpointException(source + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * The nested object {@code key} (e.g. a multimodal config's {@code text_config}) as a config of its own, with
     * messages naming {@code source#key}.
     *
     * @param key the config key
     * @return the nested object {@code key} (e.g. a multimodal config's {@code text_config}) as a config of its own,
     *     with messages naming {@code source#key}
     * @throws CheckpointException if the field is missing or not an object
     */
    public HfConfig section(String key) throws CheckpointException {
        if (!has(key) || !json.get(key).isJsonObject()) {
            throw new CheckpointException(source + ": '" + key + "' must be an object");
        }
        return new HfConfig(Path.of(source + "#" + key), json.getAsJsonObject(key));
    }

    /**
     * True when {@code key} is present with an explicit JSON null (HF: "disabled", unlike an absent key).
     *
     * @param key the config key
     * @return true when {@code key} is present with an explicit JSON null (HF: "disabled", unlike an absent key)
     */
    public boolean isExplicitNull(String key) {
        return json.has(key) && json.get(key).isJsonNull();
    }

    /**
     * A number that HF lets a config disable with null: absent → {@code fallback}, null → 0, else the value.
     *
     * @param key the config key
     * @param fallback the value when the key is absent
     * @return a number that HF lets a config disable with null: absent → {@code fallback}, null → 0, else the value
     * @throws CheckpointException if the checkpoint or its config is malformed (the message names the file and field)
     */
    public double optNullableDouble(String key, double fallback) throws CheckpointException {
        return isExplicitNull(key) ? 0 : optDouble(key, fallback);
    }

    /**
     * The source.
     *
     * @return the file the config was read from (for messages)
     */
    public Path source() {
        return source;
    }

    /**
     * The parsed JSON object.
     *
     * @return the JSON object (not a copy)
     */
    public JsonObject json() {
        return json;
    }

    /**
     * The {@code model_type}; required.
     *
     * @return the {@code model_type}; required
     * @throws CheckpointException if the checkpoint or its config is malformed (the message names the file and field)
     */
    public String modelType() throws CheckpointException {
        return requireString("model_type");
    }

    /**
     * Whether {@code key} is present with a non-null value.
     *
     * @param key the config key
     * @return true when the key is present and not JSON null
     */
    public boolean has(String key) {
        return json.has(key) && !json.get(key).isJsonNull();
    }

    /**
     * A required string field.
     *
     * @param key the config key
     * @return its value
     * @throws CheckpointException if the checkpoint or its config is malformed (the message names the file and field)
     */
    public String requireString(String key) throws CheckpointException {
        if (!has(key)) {
            throw missing(key);
        }
        return asString(key, json.get(key));
    }

    /**
     * A required integer field.
     *
     * @param key the config key
     * @return a required integer field
     * @throws CheckpointException if the checkpoint or its config is malformed (the message names the file and field)
     */
    public int requireInt(String key) throws CheckpointException {
        if (!has(key)) {
            throw missing(key);
        }
        return asInt(key, json.get(key));
    }

    /**
     * The first of several alternative integer fields that is present (e.g. n_embd / hidden_size).
     *
     * @param key the config key
     * @param alternative another key read when the first is absent
     * @return the first of several alternative integer fields that is present (e.g. n_embd / hidden_size)
     * @throws CheckpointException if the checkpoint or its config is malformed (the message names the file and field)
     */
    public int requireInt(String key, String alternative) throws CheckpointException {
        return has(key) ? requireInt(key) : requireInt(alternative);
    }

    /**
     * An optional integer field.
     *
     * @param key the config key
     * @param fallback the value when the key is absent
     * @return its value, or {@code fallback} when absent or null
     * @throws CheckpointException if the checkpoint or its config is malformed (the message names the file and field)
     */
    public int optInt(String key, int fallback) throws CheckpointException {
        return has(key) ? asInt(key, json.get(key)) : fallback;
    }

    /**
     * An optional integer that must be positive when present (e.g. {@code head_dim}, where 0 is not "derive it"
     * but a broken config).
     *
     * @param key the config key
     * @param fallback the value when the key is absent
     * @return an optional integer that must be positive when present (e.g. {@code head_dim}, where 0 is not "derive it"
     *     but a broken config)
     * @throws CheckpointException if the checkpoint or its config is malformed (the message names the file and field)
     */
    public int optPositiveInt(String key, int fallback) throws CheckpointException {
        if (!has(key)) {
            return fallback;
        }
        int v = asInt(key, json.get(key));
        if (v <= 0) {
            throw new CheckpointException(source + ": field '" + key + "' must be a positive integer, got " + v);
        }
        return v;
    }

    /**
     * An optional number field.
     *
     * @param key the config key
     * @param fallback the value when the key is absent
     * @return its value, or {@code fallback} when absent or null
     * @throws CheckpointException if the checkpoint or its config is malformed (the message names the file and field)
     */
    public double optDouble(String key, double fallback) throws CheckpointException {
        if (!has(key)) {
            return fallback;
        }
        JsonElement e = json.get(key);
        if (!isNumber(e)) {
            throw new CheckpointException(source + ": field '" + key + "' is not a number: " + e);
        }
        return e.getAsDouble();
    }

    /**
     * An optional JSON boolean. Why strict: Gson reads any string as false, so {@code "yes"} used to turn tied
     * embeddings off and surface as a missing {@code lm_head.weight}.
     *
     * @param key the config key
     * @param fallback the value when the key is absent
     * @return an optional JSON boolean
     * @throws CheckpointException if the checkpoint or its config is malformed (the message names the file and field)
     */
    public boolean optBoolean(String key, boolean fallback) throws CheckpointException {
        if (!has(key)) {
            return fallback;
        }
        JsonElement e = json.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw new CheckpointException(source + ": field '" + key + "' must be true or false, got " + e);
        }
        return e.getAsBoolean();
    }

    /**
     * An optional string field.
     *
     * @param key the config key
     * @param fallback the value when the key is absent
     * @return its value, or {@code fallback} when absent or null
     * @throws CheckpointException if the checkpoint or its config is malformed (the message names the file and field)
     */
    public String optString(String key, String fallback) throws CheckpointException {
        return has(key) ? asString(key, json.get(key)) : fallback;
    }

    /**
     * An id field that may be a number or a list of numbers (eos_token_id); empty when absent.
     *
     * @param key the config key
     * @return an id field that may be a number or a list of numbers (eos_token_id); empty when absent
     * @throws CheckpointException if the checkpoint or its config is malformed (the message names the file and field)
     */
    public int[] optIds(String key) throws CheckpointException {
        if (!has(key)) {
            return new int[0];
        }
        JsonElement e = json.get(key);
        if (e.isJsonArray()) {
            int[] ids = new int[e.getAsJsonArray().size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = asInt(key, e.getAsJsonArray().get(i));
            }
            return ids;
        }
        return new int[] {asInt(key, e)};
    }

    /**
     * Rotary settings from {@code rope_theta}/{@code rope_scaling} (transformers ≤ 4) or {@code rope_parameters}
     * (transformers 5).
     *
     * @return rotary settings from {@code rope_theta}/{@code rope_scaling} (transformers ≤ 4) or {@code
     *     rope_parameters} (transformers 5)
     * @throws CheckpointException for a rope type this library does not implement (named)
     */
    public RopeScaling rope() throws CheckpointException {
        JsonObject params = has("rope_parameters") ? json.getAsJsonObject("rope_parameters") : null;
        JsonObject scaling = has("rope_scaling") ? json.getAsJsonObject("rope_scaling") : params;
        double theta = optDouble("rope_theta", params != null && params.has("rope_theta")
                ? params.get("rope_theta").getAsDouble() : 10000.0);
        return rope(theta, scaling);
    }

    /**
     * Rotary settings with base {@code theta} and the rescaling described by {@code scaling} (an HF
     * {@code rope_scaling} / {@code rope_parameters} object with {@code rope_type} or {@code type}; null for none).
     *
     * @param theta the rotary base theta
     * @param scaling the scaling
     * @return rotary settings with base {@code theta} and the rescaling described by {@code scaling} (an HF {@code
     *     rope_scaling} / {@code rope_parameters} object with {@code rope_type} or {@code type}; null for none)
     * @throws CheckpointException for a rope type this library does not implement (named)
     */
    public RopeScaling rope(double theta, JsonObject scaling) throws CheckpointException {
        if (scaling == null) {
            return RopeScaling.plain(theta);
        }
        String type = scaling.has("rope_type") ? scaling.get("rope_type").getAsString()
                : scaling.has("type") ? scaling.get("type").getAsString() : "default";
        switch (type) {
            case "default":
                return RopeScaling.plain(theta);
            case "linear":
                return RopeScaling.linear(theta, number(scaling, "factor"));
            case "llama3":
                return RopeScaling.llama3(theta, number(scaling, "factor"), number(scaling, "low_freq_factor"),
                        number(scaling, "high_freq_factor"),
                        (int) number(scaling, "original_max_position_embeddings"));
            default:
                throw new CheckpointException(source + ": rope type '" + type + "' is not supported (supported: "
                        + "default, linear, llama3)");
        }
    }

    private double number(JsonObject o, String key) throws CheckpointException {
        if (!o.has(key) || o.get(key).isJsonNull()) {
            throw new CheckpointException(source + ": rope scaling is missing '" + key + "'");
        }
        return o.get(key).getAsDouble();
    }

    /**
     * A JSON number holding an integer. Why strict: Gson would read {@code "64"} and {@code [64]} as 64, hiding a
     * broken config.
     */
    private int asInt(String key, JsonElement e) throws CheckpointException {
        double d = isNumber(e) ? e.getAsDouble() : Double.NaN;
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw new CheckpointException(source + ": field '" + key + "' is not an integer: " + e);
        }
        return (int) d;
    }

    private String asString(String key, JsonElement e) throws CheckpointException {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new CheckpointException(source + ": field '" + key + "' must be a string, got " + e);
        }
        return e.getAsString();
    }

    private static boolean isNumber(JsonElement e) {
        return e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber();
    }

    private CheckpointException missing(String key) {
        return new CheckpointException(source + " has no '" + key + "' field");
    }
}
