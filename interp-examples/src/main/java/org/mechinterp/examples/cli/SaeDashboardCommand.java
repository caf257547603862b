package org.mechinterp.examples.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.progress.Progress;
import org.mechinterp.models.EmbeddedModel;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.sae.dashboard.DashboardWriter;
import org.mechinterp.sae.dashboard.LatentStatsAccumulator;
import org.mechinterp.sae.dashboard.LatentStatsCapture;
import org.mechinterp.sae.dashboard.LatentSummary;
import org.mechinterp.sae.dashboard.LatentSummaryJson;
import org.mechinterp.sae.dashboard.LogitEffects;
import org.mechinterp.sae.io.SparsifyFormat;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.store.Corpus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code interp sae dashboard}: streams a corpus through a model and an SAE ({@link LatentStatsCapture}) and writes
 * a self-contained HTML page and a JSON file per latent plus an index ({@link DashboardWriter}).
 */
@Command(name = "dashboard", mixinStandardHelpOptions = true,
        description = {"Feature dashboards: stream a corpus through the model and the SAE and write, per latent, a "
                + "self-contained HTML page (density histogram, top activating contexts with per-token highlighting, "
                + "samples per activation range, logit effects W_dec·W_U, label correlations) and its data as JSON, "
                + "plus index.html. Memory does not grow with the corpus."},
        footer = {"", "Examples:", "  interp sae dashboard --sae sae --model /models/stories --corpus stories.txt "
                + "--latents 0-99 --out dash",
                "  interp sae dashboard --sae sae --model /models/stories --stats stats.json --out dash   "
                + "(statistics from interp spark stats)"})
final class SaeDashboardCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--sae", paramLabel = "DIR", required = true, description = "SAE folder (SAELens or sparsify).")
    Path saeDir;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Hugging Face model folder the SAE was trained on. Default: the bundled stories260K model.")
    Path model;

    @Option(names = "--corpus", paramLabel = "FILE",
            description = ".txt (one prompt per line) or .jsonl (\"text\" or \"tokens\", optional \"labels\").")
    Path corpus;

    @Option(names = "--stats", paramLabel = "FILE",
            description = "Render from statistics computed elsewhere instead of a corpus: the JSON of "
                    + "'interp spark stats' (or a dashboard.json). --top, --samples, --window, --seed are then "
                    + "those the statistics were computed with.")
    Path stats;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output folder.")
    Path out;

    @Option(names = "--hook", paramLabel = "NAME", description = "Hook (default: the SAE's hook_name).")
    String hook;

    @Option(names = "--latents", paramLabel = "LIST", defaultValue = "0-99",
            description = "Latents, e.g. 0-99 or 3,17,40-49 (default: ${DEFAULT-VALUE}, capped at the SAE's width).")
    String latents;

    @Option(names = "--top", paramLabel = "K", defaultValue = "20", description = "Top contexts per latent (default 20).")
    int top;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "5",
            description = "Sampled contexts per activation range (default 5).")
    int samples;

    @Option(names = "--window", paramLabel = "B,A", defaultValue = "10,4",
            description = "Tokens shown before and after the firing token (default 10,4).")
    String window;

    @Option(names = "--context", paramLabel = "N", defaultValue = "0",
            description = "Tokens kept per prompt (default 0: all).")
    int context;

    @Option(names = "--max-prompts", paramLabel = "N", defaultValue = "0", description = "Prompts read (default 0: all).")
    long maxPrompts;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Sampling seed (default 0).")
    long seed;

    @Option(names = "--json", description = "Print one JSON object summarising what was written.")
    boolean json;

    @Mixin
    VerboseOption verbose;

    @Override
    public Integer call() throws Exception {
        validate();
        Sae sae = SparsifyFormat.loadAny(saeDir);
        int[] chosen = parseLatents(latents, sae.dSae());
        String h = hook != null ? hook : sae.metadata().hookName();
        if (h == null || h.isEmpty()) {
            throw new ModelCommand.InputError(spec.commandLine(), "the SAE names no hook: give --hook");
        }
        return stats != null ? fromStats(sae, chosen, h) : fromCorpus(sae, chosen, h);
    }

    private void validate() {
        if (!Files.isDirectory(saeDir)) {
            throw new ModelCommand.InputError(spec.commandLine(), "SAE folder " + saeDir + " does not exist");
        }
        if (model == null) {
            model = EmbeddedModel.path();   // as every other command without --model
        } else if (!Files.isDirectory(model)) {
            throw new ModelCommand.InputError(spec.commandLine(), "model directory " + model + " does not exist");
        }
        if ((corpus == null) == (stats == null)) {
            throw new ModelCommand.InputError(spec.commandLine(), "give either --corpus or --stats");
        }
        if (corpus != null && !Files.isRegularFile(corpus)) {
            throw new ModelCommand.InputError(spec.commandLine(), "corpus file " + corpus + " does not exist");
        }
        if (stats != null && !Files.isRegularFile(stats)) {
            throw new ModelCommand.InputError(spec.commandLine(), "statistics file " + stats + " does not exist");
        }
        if (top < 1 || samples < 0 || context < 0 || maxPrompts < 0) {
            throw new ModelCommand.InputError(spec.commandLine(), "need --top >= 1, --samples >= 0, --context >= 0");
        }
    }

    /** Streams the corpus through the model and the SAE, then writes the pages. */
    private int fromCorpus(Sae sae, int[] chosen, String h) throws Exception {
        int[] win = parseWindow();
        try (Tokenizer tok = tokenizer();
                HookedTransformer m = HookedTransformer.load(model)) {
            List<String> labels;
            try {
                labels = Corpus.open(corpus, tok, m.config().vocabSize(), context).labelNames();
                m.hooks().requireValid(h);
            } catch (IllegalArgumentException e) {
                throw new ModelCommand.InputError(spec.commandLine(), e.getMessage());
            }
            LatentStatsAccumulator acc = new LatentStatsAccumulator(chosen, top, win[0], win[1], samples, seed,
                    labels);
            try (Progress progress = Progress.start("dashboard", 0, "tokens", Progress.Settings.of(!json))) {
                LatentStatsCapture.run(m, tok, sae, h, corpus, context, maxPrompts, acc, progress::stepTo);
            } catch (IllegalArgumentException e) {
                throw new ModelCommand.InputError(spec.commandLine(), e.getMessage());
            }
            List<LatentSummary> summaries = new ArrayList<>();
            for (int i = 0; i < chosen.length; i++) {
                summaries.add(acc.summary(i));
            }
            String title = "SAE " + saeDir + " at " + h + ", corpus " + corpus.getFileName() + " (" + acc.documents()
                    + " prompts, " + acc.tokens() + " tokens)";
            boolean logits = writePages(m, tok, sae, h, chosen, summaries, title);
            JsonObject o = summary(h, chosen);
            o.addProperty("prompts", acc.documents());
            o.addProperty("tokens", acc.tokens());
            o.addProperty("logit_effects", logits);
            report(o, String.format(Locale.ROOT, "wrote %d latent pages to %s (index.html); %d prompts, %d tokens",
                    chosen.length, out, acc.documents(), acc.tokens()));
        }
        return 0;
    }

    /** Renders pages from a statistics file: the listed latents that it holds, with logit effects from the model. */
    private int fromStats(Sae sae, int[] chosen, String h) throws Exception {
        List<LatentSummary> all;
        try {
            all = LatentSummaryJson.read(stats);
        } catch (java.io.IOException e) {
            throw new ModelCommand.InputError(spec.commandLine(), e.getMessage());
        }
        Map<Integer, LatentSummary> byLatent = new LinkedHashMap<>();
        all.forEach(s -> byLatent.put(s.latent(), s));
        List<LatentSummary> summaries = new ArrayList<>();
        for (int l : chosen) {
            if (byLatent.containsKey(l)) {
                summaries.add(byLatent.get(l));
            }
        }
        if (summaries.isEmpty()) {
            throw new ModelCommand.InputError(spec.commandLine(), stats + " holds none of the latents asked for");
        }
        int[] shown = summaries.stream().mapToInt(LatentSummary::latent).toArray();
        long tokens = summaries.get(0).tokens();
        try (Tokenizer tok = tokenizer();
                HookedTransformer m = HookedTransformer.load(model)) {
            String title = "SAE " + saeDir + " at " + h + ", statistics " + stats.getFileName() + " (" + tokens
                    + " tokens)";
            writePages(m, tok, sae, h, shown, summaries, title);
        }
        JsonObject o = summary(h, shown);
        o.addProperty("stats", stats.toAbsolutePath().toString());
        o.addProperty("tokens", tokens);
        report(o, String.format(Locale.ROOT, "wrote %d latent pages to %s (index.html) from %s; %d tokens",
                shown.length, out, stats, tokens));
        return 0;
    }

    private Tokenizer tokenizer() throws java.io.IOException {
        return Files.isRegularFile(model.resolve("tokenizer.json")) ? Tokenizer.load(model) : null;
    }

    /**
     * Writes the pages with the latents' logit effects when the hook allows them (a note on stderr otherwise);
     * returns whether they were included.
     */
    private boolean writePages(HookedTransformer m, Tokenizer tok, Sae sae, String h, int[] shown,
            List<LatentSummary> summaries, String title) throws java.io.IOException {
        Map<Integer, LogitEffects> logits = Map.of();
        boolean included = true;
        try {
            logits = LogitEffects.forLatents(m, sae, h, shown, 10);
        } catch (IllegalArgumentException | IllegalStateException e) {
            included = false;
            if (!json) {
                spec.commandLine().getErr().println("note: " + e.getMessage());
            }
        }
        new DashboardWriter(id -> tok != null ? tok.tokenText(id) : "#" + id,
                tok != null ? ids -> tok.decode(ids, false) : null, title).write(out, summaries, logits);
        return included;
    }

    /** The --json fields both modes share: out, hook, latents. */
    private JsonObject summary(String h, int[] shown) {
        JsonObject o = new JsonObject();
        o.addProperty("out", out.toAbsolutePath().toString());
        o.addProperty("hook", h);
        JsonArray ls = new JsonArray();
        for (int l : shown) {
            ls.add(l);
        }
        o.add("latents", ls);
        return o;
    }

    private void report(JsonObject json, String line) {
        PrintWriter w = spec.commandLine().getOut();
        w.println(this.json ? JsonOutput.toJson(json) : line);
        w.flush();
    }

    private int[] parseWindow() {
        String[] p = window.split(",");
        try {
            int b = Integer.parseInt(p[0].trim());
            int a = p.length > 1 ? Integer.parseInt(p[1].trim()) : 0;
            if (p.length > 2 || b < 0 || a < 0) {
                throw new NumberFormatException();
            }
            return new int[] {b, a};
        } catch (NumberFormatException e) {
            throw new ModelCommand.InputError(spec.commandLine(), "--window must be BEFORE,AFTER (two numbers >= 0), "
                    + "got '" + window + "'");
        }
    }

    /** "0-99", "3,17,40-49": the listed latents below {@code width}, in order, without repeats. */
    private int[] parseLatents(String list, int width) {
        Set<Integer> out = new LinkedHashSet<>();
        for (String part : list.split(",")) {
            String s = part.trim();
            try {
                int dash = s.indexOf('-', 1);
                int lo = Integer.parseInt(dash < 0 ? s : s.substring(0, dash));
                int hi = dash < 0 ? lo : Integer.parseInt(s.substring(dash + 1));
                if (lo < 0 || hi < lo) {
                    throw new NumberFormatException();
                }
                if (lo >= width) {
                    throw new ModelCommand.InputError(spec.commandLine(), "latent " + lo + " is outside the SAE's 0.."
                            + (width - 1));
                }
                for (int i = lo; i <= Math.min(hi, width - 1); i++) {
                    out.add(i);
                }
            } catch (NumberFormatException e) {
                throw new ModelCommand.InputError(spec.commandLine(), "--latents must be like 0-99 or 3,17,40-49; got '"
                        + part + "'");
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
