package org.mechinterp.examples.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.models.EmbeddedModel;
import org.mechinterp.sae.store.ActivationCapture;
import org.mechinterp.sae.store.StoreManifest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code interp capture}: runs the model over a corpus and writes activations at hook points to an activation
 * store (sharded safetensors + manifest.json), resuming an interrupted capture into the same folder.
 */
@Command(name = "capture", mixinStandardHelpOptions = true,
        description = {"Capture activations at hook points over a corpus into an activation store (a folder of "
                + "safetensors shards and manifest.json) for SAE training.",
                "Corpus: .txt (one prompt per line) or .jsonl ({\"text\": ...} or {\"tokens\": [...]}, optional "
                        + "\"labels\": {name: [value per token]}). Re-running into an incomplete store resumes it."},
        footer = {"", "Examples:",
                "  interp capture --corpus stories.txt --hooks blocks.2.hook_resid_post --out store",
                "  interp capture --model /models/Qwen3-0.6B --corpus c.jsonl --context 128 --max-tokens 1000000 \\",
                "      --hooks blocks.10.hook_resid_post,blocks.12.hook_resid_post --out qwen-store"})
final class CaptureCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Hugging Face model folder. Default: the bundled stories260K model.")
    Path modelDir;

    @Option(names = "--corpus", paramLabel = "FILE", required = true,
            description = "Prompts: .txt (one per line) or .jsonl (text or tokens, optional labels).")
    Path corpus;

    @Option(names = "--hooks", paramLabel = "NAME[,NAME...]", required = true,
            description = "Hook point names, comma-separated (per-token hooks such as blocks.L.hook_resid_post).")
    String hooks;

    @Option(names = "--out", paramLabel = "STORE", required = true,
            description = "Store folder: created, or resumed when it holds an incomplete capture.")
    Path out;

    @Option(names = "--max-tokens", paramLabel = "N", description = "Stop after N rows in total (default: all).")
    Long maxTokens;

    @Option(names = "--context", paramLabel = "N", description = "Keep the first N tokens of each prompt.")
    Integer context;

    @Option(names = "--prompts-per-pass", paramLabel = "N",
            description = "Prompts per forward pass (default ${DEFAULT-VALUE}).")
    int promptsPerPass = ActivationCapture.DEFAULT_PROMPTS_PER_PASS;

    @Option(names = "--shard-rows", paramLabel = "N", description = "Rows per shard (default: about 256 MiB).")
    Integer shardRows;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Mixin
    VerboseOption verbose;

    @Mixin
    QuietOption quiet;

    @Mixin
    DTypeOption dtype;

    @Override
    public Integer call() throws Exception {
        List<String> names = ModelCommand.splitList(hooks);
        if (names.isEmpty()) {
            throw usage("--hooks names no hook point");
        }
        if (maxTokens != null && maxTokens < 1) {
            throw usage("--max-tokens must be ≥ 1, got " + maxTokens);
        }
        if (context != null && context < 1) {
            throw usage("--context must be ≥ 1, got " + context);
        }
        if (shardRows != null && shardRows < 1) {
            throw usage("--shard-rows must be ≥ 1, got " + shardRows);
        }
        if (promptsPerPass < 1) {
            throw usage("--prompts-per-pass must be ≥ 1, got " + promptsPerPass);
        }
        if (!Files.isRegularFile(corpus)) {
            throw usage("corpus file " + corpus + " does not exist");
        }
        Path dir = modelDir();
        boolean hasTokenizer = Files.isRegularFile(dir.resolve("tokenizer.json"));
        boolean resumed = Files.isRegularFile(out.resolve(StoreManifest.FILE_NAME));
        StoreManifest m;
        try (Tokenizer tokenizer = hasTokenizer ? Tokenizer.load(dir) : null;
                HookedTransformer model = dtype.load(dir)) {
            ActivationCapture capture;
            try {
                ActivationCapture.Builder b = ActivationCapture.builder().setModel(model).optTokenizer(tokenizer)
                        .optModelPath(dir).setCorpus(corpus).setHooks(names).setOut(out)
                        .optPromptsPerPass(promptsPerPass).optProgress(quiet.progress(spec));
                if (maxTokens != null) {
                    b.optMaxTokens(maxTokens);
                }
                if (context != null) {
                    b.optContext(context);
                }
                if (shardRows != null) {
                    b.optShardRows(shardRows);
                }
                capture = b.build();
                m = capture.run();
            } catch (IllegalArgumentException e) {
                // unknown hooks, malformed corpus lines, a foreign --out folder, other settings on resume
                throw usage(e.getMessage());
            }
        }
        report(spec.commandLine().getOut(), json, m, out, resumed);
        return 0;
    }

    private Path modelDir() {
        if (modelDir == null) {
            return EmbeddedModel.path();
        }
        if (!Files.isDirectory(modelDir)) {
            throw usage("model directory " + modelDir + " does not exist");
        }
        return modelDir;
    }

    private ParameterException usage(String message) {
        return new ModelCommand.InputError(spec.commandLine(), message);
    }

    /** The one-line summary, or the JSON object {rows, shards, hooks, d, out, ...}. */
    static void report(PrintWriter w, boolean json, StoreManifest m, Path out, boolean resumed) {
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("rows", m.totalRows());
            o.addProperty("shards", m.shards().size());
            JsonArray hs = new JsonArray();
            JsonObject d = new JsonObject();
            for (StoreManifest.Hook h : m.hooks()) {
                hs.add(h.name());
                d.addProperty(h.name(), h.d());
            }
            o.add("hooks", hs);
            o.add("d", d);
            o.addProperty("prompts", m.promptsCompleted());
            o.addProperty("labels", m.labelNames().size());
            o.addProperty("complete", m.complete());
            o.addProperty("resumed", resumed);
            o.addProperty("out", out.toAbsolutePath().toString());
            w.println(JsonOutput.toJson(o));
        } else {
            StringBuilder hs = new StringBuilder();
            for (StoreManifest.Hook h : m.hooks()) {
                hs.append(hs.length() == 0 ? "" : ", ").append(h.name()).append(" (d=").append(h.d()).append(')');
            }
            w.printf("%s %d rows from %d prompts at %s into %d shards in %s%n", resumed ? "resumed:" : "captured",
                    m.totalRows(), m.promptsCompleted(), hs, m.shards().size(), out.toAbsolutePath());
        }
        w.flush();
    }
}
