package org.mechinterp.examples.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import org.mechinterp.core.model.Generation;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code interp run}: the prompt's tokens and the top-k next tokens at its last position. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the model on a prompt and show the top-k next tokens at the last position.",
        footer = {"", "Examples:", "  interp run --prompt \"Once upon a time\"",
                "  interp run --tokens 1,403,407 --top-k 10 --json"})
final class RunCommand extends ModelCommand {
    @Option(names = "--top-k", paramLabel = "K", defaultValue = "5",
            description = "Number of next tokens to show (default: ${DEFAULT-VALUE}).")
    int topK;

    /** One candidate next token. */
    record Candidate(int id, float logit, double prob) {}

    @Override
    public Integer call() throws Exception {
        if (topK < 1) {
            throw usage("--top-k must be at least 1, got " + topK);
        }
        Path dir = resolveModelDir();
        try (Tokenizer tokenizer = openTokenizer(dir); HookedTransformer model = loadModel(dir)) {
            int[] ids = tokens(tokenizer, model);
            float[] logits = Generation.lastLogits(model, ids);
            Candidate[] top = topK(logits, topK);
            String[] texts = texts(tokenizer, ids);
            if (json) {
                printJson(dir, ids, texts, top, tokenizer);
            } else {
                printTable(dir, ids, texts, top, tokenizer);
            }
        }
        return 0;
    }

    /**
     * The {@code k} largest logits, by logit descending (lower id first on ties), with their softmax probabilities
     * over the whole vocabulary computed in double precision.
     */
    static Candidate[] topK(float[] logits, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        double logSumExp = max + Math.log(sum);
        Integer[] order = new Integer[logits.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -logits[i]).thenComparingInt(i -> i));
        Candidate[] top = new Candidate[Math.min(k, logits.length)];
        for (int r = 0; r < top.length; r++) {
            int id = order[r];
            top[r] = new Candidate(id, logits[id], Math.exp(logits[id] - logSumExp));
        }
        return top;
    }

    private void printJson(Path dir, int[] ids, String[] texts, Candidate[] top, Tokenizer tokenizer) {
        JsonObject o = new JsonObject();
        o.addProperty("model", dir.toString());
        JsonArray tokens = new JsonArray();
        JsonArray tokenTexts = new JsonArray();
        for (int i = 0; i < ids.length; i++) {
            tokens.add(ids[i]);
            tokenTexts.add(texts[i]);
        }
        o.add("tokens", tokens);
        o.add("token_texts", tokenTexts);
        JsonArray candidates = new JsonArray();
        for (Candidate c : top) {
            JsonObject e = new JsonObject();
            e.addProperty("id", c.id());
            e.addProperty("text", tokenizer == null ? null : tokenizer.tokenText(c.id()));
            e.addProperty("logit", (double) c.logit());
            e.addProperty("prob", c.prob());
            candidates.add(e);
        }
        o.add("top_k", candidates);
        PrintWriter out = out();
        out.println(JsonOutput.toJson(o));
        out.flush();
    }

    private void printTable(Path dir, int[] ids, String[] texts, Candidate[] top, Tokenizer tokenizer) {
        PrintWriter out = out();
        out.println("model:  " + dir);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            text.append(i == 0 ? "" : " ").append(ids[i]).append(':').append(quote(texts[i]));
        }
        out.println("tokens: " + ids.length + "  " + text);
        if (tokenizer != null) {
            out.println("text:   " + quote(tokenizer.decode(ids)));
        }
        out.println();
        out.printf("top %d next tokens after position %d:%n", top.length, ids.length - 1);
        out.printf("%4s  %6s  %-16s %10s %10s%n", "rank", "id", "text", "logit", "prob");
        for (int r = 0; r < top.length; r++) {
            Candidate c = top[r];
            String t = quote(tokenizer == null ? null : tokenizer.tokenText(c.id()));
            out.printf("%4d  %6d  %-16s %10.4f %10.6f%n", r + 1, c.id(), t, c.logit(), c.prob());
        }
        out.flush();
    }
}
