package org.mechinterp.examples.cli;

import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.progress.Progress;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.models.EmbeddedModel;
import org.mechinterp.jacobian.AttributionRequest;
import org.mechinterp.jacobian.Attributor;
import org.mechinterp.jacobian.Method;
import org.mechinterp.jacobian.faithfulness.Faithfulness;
import org.mechinterp.jacobian.faithfulness.FaithfulnessReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code interp faithfulness}: AOPC (zero the top 5/10/20% tokens' embeddings, Δ log-prob of the original top-1,
 * trapezoid) and Spearman agreement with leave-one-out KL, averaged over a file of prompts, for each method and a
 * random baseline. JSON fields: {@code model}, {@code prompts}, {@code fractions}, {@code methods} (keyed by method
 * id: {@code aopc}, {@code aopc_stderr}, {@code loo_spearman}, {@code loo_spearman_stderr},
 * {@code loo_spearman_prompts}).
 */
@Command(name = "faithfulness", mixinStandardHelpOptions = true,
        description = "AOPC and leave-one-out Spearman of attribution methods over a file of prompts.",
        footer = {"", "Prompts file: one prompt per line; blank lines and lines starting with # are skipped;",
                "a line 'tokens: 1,2,3' gives token ids instead of text.", "", "Example:",
                "  interp faithfulness --prompts prompts.txt --json"})
final class FaithfulnessCommand implements Callable<Integer> {
    static final String DEFAULT_METHODS = "semantic,temperature,fisher,inputxgrad,ig,attention";

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", description = "Model folder. Default: the bundled stories260K.")
    Path modelDir;

    @Option(names = "--prompts", paramLabel = "FILE", required = true, description = "Prompts, one per line.")
    Path promptsFile;

    @Option(names = "--methods", paramLabel = "M[,M...]", defaultValue = DEFAULT_METHODS,
            description = "Methods to evaluate (default: ${DEFAULT-VALUE}; also loo). random is always added.")
    String methods;

    @Option(names = "--fisher-rank", paramLabel = "K", defaultValue = "1", description = "Fisher rank (default 1).")
    int fisherRank;

    @Option(names = "--ig-steps", paramLabel = "N", defaultValue = "20", description = "IG steps (default 20).")
    int igSteps;

    @Option(names = "--exclude-first", description = "Give the first token (BOS) no score and never zero it.")
    boolean excludeFirst;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1234", description = "Seed of the random baseline.")
    long seed;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "16",
            description = "Prompts per left-padded batch of the scopes (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Mixin
    VerboseOption verbose;

    @Mixin
    QuietOption quiet;

    @Override
    public Integer call() throws Exception {
        List<Method> list = new ArrayList<>();
        for (String id : ModelCommand.splitList(methods)) {
            Method m;
            try {
                m = Method.fromId(id);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            if (!list.contains(m)) {
                list.add(m);
            }
        }
        if (list.isEmpty()) {
            throw usage("--methods names no method");
        }
        if (fisherRank < 1 || igSteps < 1 || batch < 1) {
            throw usage("--fisher-rank, --ig-steps and --batch must be at least 1");
        }
        if (!Files.isRegularFile(promptsFile)) {
            throw usage("prompts file " + promptsFile + " does not exist or is not a file");
        }
        Path dir = modelDir == null ? EmbeddedModel.path() : modelDir;
        if (!Files.isDirectory(dir)) {
            throw usage("model directory " + dir + " does not exist");
        }
        List<String> lines = Files.readAllLines(promptsFile, StandardCharsets.UTF_8);
        boolean hasTokenizer = Files.isRegularFile(dir.resolve("tokenizer.json"));
        try (Tokenizer tokenizer = hasTokenizer ? Tokenizer.load(dir) : null;
                HookedTransformer model = HookedTransformer.load(dir)) {
            if (fisherRank > model.config().dModel()) {
                throw usage("--fisher-rank " + fisherRank + " exceeds the hidden size " + model.config().dModel());
            }
            List<AttributionRequest> prompts = parse(lines, tokenizer, model);
            Attributor attributor = Attributor.builder().setModel(model).optFisherRank(fisherRank).optIgSteps(igSteps)
                    .optSeed(seed).optMaxRows(Math.max(64, batch)).build();
            FaithfulnessReport report;
            try (Progress bar = Progress.start("faithfulness", prompts.size(), "prompts", quiet.progress(spec))) {
                report = new Faithfulness(attributor).evaluate(prompts, list, batch, bar::stepTo);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                JsonObject o = new JsonObject();
                o.addProperty("model", dir.toString());
                report.toJson().entrySet().forEach(e -> o.add(e.getKey(), e.getValue()));
                JsonObject better = new JsonObject();   // which way each metric improves
                better.addProperty("aopc", "lower");
                better.addProperty("loo_spearman", "higher");
                o.add("better", better);
                out.println(JsonOutput.toJson(o));
            } else {
                out.printf("model: %s  prompts: %d  fractions: 5%%, 10%%, 20%%%n", dir, report.prompts());
                out.printf("%-12s %10s %10s %14s %10s%n", "method", "AOPC ↓", "± s.e.", "LOO Spearman ↑", "± s.e.");
                for (FaithfulnessReport.MethodSummary s : report.methods()) {
                    out.printf("%-12s %10.4f %10.4f %14.4f %10.4f%n", s.method().id(), s.aopc(), s.aopcStderr(),
                            s.looSpearman(), s.looSpearmanStderr());
                }
                out.println("AOPC: mean change of log p(top-1) when the top-ranked 5/10/20% of tokens are zeroed; "
                        + "lower (more negative) = more faithful.");
                out.println("LOO Spearman: rank agreement with single-token leave-one-out KL; higher = better. "
                        + "Compare each method with 'random'.");
            }
            out.flush();
        }
        return 0;
    }

    private List<AttributionRequest> parse(List<String> lines, Tokenizer tokenizer, HookedTransformer model) {
        List<AttributionRequest> prompts = new ArrayList<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int[] ids;
            String where = promptsFile + " line " + (n + 1);
            if (line.startsWith("tokens:")) {
                List<String> parts = ModelCommand.splitList(line.substring("tokens:".length()));
                ids = new int[parts.size()];
                for (int i = 0; i < ids.length; i++) {
                    try {
                        ids[i] = Integer.parseInt(parts.get(i));
                    } catch (NumberFormatException e) {
                        throw usage(where + ": invalid token id '" + parts.get(i) + "'");
                    }
                }
            } else {
                if (tokenizer == null) {
                    throw usage(where + ": text prompt but the model folder has no tokenizer.json (use 'tokens:')");
                }
                ids = tokenizer.encode(line);
            }
            if (ids.length < (excludeFirst ? 3 : 2)) {
                throw usage(where + ": a prompt needs at least " + (excludeFirst ? 3 : 2) + " tokens");
            }
            try {
                TokenBatch.of(ids).requireInVocabulary(model.config().vocabSize());
            } catch (IllegalArgumentException e) {
                throw usage(where + ": " + e.getMessage());
            }
            AttributionRequest.Builder b = AttributionRequest.builder().setTokens(ids);
            if (excludeFirst) {
                b.optExclude(0);
            }
            prompts.add(b.build());
        }
        if (prompts.isEmpty()) {
            throw usage("prompts file " + promptsFile + " has no prompts");
        }
        return prompts;
    }

    private ModelCommand.InputError usage(String message) {
        return new ModelCommand.InputError(spec.commandLine(), message);
    }
}
