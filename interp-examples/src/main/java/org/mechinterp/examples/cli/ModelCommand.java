package org.mechinterp.examples.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.models.EmbeddedModel;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Options shared by the commands that run a model on one prompt: model folder, prompt, JSON output. */
abstract class ModelCommand implements Callable<Integer> {
    static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Hugging Face model folder (config.json, *.safetensors, tokenizer.json). "
                    + "Default: the bundled stories260K model.")
    Path modelDir;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Prompt prompt;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Mixin
    VerboseOption verbose;

    @Mixin
    DTypeOption dtype;

    /** Exactly one of a text prompt or token ids. */
    static final class Prompt {
        @Option(names = "--prompt", paramLabel = "TEXT", required = true,
                description = "Text prompt, tokenized with the model folder's tokenizer.json (adds BOS as HF does).")
        String text;

        @Option(names = "--tokens", paramLabel = "ID[,ID...]", required = true,
                description = "Token ids, comma-separated, e.g. 1,403,407.")
        String ids;

        /** A prompt file: only {@code scopes} reads it (hidden elsewhere; other commands reject it). */
        @Option(names = "--prompts", paramLabel = "FILE", required = true, hidden = true,
                description = "Prompt file (scopes only): .txt one prompt a line, or .jsonl with text/tokens, "
                        + "position, target.")
        Path file;
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    ParameterException usage(String message) {
        return new InputError(spec.commandLine(), message);
    }

    /** A usage error found by the command itself (bad input rather than bad syntax): no "see --help" hint. */
    static final class InputError extends ParameterException {
        private static final long serialVersionUID = 1L;

        InputError(picocli.CommandLine commandLine, String message) {
            super(commandLine, message);
        }
    }

    /** The model folder: --model, checked to exist, or the extracted bundled model. */
    Path resolveModelDir() {
        if (modelDir == null) {
            return EmbeddedModel.path();
        }
        if (!Files.exists(modelDir)) {
            throw usage("model directory " + modelDir + " does not exist");
        }
        if (!Files.isDirectory(modelDir)) {
            throw usage("--model must be a folder (config.json + safetensors), but " + modelDir + " is a file");
        }
        return modelDir;
    }

    /** Loads the model folder with the chosen {@code --dtype}. */
    HookedTransformer loadModel(Path dir) throws IOException {
        return dtype.load(dir);
    }

    /** The tokenizer of the model folder, or null when it has none and the prompt is given as ids. */
    Tokenizer openTokenizer(Path dir) throws IOException {
        boolean present = Files.isRegularFile(dir.resolve("tokenizer.json"));
        if (prompt.file != null && !acceptsPromptFile()) {
            throw usage("--prompts is accepted only by scopes; give --prompt or --tokens");
        }
        if (prompt.text != null && !present) {
            throw usage("model folder " + dir + " has no tokenizer.json, so text prompts cannot be encoded: "
                    + "use --tokens");
        }
        return present ? Tokenizer.load(dir) : null;
    }

    /** Whether the command reads {@code --prompts FILE} (its own batch path); false unless overridden. */
    boolean acceptsPromptFile() {
        return false;
    }

    /** The prompt's token ids, checked against the model's vocabulary. */
    int[] tokens(Tokenizer tokenizer, HookedTransformer model) {
        if (prompt.file != null) {
            throw usage("--prompts needs the batch path of scopes; give --prompt or --tokens");
        }
        int[] ids;
        if (prompt.text != null) {
            if (prompt.text.isEmpty()) {
                throw usage("empty prompt: --prompt is an empty string");
            }
            ids = tokenizer.encode(prompt.text);
        } else {
            ids = parseIds(prompt.ids);
        }
        try {
            TokenBatch.of(ids).requireInVocabulary(model.config().vocabSize());
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        requireFitsPositions(model, ids.length, "the prompt has " + ids.length + " tokens");
        return ids;
    }

    /**
     * Checks a sequence length against the model's positions: beyond learned positions (GPT-2's n_positions) there
     * are no embeddings, so it is bad input (exit 2); beyond a rotary model's max_position_embeddings it runs but
     * outside what the model was trained on, so it is a warning.
     *
     * @param what the length described for the message, e.g. "the prompt has 1100 tokens"
     */
    void requireFitsPositions(HookedTransformer model, int length, String what) {
        var cfg = model.config();
        if (length <= cfg.maxPositions()) {
            return;
        }
        if (cfg.positions() == org.mechinterp.core.model.ModelConfig.Positions.LEARNED) {
            throw usage(what + " but the model has " + cfg.maxPositions() + " learned positions (n_positions): "
                    + "shorten it");
        }
        PrintWriter err = spec.commandLine().getErr();
        err.println("warning: " + what + ", more than the model's max_position_embeddings (" + cfg.maxPositions()
                + "); results past that length are outside what it was trained on");
        err.flush();
    }

    /** Comma-separated token ids (spaces allowed around them). */
    private int[] parseIds(String list) {
        String[] parts = list.split(",", -1);
        if (list.isBlank()) {
            throw usage("empty prompt: --tokens has no ids");
        }
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].strip();
            try {
                ids[i] = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw usage("invalid token id '" + p + "' in --tokens " + list
                        + " (expected comma-separated integers such as 1,403,407)");
            }
        }
        return ids;
    }

    /** Comma-separated names, stripped, without empty entries. */
    static java.util.List<String> splitList(String list) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String p : list.split(",")) {
            if (!p.isBlank()) {
                out.add(p.strip());
            }
        }
        return out;
    }

    /** Token texts for display, or nulls without a tokenizer. */
    static String[] texts(Tokenizer tokenizer, int[] ids) {
        String[] texts = new String[ids.length];
        for (int i = 0; i < ids.length; i++) {
            texts[i] = tokenizer == null ? null : tokenizer.tokenText(ids[i]);
        }
        return texts;
    }

    /** A token text quoted and escaped (newlines, tabs, quotes visible), or "?" when unknown. */
    static String quote(String text) {
        return text == null ? "?" : GSON.toJson(text);
    }
}
