package org.mechinterp.examples.cli;

import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.jacobian.AttributionRequest;
import org.mechinterp.jacobian.AttributionResult;
import org.mechinterp.jacobian.Attributor;
import org.mechinterp.jacobian.BatchAttributor;
import org.mechinterp.jacobian.FisherMode;
import org.mechinterp.jacobian.Method;
import org.mechinterp.jacobian.TokenTexts;
import org.mechinterp.jacobian.report.AttributionReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code interp scopes}: which input tokens drive the prediction at one position, by a Jacobian Scope (semantic,
 * temperature, fisher) or a gradient baseline (inputxgrad, ig). JSON fields: {@code model}, {@code scope},
 * {@code position}, {@code target} (null for temperature and fisher), {@code tokens}, {@code token_texts},
 * {@code scores} (one per token; 0 after the position and at excluded positions) and method details.
 */
@Command(name = "scopes", mixinStandardHelpOptions = true,
        description = "Token attribution with Jacobian Scopes: which input tokens drive the prediction at a position.",
        footer = {"", "Examples:", "  interp scopes --prompt \"Once upon a time\" --scope semantic",
                "  interp scopes --tokens 1,403,407 --scope fisher --fisher-rank 4 --json --html scopes.html",
                "  interp scopes --prompts prompts.txt --scope semantic --batch 8 --out scores.jsonl --html pages",
                "", "--prompts FILE (instead of --prompt/--tokens): .txt one prompt a line, or .jsonl objects with",
                "  text (or tokens), position, target. Needs --out FILE.jsonl: one JSON object per prompt (index,",
                "  line, prompt, model and the --json fields); rerunning resumes after the records already there.",
                "  --html is then a folder: one heatmap per prompt and index.html."})
final class ScopesCommand extends ModelCommand {
    @picocli.CommandLine.Mixin
    QuietOption quiet;

    /** The lines under a heatmap page's title: the model folder and the target token (text and id). */
    static List<String> pageContext(Path modelDir, Tokenizer tokenizer, AttributionResult result) {
        List<String> lines = new java.util.ArrayList<>();
        lines.add("model: " + modelDir.toAbsolutePath());
        Integer t = result.target();
        if (t != null) {
            String text = tokenizer != null ? "'" + tokenizer.decode(new int[] {t}) + "' " : "";
            lines.add("target: " + text + "(id " + t + ") at position " + result.position());
        } else {
            lines.add("target: none (" + result.method().id() + " has no target token)");
        }
        return lines;
    }

    static final List<Method> SCOPES = List.of(Method.SEMANTIC, Method.TEMPERATURE, Method.FISHER,
            Method.INPUT_X_GRADIENT, Method.INTEGRATED_GRADIENTS);

    @Option(names = "--scope", required = true, paramLabel = "NAME",
            description = "semantic, temperature, fisher, inputxgrad or ig.")
    String scope;

    @Option(names = "--position", paramLabel = "P",
            description = "Prediction position (0-based; negative counts from the end). Default: the last token.")
    Integer position;

    @Option(names = "--target", paramLabel = "ID",
            description = "Target token for semantic, inputxgrad and ig. Default: the top-1 prediction at P.")
    Integer target;

    @Option(names = "--fisher-rank", paramLabel = "K", defaultValue = "1",
            description = "Rank k of the matrix-free Fisher Scope (default: ${DEFAULT-VALUE}).")
    int fisherRank;

    @Option(names = "--fisher-exact", description = "Fisher Scope with the exact trace (all d eigenpairs).")
    boolean fisherExact;

    @Option(names = "--ig-steps", paramLabel = "N", defaultValue = "20",
            description = "Integrated-gradients steps (Gauss-Legendre; default: ${DEFAULT-VALUE}).")
    int igSteps;

    @Option(names = "--exclude", paramLabel = "P[,P...]",
            description = "Positions that get no score (e.g. 0 for BOS); they stay in the forward pass.")
    String exclude;

    @Option(names = "--html", paramLabel = "FILE",
            description = "Write a self-contained HTML heatmap (with --prompts: a folder of them plus index.html).")
    Path html;

    @Option(names = "--out", paramLabel = "FILE.jsonl",
            description = "With --prompts: the JSON-lines output, resumed when it exists.")
    Path outFile;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "8",
            description = "With --prompts: prompts per left-padded batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--png", paramLabel = "FILE", description = "Write the heatmap as PNG.")
    Path png;

    @Option(names = "--svg", paramLabel = "FILE", description = "Write the heatmap as SVG.")
    Path svg;

    @Override
    public Integer call() throws Exception {
        Method method = method();
        if (fisherExact && method != Method.FISHER) {
            throw usage("--fisher-exact applies only to --scope fisher");
        }
        if (target != null && !method.usesTarget()) {
            throw usage("--target applies to semantic, inputxgrad and ig; " + method.id() + " has no target");
        }
        if (fisherRank < 1) {
            throw usage("--fisher-rank must be at least 1, got " + fisherRank);
        }
        if (igSteps < 1 || igSteps > Attributor.MAX_IG_STEPS) {
            throw usage("--ig-steps must be in 1.." + Attributor.MAX_IG_STEPS + ", got " + igSteps
                    + " (each step is a forward and a backward pass; 20-100 suffice for Gauss-Legendre)");
        }
        if (prompt.file != null) {
            return callBatch(method);
        }
        if (outFile != null) {
            throw usage("--out applies with --prompts; a single prompt prints to stdout (--json)");
        }
        for (Path p : new Path[] {html, png, svg}) {
            checkOutput(p);
        }
        Path dir = resolveModelDir();
        try (Tokenizer tokenizer = openTokenizer(dir); HookedTransformer model = loadModel(dir)) {
            int[] ids = tokens(tokenizer, model);
            if (fisherRank > model.config().dModel()) {
                throw usage("--fisher-rank " + fisherRank + " exceeds the hidden size " + model.config().dModel());
            }
            AttributionRequest request = request(ids, model, tokenizer);
            Attributor attributor = attributor(model);
            AttributionResult result = attributor.attribute(method, request);
            if (html != null) {
                AttributionReport.writeHtml(html, List.of(result), "interp scopes: " + method.id(),
                        pageContext(dir, tokenizer, result));
            }
            if (png != null) {
                AttributionReport.writePng(png, List.of(result));
            }
            if (svg != null) {
                AttributionReport.writeSvg(svg, List.of(result));
            }
            if (json) {
                JsonObject o = new JsonObject();
                o.addProperty("model", dir.toString());
                result.toJson().entrySet().forEach(e -> o.add(e.getKey(), e.getValue()));
                out().println(JsonOutput.toJson(o));
                out().flush();
            } else {
                printTable(result, tokenizer);
            }
        }
        return 0;
    }

    private Attributor attributor(HookedTransformer model) {
        return Attributor.builder().setModel(model).optFisherRank(fisherRank)
                .optFisherMode(fisherExact ? FisherMode.EXACT : FisherMode.RANK_K).optIgSteps(igSteps)
                .optMaxRows(Math.max(64, batch)).build();
    }

    @Override
    boolean acceptsPromptFile() {
        return true;
    }

    /** {@code --prompts}: every prompt of the file in batches, into the resumable {@code --out}. */
    private Integer callBatch(Method method) throws Exception {
        if (outFile == null) {
            throw usage("--prompts needs --out FILE.jsonl (one JSON object per prompt)");
        }
        if (position != null || target != null || png != null || svg != null || json) {
            throw usage("with --prompts, give position and target per prompt in a .jsonl file; --png, --svg and "
                    + "--json apply to a single prompt (the output is --out, heatmaps --html DIR)");
        }
        if (batch < 1) {
            throw usage("--batch must be at least 1, got " + batch);
        }
        checkOutput(outFile);
        if (html != null && Files.exists(html) && !Files.isDirectory(html)) {
            throw usage("--html " + html + " is a file; with --prompts give a folder");
        }
        List<PromptFile.Entry> entries;
        int[] excluded;
        try {
            entries = PromptFile.read(prompt.file);
            excluded = exclude == null ? new int[0] : splitList(exclude).stream().mapToInt(Integer::parseInt)
                    .toArray();
        } catch (java.nio.file.NoSuchFileException e) {
            throw usage("prompt file " + prompt.file + " does not exist");
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        Path dir = resolveModelDir();
        try (Tokenizer tokenizer = openTokenizer(dir); HookedTransformer model = loadModel(dir)) {
            if (fisherRank > model.config().dModel()) {
                throw usage("--fisher-rank " + fisherRank + " exceeds the hidden size " + model.config().dModel());
            }
            BatchAttributor batches = new BatchAttributor(attributor(model), method, batch);
            ScopesBatch run = new ScopesBatch(dir, tokenizer, model, batches, excluded,
                    quiet.progress(spec));
            long[] counts;
            try {
                counts = run.run(entries, outFile, html);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            out().printf("scopes: %d prompts attributed, %d already in %s%n", counts[1], counts[0], outFile);
            out().flush();
        }
        return 0;
    }

    private Method method() {
        Method m;
        try {
            m = Method.fromId(scope);
        } catch (IllegalArgumentException e) {
            m = null;
        }
        if (m == null || !SCOPES.contains(m)) {
            throw usage("unknown --scope '" + scope + "'; expected semantic, temperature, fisher, inputxgrad or ig");
        }
        return m;
    }

    private AttributionRequest request(int[] ids, HookedTransformer model, Tokenizer tokenizer) {
        AttributionRequest.Builder b = AttributionRequest.builder().setTokens(ids);
        if (position != null) {
            if (position >= ids.length || position < -ids.length) {
                throw usage("--position " + position + " is outside the prompt of " + ids.length + " tokens (valid: 0.."
                        + (ids.length - 1) + " or -" + ids.length + "..-1)");
            }
            b.optPosition(position);
        }
        if (target != null) {
            int v = model.config().vocabSize();
            if (target < 0 || target >= v) {
                throw usage("--target " + target + " is outside the vocabulary [0, " + v + ")");
            }
            b.optTarget(target);
        }
        if (exclude != null) {
            for (String p : splitList(exclude)) {
                int e;
                try {
                    e = Integer.parseInt(p);
                } catch (NumberFormatException ex) {
                    throw usage("invalid position '" + p + "' in --exclude " + exclude);
                }
                if (e < 0 || e >= ids.length) {
                    throw usage("--exclude position " + e + " is outside the prompt of " + ids.length + " tokens");
                }
                b.optExclude(e);
            }
        }
        if (tokenizer != null) {
            b.optTokenTexts(TokenTexts.inContext(tokenizer, ids));
        }
        return b.build();
    }

    private void checkOutput(Path p) {
        if (p == null) {
            return;
        }
        Path parent = p.toAbsolutePath().getParent();
        if (Files.isDirectory(p)) {
            throw usage(p + " is a folder; give a file name");
        }
        if (parent == null || !Files.isDirectory(parent)) {
            throw usage("output folder " + parent + " does not exist");
        }
    }

    private void printTable(AttributionResult r, Tokenizer tokenizer) {
        PrintWriter out = out();
        out.printf("scope: %s  position: %d  target: %s%n", r.method().id(), r.position(),
                r.target() == null ? "-" : r.target() + (tokenizer == null ? "" : " " + quote(tokenizer.tokenText(
                        r.target()))));
        double max = 0;
        for (double s : r.scores()) {
            max = Math.max(max, s);
        }
        out.printf("%4s  %6s  %-16s %12s  %s%n", "pos", "id", "text", "score", "");
        for (int i = 0; i < r.tokens().length; i++) {
            String text = quote(r.tokenTexts() == null ? null : r.tokenTexts().get(i));
            int bar = max > 0 ? (int) Math.round(30 * r.score(i) / max) : 0;
            out.printf("%4d  %6d  %-16s %12.6g  %s%n", i, r.tokens()[i], text, r.score(i), "#".repeat(bar));
        }
        out.flush();
    }
}
