package org.mechinterp.sae.dashboard;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads back the per-latent objects that {@link DashboardWriter#json} writes, as {@link LatentSummary}s: from a
 * dashboard's {@code dashboard.json} or from the statistics JSON of interp-spark's {@code FeatureStatsJob} (both
 * hold them in a top-level {@code latents} array), so that pages can be rendered from statistics computed
 * elsewhere. Numbers round-trip exactly (Gson writes the shortest text that parses back to the same value);
 * JSON null (an undefined label r) reads as NaN. Contexts need {@code token_ids} (written since this reader
 * exists).
 */
public final class LatentSummaryJson {
    private LatentSummaryJson() {}

    /**
     * Reads every latent of a statistics or dashboard JSON file.
     *
     * @param file a JSON file written by the statistics or dashboard writer
     * @return the summaries, in file order
     * @throws IOException if the file is unreadable, not JSON, or a latent lacks a field or has a malformed one
     *     (the message names the file, the latent and the field)
     */
    public static List<LatentSummary> read(Path file) throws IOException {
        JsonObject root;
        try {
            root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new IOException(file + ": not a JSON object: " + e.getMessage(), e);
        }
        if (!root.has("latents") || !root.get("latents").isJsonArray()) {
            throw new IOException(file + ": no 'latents' array (expected a dashboard.json or a stats JSON)");
        }
        List<LatentSummary> out = new ArrayList<>();
        JsonArray latents = root.getAsJsonArray("latents");
        for (int i = 0; i < latents.size(); i++) {
            try {
                out.add(summary(latents.get(i).getAsJsonObject()));
            } catch (RuntimeException e) {
                throw new IOException(file + ": latents[" + i + "]: " + e.getMessage(), e);
            }
        }
        return out;
    }

    /**
     * One latent's object as a summary.
     *
     * @param o one latent's JSON object; not modified
     * @return the summary it describes
     * @throws IllegalArgumentException naming a missing or malformed field
     */
    public static LatentSummary summary(JsonObject o) {
        long[] hist = longs(field(o, "histogram").getAsJsonObject().getAsJsonArray("counts"));
        if (hist.length != LatentStatsAccumulator.BINS) {
            throw new IllegalArgumentException("histogram has " + hist.length + " bins, expected "
                    + LatentStatsAccumulator.BINS);
        }
        List<List<LatentContext>> samples = new ArrayList<>();
        for (int b = 0; b < LatentStatsAccumulator.SAMPLE_BINS; b++) {
            samples.add(new ArrayList<>());
        }
        for (JsonElement e : field(o, "quantile_samples").getAsJsonArray()) {
            JsonObject so = e.getAsJsonObject();
            double from = field(so, "activation_from").getAsDouble();
            int bin = (int) Math.round((Math.log10(from) - LatentStatsAccumulator.LOG_MIN)
                    * LatentStatsAccumulator.BINS_PER_DECADE) / LatentStatsAccumulator.BINS_PER_SAMPLE_BIN;
            if (bin < 0 || bin >= samples.size()) {
                throw new IllegalArgumentException("quantile_samples: activation_from " + from + " is no sample bin");
            }
            samples.set(bin, contexts(field(so, "contexts").getAsJsonArray()));
        }
        List<String> labels = new ArrayList<>();
        List<Double> r = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : field(o, "label_r").getAsJsonObject().entrySet()) {
            labels.add(e.getKey());
            r.add(e.getValue().isJsonNull() ? Double.NaN : e.getValue().getAsDouble());
        }
        return new LatentSummary(field(o, "latent").getAsInt(), field(o, "tokens").getAsLong(),
                field(o, "fired").getAsLong(), number(o, "mean_when_fired"), number(o, "sd_when_fired"),
                (float) number(o, "max"), hist, contexts(field(o, "top_contexts").getAsJsonArray()), samples,
                List.copyOf(labels), r.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static List<LatentContext> contexts(JsonArray a) {
        List<LatentContext> out = new ArrayList<>();
        for (JsonElement e : a) {
            JsonObject c = e.getAsJsonObject();
            int position = field(c, "position").getAsInt();
            long[] ids = longs(field(c, "token_ids").getAsJsonArray());
            JsonArray actsJson = field(c, "activations").getAsJsonArray();
            if (actsJson.size() != ids.length) {
                throw new IllegalArgumentException("context of doc " + c.get("doc") + ": " + ids.length
                        + " token ids but " + actsJson.size() + " activations");
            }
            int[] tokens = new int[ids.length];
            float[] acts = new float[ids.length];
            for (int t = 0; t < ids.length; t++) {
                tokens[t] = Math.toIntExact(ids[t]);
                acts[t] = actsJson.get(t).isJsonNull() ? Float.NaN : actsJson.get(t).getAsFloat();
            }
            out.add(new LatentContext(field(c, "doc").getAsLong(), position, field(c, "activation").getAsFloat(),
                    position - field(c, "offset").getAsInt(), tokens, acts));
        }
        return out;
    }

    private static JsonElement field(JsonObject o, String name) {
        JsonElement e = o.get(name);
        if (e == null) {
            throw new IllegalArgumentException("field '" + name + "' is missing"
                    + (o.has("latent") ? " (latent " + o.get("latent") + ")" : ""));
        }
        return e;
    }

    private static double number(JsonObject o, String name) {
        JsonElement e = field(o, name);
        return e.isJsonNull() ? Double.NaN : e.getAsDouble();
    }

    private static long[] longs(JsonArray a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsLong();
        }
        return out;
    }
}
