package org.mechinterp.sae.dashboard;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntFunction;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.mechinterp.core.io.StrictJson;
import org.mechinterp.sae.io.AtomicFiles;

/**
 * Writes feature dashboards: per latent a self-contained page {@code latent-<i>.html} (inline CSS, SVG and a small
 * inline script; no network) and the same data as {@code latent-<i>.json}, plus {@code index.html} and
 * {@code dashboard.json} with every latent. A page shows the activation density and log10 histogram, the top
 * activating contexts with each token shaded by the latent's activation (hover for the value), sampled contexts per
 * activation range with its quantile range, the top positive and negative logit effects, and the label
 * correlations. Each file is written atomically.
 */
public final class DashboardWriter {
    private static final Gson GSON = new GsonBuilder().serializeNulls().setPrettyPrinting().create();
    /** HTML-safe: escapes {@code <}, {@code >}, {@code &}, {@code =} and {@code '} so JSON can sit in a script tag. */
    private static final Gson INLINE = new GsonBuilder().serializeNulls().create();

    private final IntFunction<String> tokenText;
    private final Function<int[], String> decode;
    private final String title;

    /**
     * @param tokenText the text of a lone token id (e.g. {@code Tokenizer::tokenText}), for logit tables
     * @param decode the text of a token sequence (e.g. {@code Tokenizer::decode}), or null: a context's token
     *     texts are then decoded incrementally, {@code decode(t[0..i]) − decode(t[0..i−1])}, which keeps the leading
     *     spaces a lone-token decode drops (SentencePiece); null uses {@code tokenText} per token
     * @param title what the dashboards are of (SAE, hook, corpus), shown on every page
     */
    public DashboardWriter(IntFunction<String> tokenText, Function<int[], String> decode, String title) {
        this.tokenText = tokenText;
        this.decode = decode;
        this.title = title;
    }

    /** @return the display text of each token of a window */
    String[] pieces(int[] tokens) {
        String[] out = new String[tokens.length];
        String prev = "";
        for (int i = 0; i < tokens.length; i++) {
            if (decode == null) {
                out[i] = tokenText.apply(tokens[i]);
                continue;
            }
            String cur = decode.apply(java.util.Arrays.copyOf(tokens, i + 1));
            out[i] = cur.startsWith(prev) ? cur.substring(prev.length()) : tokenText.apply(tokens[i]);
            prev = cur;
        }
        return out;
    }

    /**
     * @param out the output folder (created)
     * @param summaries one per latent
     * @param logits logit effects by latent (latents without an entry show none)
     * @throws IOException if the folder or a file cannot be written
     */
    public void write(Path out, List<LatentSummary> summaries, Map<Integer, LogitEffects> logits)
            throws IOException {
        Files.createDirectories(out);
        JsonArray all = new JsonArray();
        for (LatentSummary s : summaries) {
            JsonObject o = json(s, logits.get(s.latent()));
            all.add(o);
            AtomicFiles.writeString(out.resolve("latent-" + s.latent() + ".json"), GSON.toJson(o));
            AtomicFiles.writeString(out.resolve("latent-" + s.latent() + ".html"), page(s, o, logits.get(s.latent())));
        }
        JsonObject d = new JsonObject();
        d.addProperty("title", title);
        d.add("latents", all);
        AtomicFiles.writeString(out.resolve("dashboard.json"), GSON.toJson(d));
        AtomicFiles.writeString(out.resolve("index.html"), index(summaries, logits));
    }

    /**
     * @param s the latent's statistics
     * @param logit the latent's logit effects, or null for none
     * @return the dashboard data of one latent as JSON (token texts included); undefined values (e.g. the label r
     *     of a latent that never fired) are JSON null, so every file is valid JSON
     */
    public JsonObject json(LatentSummary s, LogitEffects logit) {
        return (JsonObject) StrictJson.finite(raw(s, logit));
    }

    private JsonObject raw(LatentSummary s, LogitEffects logit) {
        JsonObject o = new JsonObject();
        o.addProperty("latent", s.latent());
        o.addProperty("tokens", s.tokens());
        o.addProperty("fired", s.fired());
        o.addProperty("density", s.density());
        o.addProperty("mean_when_fired", s.meanWhenFired());
        o.addProperty("sd_when_fired", s.sdWhenFired());
        o.addProperty("max", s.max());
        JsonObject h = new JsonObject();
        h.addProperty("log10_min", LatentStatsAccumulator.LOG_MIN);
        h.addProperty("bins_per_decade", LatentStatsAccumulator.BINS_PER_DECADE);
        h.add("counts", GSON.toJsonTree(s.histogram()));
        o.add("histogram", h);
        o.add("top_contexts", contexts(s.top()));
        JsonArray samples = new JsonArray();
        for (int b = s.samples().size() - 1; b >= 0; b--) {
            if (s.samples().get(b).isEmpty()) {
                continue;
            }
            JsonObject so = new JsonObject();
            so.addProperty("activation_from", LatentStatsAccumulator.binLower(b
                    * LatentStatsAccumulator.BINS_PER_SAMPLE_BIN));
            so.addProperty("activation_to", LatentStatsAccumulator.binLower((b + 1)
                    * LatentStatsAccumulator.BINS_PER_SAMPLE_BIN));
            double[] q = s.quantileRange(b);
            so.addProperty("quantile_from", q[0]);
            so.addProperty("quantile_to", q[1]);
            so.add("contexts", contexts(s.samples().get(b)));
            samples.add(so);
        }
        o.add("quantile_samples", samples);
        if (logit != null) {
            o.add("logits_positive", logitJson(logit.positiveIds(), logit.positiveValues()));
            o.add("logits_negative", logitJson(logit.negativeIds(), logit.negativeValues()));
        }
        JsonObject lr = new JsonObject();
        for (int c = 0; c < s.labelNames().size(); c++) {
            lr.addProperty(s.labelNames().get(c), s.labelR()[c]);
        }
        o.add("label_r", lr);
        return o;
    }

    private JsonArray logitJson(int[] ids, double[] values) {
        JsonArray a = new JsonArray();
        for (int i = 0; i < ids.length; i++) {
            JsonObject t = new JsonObject();
            t.addProperty("id", ids[i]);
            t.addProperty("token", tokenText.apply(ids[i]));
            t.addProperty("effect", values[i]);
            a.add(t);
        }
        return a;
    }

    private JsonArray contexts(List<LatentContext> cs) {
        JsonArray a = new JsonArray();
        for (LatentContext c : cs) {
            JsonObject o = new JsonObject();
            o.addProperty("doc", c.doc());
            o.addProperty("position", c.position());
            o.addProperty("activation", c.activation());
            o.addProperty("offset", c.offset());
            JsonArray toks = new JsonArray();
            JsonArray acts = new JsonArray();
            String[] text = pieces(c.tokens());
            for (int i = 0; i < c.tokens().length; i++) {
                toks.add(text[i]);
                acts.add(c.activations()[i]);
            }
            o.add("tokens", toks);
            o.add("token_ids", GSON.toJsonTree(c.tokens()));
            o.add("activations", acts);
            a.add(o);
        }
        return a;
    }

    private static final String CSS = "body{font:14px system-ui,sans-serif;margin:1.5em;max-width:70em}"
            + "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}.stats td{padding:0 1em 0 0}"
            + ".ctx{font-family:ui-monospace,monospace;white-space:pre-wrap;margin:2px 0;padding:2px 4px;"
            + "border-left:3px solid #ddd}.ctx .tok{border-radius:2px}.ctx .max{outline:1px solid #c30}"
            + ".act{color:#666;display:inline-block;min-width:5em}table.logits td{padding:0 .8em 0 0;"
            + "font-family:ui-monospace,monospace}#hover{position:fixed;top:4px;right:8px;background:#fff;"
            + "border:1px solid #ccc;padding:2px 6px;font-size:12px}.cols{display:flex;gap:3em}";

    private String page(LatentSummary s, JsonObject data, LogitEffects logit) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Latent ")
                .append(s.latent()).append("</title><style>").append(CSS).append("</style></head><body>");
        h.append("<div id=\"hover\">hover a token</div>");
        h.append("<p><a href=\"index.html\">all latents</a> · ").append(esc(title)).append("</p>");
        h.append("<h1>Latent ").append(s.latent()).append("</h1>");
        h.append(String.format(Locale.ROOT, "<table class=\"stats\"><tr><td>density</td><td>%.4g (%d of %d tokens; "
                + "log10 %.2f)</td></tr><tr><td>max activation</td><td>%.4g</td></tr><tr><td>mean when fired</td>"
                + "<td>%.4g (sd %.3g)</td></tr></table>", s.density(), s.fired(), s.tokens(),
                s.fired() > 0 ? Math.log10(s.density()) : Double.NEGATIVE_INFINITY, s.max(), s.meanWhenFired(),
                s.sdWhenFired()));
        h.append("<h2>Activation histogram (positive activations, log10 bins)</h2>").append(histogram(s));
        h.append("<h2>Top activations</h2><div id=\"top\">");
        for (LatentContext c : s.top()) {
            context(h, c, s.max());
        }
        h.append("</div>");
        h.append("<h2>Samples by activation range</h2><div id=\"samples\">");
        for (int b = s.samples().size() - 1; b >= 0; b--) {
            List<LatentContext> cs = s.samples().get(b);
            if (cs.isEmpty()) {
                continue;
            }
            double[] q = s.quantileRange(b);
            h.append(String.format(Locale.ROOT, "<h3>%.3g – %.3g (quantiles %.0f%% – %.0f%% of firing tokens)</h3>",
                    LatentStatsAccumulator.binLower(b * LatentStatsAccumulator.BINS_PER_SAMPLE_BIN),
                    LatentStatsAccumulator.binLower((b + 1) * LatentStatsAccumulator.BINS_PER_SAMPLE_BIN),
                    100 * q[0], 100 * q[1]));
            for (LatentContext c : cs) {
                context(h, c, s.max());
            }
        }
        h.append("</div>");
        if (logit != null) {
            h.append("<h2>Logit effects (W_dec · W_U)</h2><div class=\"cols\" id=\"logits\">");
            logitTable(h, "positive", logit.positiveIds(), logit.positiveValues());
            logitTable(h, "negative", logit.negativeIds(), logit.negativeValues());
            h.append("</div>");
        }
        if (!s.labelNames().isEmpty()) {
            h.append("<h2>Label correlations (Pearson r over all tokens with the label)</h2>"
                    + "<table class=\"logits\" id=\"labels\">");
            for (int c = 0; c < s.labelNames().size(); c++) {
                h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.3f</td></tr>",
                        esc(s.labelNames().get(c)), s.labelR()[c]));
            }
            h.append("</table>");
        }
        h.append("<script type=\"application/json\" id=\"data\">").append(INLINE.toJson(data)).append("</script>");
        h.append("<script>(function(){var box=document.getElementById('hover');"
                + "var data=JSON.parse(document.getElementById('data').textContent);"
                + "document.querySelectorAll('.tok').forEach(function(t){t.addEventListener('mouseenter',function(){"
                + "box.textContent='activation '+t.getAttribute('data-a');});});"
                + "document.title='Latent '+data.latent+' ('+data.top_contexts.length+' top contexts)';"
                + "document.body.setAttribute('data-rendered','yes');})();</script>");
        h.append("</body></html>\n");
        return h.toString();
    }

    private void logitTable(StringBuilder h, String name, int[] ids, double[] values) {
        h.append("<table class=\"logits\"><tr><th colspan=\"2\">").append(name).append("</th></tr>");
        for (int i = 0; i < ids.length; i++) {
            h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%+.3f</td></tr>", esc(visible(tokenText.apply(
                    ids[i]))), values[i]));
        }
        h.append("</table>");
    }

    private void context(StringBuilder h, LatentContext c, float max) {
        h.append(String.format(Locale.ROOT, "<div class=\"ctx\"><span class=\"act\">%.3g</span>", c.activation()));
        String[] text = pieces(c.tokens());
        for (int i = 0; i < c.tokens().length; i++) {
            float a = c.activations()[i];
            double alpha = max > 0 ? Math.max(0, Math.min(1, a / max)) : 0;
            h.append(String.format(Locale.ROOT, "<span class=\"tok%s\" data-a=\"%.4g\" title=\"%.4g\" "
                    + "style=\"background:rgba(255,120,0,%.3f)\">%s</span>", i == c.offset() ? " max" : "", a, a,
                    alpha, esc(visible(text[i]))));
        }
        h.append("</div>");
    }

    private static String histogram(LatentSummary s) {
        long[] hist = s.histogram();
        int lo = -1;
        int hi = -1;
        long max = 0;
        for (int b = 0; b < hist.length; b++) {
            if (hist[b] > 0) {
                lo = lo < 0 ? b : lo;
                hi = b;
                max = Math.max(max, hist[b]);
            }
        }
        if (lo < 0) {
            return "<p>never fired</p>";
        }
        int w = 600;
        int ht = 160;
        int n = hi - lo + 1;
        double bw = (double) w / n;
        StringBuilder svg = new StringBuilder(String.format(Locale.ROOT, "<svg id=\"histogram\" "
                + "xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">", w, ht + 20,
                w, ht + 20));
        for (int b = lo; b <= hi; b++) {
            double bh = (double) hist[b] / max * ht;
            svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                    + "fill=\"#e67e22\"><title>%.3g – %.3g: %d</title></rect>", (b - lo) * bw, ht - bh,
                    Math.max(1, bw - 1), bh, LatentStatsAccumulator.binLower(b), LatentStatsAccumulator.binLower(b + 1),
                    hist[b]));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"%d\" font-size=\"11\">%.3g</text>"
                + "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%.3g</text></svg>", ht + 15,
                LatentStatsAccumulator.binLower(lo), w, ht + 15, LatentStatsAccumulator.binLower(hi + 1)));
        return svg.toString();
    }

    private String index(List<LatentSummary> summaries, Map<Integer, LogitEffects> logits) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>SAE feature dashboards"
                + "</title><style>").append(CSS).append("table#latents td,table#latents th{padding:1px 8px;"
                + "text-align:left}</style></head><body><h1>SAE feature dashboards</h1><p>").append(esc(title))
                .append("</p><table id=\"latents\"><tr><th>latent</th><th>density</th><th>max</th>"
                        + "<th>top context</th><th>top logits</th></tr>");
        for (LatentSummary s : summaries) {
            String ctx = "";
            if (!s.top().isEmpty()) {
                LatentContext c = s.top().get(0);
                StringBuilder sb = new StringBuilder();
                String[] text = pieces(c.tokens());
                for (int i = 0; i < c.tokens().length; i++) {
                    String t = esc(visible(text[i]));
                    sb.append(i == c.offset() ? "<b>" + t + "</b>" : t);
                }
                ctx = sb.toString();
            }
            String lg = "";
            LogitEffects le = logits.get(s.latent());
            if (le != null) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < Math.min(3, le.positiveIds().length); i++) {
                    sb.append(i > 0 ? " " : "").append(esc(visible(tokenText.apply(le.positiveIds()[i]))));
                }
                lg = sb.toString();
            }
            h.append(String.format(Locale.ROOT, "<tr><td><a href=\"latent-%d.html\">%d</a></td><td>%.3g</td>"
                    + "<td>%.3g</td><td class=\"ctx\">%s</td><td>%s</td></tr>", s.latent(), s.latent(), s.density(),
                    s.max(), ctx, lg));
        }
        h.append("</table></body></html>\n");
        return h.toString();
    }

    /** Newlines and tabs shown as symbols so that a context stays on one line. */
    private static String visible(String t) {
        return t.replace("\n", "↵").replace("\t", "→");
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
