package org.mechinterp.examples.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.mechinterp.core.generate.GenerationOptions;
import org.mechinterp.core.generate.GenerationResult;
import org.mechinterp.core.generate.Generator;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code interp generate}: a continuation of the prompt, greedy or sampled, with the key/value cache. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue a prompt: greedy by default, or sampled with --temperature, --top-k, --top-p and "
                + "--seed; stops at the model's eos token unless --stop says otherwise.",
        footer = {"", "Examples:", "  interp generate --prompt \"Once upon a time\" --max-new-tokens 32",
                "  interp generate --tokens 1,403,407 --max-new-tokens 20 --temperature 0.8 --top-p 0.9 --seed 7 "
                        + "--json"})
final class GenerateCommand extends ModelCommand {
    @Option(names = "--max-new-tokens", paramLabel = "N", required = true,
            description = "Most tokens to generate (fewer when a stop token comes first).")
    int maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0",
            description = "Sampling temperature; 0 is greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0",
            description = "Sample among the K most likely tokens only; 0 is no limit (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1",
            description = "Sample from the smallest set of tokens whose probability reaches P; 1 is no limit "
                    + "(default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "Random seed for sampling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--stop", paramLabel = "ID[,ID...]",
            description = "Token ids that end the generation, or 'none'. Default: the model's eos_token_id.")
    String stop;

    @Override
    public Integer call() throws Exception {
        GenerationOptions options = options();
        Path dir = resolveModelDir();
        try (Tokenizer tokenizer = openTokenizer(dir); HookedTransformer model = loadModel(dir)) {
            int[] ids = tokens(tokenizer, model);
            GenerationResult result;
            try {
                result = new Generator(model).generate(ids, options);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());          // stop ids outside the vocabulary, too many learned positions
            }
            if (json) {
                printJson(dir, result, tokenizer);
            } else {
                printText(result, tokenizer);
            }
        }
        return 0;
    }

    private GenerationOptions options() {
        GenerationOptions.Builder b = GenerationOptions.builder().setMaxNewTokens(maxNewTokens)
                .optTemperature(temperature).optTopK(topK).optTopP(topP).optSeed(seed);
        if (stop != null) {
            b.optStopTokens(stopIds(stop));
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage().replace("max new tokens", "--max-new-tokens")
                    .replace("temperature", "--temperature").replace("top-k", "--top-k").replace("top-p", "--top-p"));
        }
    }

    private int[] stopIds(String list) {
        if (list.strip().equals("none")) {
            return new int[0];
        }
        java.util.List<String> parts = splitList(list);
        if (parts.isEmpty()) {
            throw usage("--stop has no ids (use --stop none to disable stopping)");
        }
        int[] ids = new int[parts.size()];
        for (int i = 0; i < ids.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts.get(i));
            } catch (NumberFormatException e) {
                throw usage("invalid token id '" + parts.get(i) + "' in --stop " + list
                        + " (expected comma-separated integers, or none)");
            }
        }
        return ids;
    }

    private void printJson(Path dir, GenerationResult result, Tokenizer tokenizer) {
        JsonObject o = new JsonObject();
        o.addProperty("model", dir.toString());
        o.add("tokens", array(result.tokens(0)));
        o.add("new_tokens", array(result.newTokens(0)));
        o.addProperty("text", tokenizer == null ? null : tokenizer.decode(result.tokens(0), true));
        o.addProperty("new_text", tokenizer == null ? null : tokenizer.decode(result.newTokens(0), true));
        o.addProperty("finish_reason", result.finishReason(0).name().toLowerCase(java.util.Locale.ROOT));
        PrintWriter out = out();
        out.println(JsonOutput.toJson(o));
        out.flush();
    }

    private void printText(GenerationResult result, Tokenizer tokenizer) {
        PrintWriter out = out();
        if (tokenizer != null) {
            out.println(tokenizer.decode(result.tokens(0), true));
        } else {
            StringBuilder s = new StringBuilder();
            for (int id : result.tokens(0)) {
                s.append(s.length() == 0 ? "" : ",").append(id);
            }
            out.println(s);
        }
        out.flush();
    }

    private static JsonArray array(int[] ids) {
        JsonArray a = new JsonArray();
        for (int id : ids) {
            a.add(id);
        }
        return a;
    }
}
