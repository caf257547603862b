package org.mechinterp.examples.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.progress.Progress;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.jacobian.AttributionRequest;
import org.mechinterp.jacobian.AttributionResult;
import org.mechinterp.jacobian.BatchAttributor;
import org.mechinterp.jacobian.TokenTexts;
import org.mechinterp.jacobian.report.AttributionReport;

/**
 * {@code scopes --prompts FILE --out FILE.jsonl}: every prompt of a file through a {@link BatchAttributor}, one JSON
 * line per prompt ({@code index}, {@code line} of the prompt file, {@code prompt} text or null, {@code model}, then
 * the fields of {@code scopes --json}), flushed after each batch. Resumable: records already in the output are
 * checked against the prompt file (same prompt, same scope) and skipped; a partial last line is cut off and redone.
 * With an HTML folder, one heatmap per prompt ({@code prompt-000000.html}) and an {@code index.html}.
 */
final class ScopesBatch {
    private final Path modelDir;
    private final Tokenizer tokenizer;
    private final HookedTransformer model;
    private final BatchAttributor attributor;
    private final int[] exclude;
    private final Progress.Settings progress;

    /**
     * @param tokenizer null when the model has none (then every prompt must give token ids)
     * @param exclude positions given no score in every prompt that has them
     * @param progress how progress is shown (updated after each batch)
     */
    ScopesBatch(Path modelDir, Tokenizer tokenizer, HookedTransformer model, BatchAttributor attributor,
            int[] exclude, Progress.Settings progress) {
        this.modelDir = modelDir;
        this.tokenizer = tokenizer;
        this.model = model;
        this.attributor = attributor;
        this.exclude = exclude.clone();
        this.progress = progress;
    }

    /**
     * Runs the prompts not yet in {@code out}.
     *
     * @param html a folder for the heatmaps, or null
     * @return the numbers of prompts {skipped as already done, attributed now}
     * @throws IllegalArgumentException for a malformed prompt (named by its line) or an output that does not match
     *     the prompt file; nothing is attributed then
     */
    long[] run(List<PromptFile.Entry> entries, Path out, Path html) throws Exception {
        List<AttributionRequest> requests = new ArrayList<>(entries.size());
        for (PromptFile.Entry e : entries) {
            requests.add(request(e));
        }
        if (html != null) {
            Files.createDirectories(html);
        }
        try (ResumableJsonl sink = ResumableJsonl.open(out)) {
            List<JsonObject> done = sink.existing();
            checkResumable(done, entries, out);
            List<JsonObject> summaries = new ArrayList<>();
            done.forEach(o -> summaries.add(summary(o)));
            int skip = done.size();
            long total = entries.size();
            try (Progress bar = Progress.resume("scopes", total, "prompts", progress, skip)) {
                attributor.run(requests.subList(skip, requests.size()).iterator(), (i, result) -> {
                    int index = skip + (int) i;
                    JsonObject record = record(index, entries.get(index), result);
                    sink.append(record);
                    summaries.add(summary(record));
                    if (html != null) {
                        AttributionReport.writeHtml(html.resolve(pageName(index)), List.of(result),
                                "interp scopes: " + result.method().id() + ", prompt " + index,
                                ScopesCommand.pageContext(modelDir, tokenizer, result));
                    }
                }, (n, nanos) -> {
                    try {
                        sink.flush();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    bar.stepTo(skip + n);
                });
            }
            if (html != null) {
                writeIndex(html.resolve("index.html"), summaries);
            }
            return new long[] {skip, entries.size() - skip};
        }
    }

    private AttributionRequest request(PromptFile.Entry e) {
        String where = "prompt line " + e.line();
        int[] ids;
        if (e.text() != null) {
            if (tokenizer == null) {
                throw new IllegalArgumentException(where + " is text, but the model folder has no tokenizer.json: "
                        + "give \"tokens\" in a .jsonl file");
            }
            ids = tokenizer.encode(e.text());
        } else {
            ids = e.tokens();
        }
        try {
            TokenBatch.of(ids).requireInVocabulary(model.config().vocabSize());
            AttributionRequest.Builder b = AttributionRequest.builder().setTokens(ids);
            if (e.position() != null) {
                b.optPosition(e.position());
            }
            if (e.target() != null) {
                if (e.target() < 0 || e.target() >= model.config().vocabSize()) {
                    throw new IllegalArgumentException("target " + e.target() + " is outside the vocabulary [0, "
                            + model.config().vocabSize() + ")");
                }
                b.optTarget(e.target());
            }
            for (int p : exclude) {
                if (p < ids.length) {
                    b.optExclude(p);
                }
            }
            if (tokenizer != null) {
                b.optTokenTexts(TokenTexts.inContext(tokenizer, ids));
            }
            return b.build();
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException(where + ": " + ex.getMessage(), ex);
        }
    }

    private JsonObject record(int index, PromptFile.Entry e, AttributionResult result) {
        JsonObject o = new JsonObject();
        o.addProperty("index", index);
        o.addProperty("line", e.line());
        o.addProperty("prompt", e.text());
        o.addProperty("model", modelDir.toString());
        for (var f : result.toJson().entrySet()) {
            o.add(f.getKey(), f.getValue());
        }
        return o;
    }

    /** Each kept record must be the same prompt (text, or ids when given as ids) with the same scope, in order. */
    private void checkResumable(List<JsonObject> done, List<PromptFile.Entry> entries, Path out) {
        if (done.size() > entries.size()) {
            throw new IllegalArgumentException(out + " has " + done.size() + " records but the prompt file only "
                    + entries.size() + " prompts: not an output of this prompt file");
        }
        String scope = attributor.method().id();
        for (int i = 0; i < done.size(); i++) {
            JsonObject o = done.get(i);
            PromptFile.Entry e = entries.get(i);
            boolean sameScope = o.has("scope") && scope.equals(o.get("scope").getAsString());
            boolean sameIndex = o.has("index") && o.get("index").getAsInt() == i;
            boolean samePrompt = e.text() != null
                    ? o.has("prompt") && !o.get("prompt").isJsonNull() && e.text().equals(o.get("prompt").getAsString())
                    : o.has("tokens") && Arrays.equals(e.tokens(), ints(o.getAsJsonArray("tokens")));
            if (!sameScope || !sameIndex || !samePrompt) {
                throw new IllegalArgumentException(out + " record " + i + " is not prompt " + i + " (line " + e.line()
                        + ") with scope " + scope + ": the output belongs to another prompt file or scope; give "
                        + "another --out");
            }
        }
    }

    private static int[] ints(JsonArray a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).getAsInt();
        }
        return v;
    }

    static String pageName(int index) {
        return String.format(Locale.ROOT, "prompt-%06d.html", index);
    }

    /** What the index page shows of a record: index, prompt (text or ids), target and the top-scoring token. */
    private static JsonObject summary(JsonObject record) {
        JsonObject s = new JsonObject();
        s.add("index", record.get("index"));
        JsonElement prompt = record.get("prompt");
        s.addProperty("prompt", prompt == null || prompt.isJsonNull() ? record.get("tokens").toString()
                : prompt.getAsString());
        s.add("target", record.get("target"));
        JsonArray scores = record.getAsJsonArray("scores");
        int best = 0;
        for (int i = 1; i < scores.size(); i++) {
            if (!scores.get(i).isJsonNull() && (scores.get(best).isJsonNull()
                    || scores.get(i).getAsDouble() > scores.get(best).getAsDouble())) {
                best = i;
            }
        }
        JsonElement texts = record.get("token_texts");
        s.addProperty("top", texts == null || texts.isJsonNull() ? "#" + best + " id "
                + record.getAsJsonArray("tokens").get(best) : "#" + best + " " + texts.getAsJsonArray().get(best));
        return s;
    }

    private static void writeIndex(Path file, List<JsonObject> summaries) throws IOException {
        StringBuilder sb = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>interp scopes</title><style>body{font-family:system-ui,sans-serif;margin:24px}")
                .append("td{padding:2px 8px;vertical-align:top}</style></head><body>\n<h2>interp scopes: ")
                .append(summaries.size()).append(" prompts</h2>\n<table>\n<tr><th>#</th><th>prompt</th>")
                .append("<th>target</th><th>top token</th></tr>\n");
        for (JsonObject s : summaries) {
            int index = s.get("index").getAsInt();
            sb.append("<tr><td><a href=\"").append(pageName(index)).append("\">").append(index).append("</a></td><td>")
                    .append(escape(s.get("prompt").getAsString())).append("</td><td>")
                    .append(s.get("target").isJsonNull() ? "-" : s.get("target").getAsString()).append("</td><td>")
                    .append(escape(s.get("top").getAsString())).append("</td></tr>\n");
        }
        sb.append("</table>\n</body></html>\n");
        org.mechinterp.core.io.AtomicFile.writeString(file, sb);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
