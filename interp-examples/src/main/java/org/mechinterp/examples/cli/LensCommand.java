package org.mechinterp.examples.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code interp lens}: the logit lens of a prompt, per layer and position. */
@Command(name = "lens", mixinStandardHelpOptions = true,
        description = "Logit lens: read the residual stream before every layer (and after the last) through the final "
                + "norm and unembedding; top tokens per layer and position, the rank and probability of a target per "
                + "layer, and a layer x position heat map.",
        footer = {"", "Examples:", "  interp lens --prompt \"Once upon a time\"",
                "  interp lens --tokens 1,403,407 --position 1 --target 261 --json --html lens.html"})
final class LensCommand extends ModelCommand {
    @Option(names = "--position", paramLabel = "P",
            description = "Position whose per-layer top-k and target are reported (default: the last).")
    Integer position;

    @Option(names = "--target", paramLabel = "ID",
            description = "Token whose rank and probability are tracked per layer, and the heat-map token at every "
                    + "position (default: the model's final top-1, per position).")
    Integer target;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "3",
            description = "Top tokens per layer and position (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--html", paramLabel = "FILE", description = "Write a self-contained HTML heat map.")
    Path html;

    @Override
    public Integer call() throws Exception {
        if (topK < 1) {
            throw usage("--top-k must be at least 1, got " + topK);
        }
        if (html != null && (Files.isDirectory(html) || html.toAbsolutePath().getParent() == null
                || !Files.isDirectory(html.toAbsolutePath().getParent()))) {
            throw usage("--html " + html + " must be a file in an existing folder");
        }
        Path dir = resolveModelDir();
        try (Tokenizer tokenizer = openTokenizer(dir); HookedTransformer model = loadModel(dir)) {
            int[] ids = tokens(tokenizer, model);
            int p = position == null ? ids.length - 1 : position;
            if (p < 0 || p >= ids.length) {
                throw usage("--position " + p + " is outside the prompt (0.." + (ids.length - 1) + ")");
            }
            if (target != null && (target < 0 || target >= model.config().vocabSize())) {
                throw usage("--target " + target + " is outside the vocabulary (0.." + (model.config().vocabSize() - 1)
                        + ")");
            }
            LensTable table = LensTable.compute(model, ids, topK, target);
            if (html != null) {
                LensHtml.write(html, table, ids, tokenizer, "interp lens: " + dir.getFileName());
            }
            if (json) {
                printJson(dir, ids, p, table, tokenizer);
            } else {
                printText(dir, ids, p, table, tokenizer);
            }
        }
        return 0;
    }

    private void printJson(Path dir, int[] ids, int p, LensTable table, Tokenizer tokenizer) {
        JsonObject o = new JsonObject();
        o.addProperty("model", dir.toString());
        JsonArray tokens = new JsonArray();
        JsonArray texts = new JsonArray();
        for (int id : ids) {
            tokens.add(id);
            texts.add(tokenizer == null ? null : tokenizer.tokenText(id));
        }
        o.add("tokens", tokens);
        o.add("token_texts", texts);
        o.addProperty("position", p);
        o.addProperty("target", table.heatToken()[p]);
        o.add("layers", GSON.toJsonTree(table.layers()));
        JsonArray topAll = new JsonArray();
        JsonArray rank = new JsonArray();
        JsonArray prob = new JsonArray();
        for (int l = 0; l < table.layers().size(); l++) {
            JsonArray perPosition = new JsonArray();
            for (int q = 0; q < ids.length; q++) {
                perPosition.add(candidates(table.top()[l][q], tokenizer));
            }
            topAll.add(perPosition);
            rank.add(table.heatRank()[l][p]);
            prob.add(table.heat()[l][p]);
        }
        o.add("top_k", topAll);
        o.add("target_rank", rank);
        o.add("target_prob", prob);
        JsonObject heat = new JsonObject();
        heat.add("tokens", GSON.toJsonTree(table.heatToken()));
        heat.add("prob", GSON.toJsonTree(table.heat()));
        o.add("heatmap", heat);
        PrintWriter out = out();
        out.println(GSON.toJson(o));
        out.flush();
    }

    private static JsonArray candidates(RunCommand.Candidate[] top, Tokenizer tokenizer) {
        JsonArray a = new JsonArray();
        for (RunCommand.Candidate c : top) {
            JsonObject e = new JsonObject();
            e.addProperty("id", c.id());
            e.addProperty("text", tokenizer == null ? null : tokenizer.tokenText(c.id()));
            e.addProperty("logit", (double) c.logit());
            e.addProperty("prob", c.prob());
            a.add(e);
        }
        return a;
    }

    private void printText(Path dir, int[] ids, int p, LensTable table, Tokenizer tokenizer) {
        PrintWriter out = out();
        out.println("model:    " + dir);
        out.println("position: " + p + " (token " + ids[p] + ":" + quote(tokenizer == null ? null
                : tokenizer.tokenText(ids[p])) + ")");
        int t = table.heatToken()[p];
        out.println("target:   " + t + ":" + quote(tokenizer == null ? null : tokenizer.tokenText(t))
                + (target == null ? " (final top-1)" : ""));
        out.println();
        out.printf("%-11s %6s %10s  %s%n", "layer", "rank", "prob", "top tokens");
        for (int l = 0; l < table.layers().size(); l++) {
            StringBuilder top = new StringBuilder();
            for (RunCommand.Candidate c : table.top()[l][p]) {
                top.append(String.format("%s %.3f  ", quote(tokenizer == null ? null : tokenizer.tokenText(c.id())),
                        c.prob()));
            }
            out.printf("%-11s %6d %10.6f  %s%n", table.layers().get(l), table.heatRank()[l][p], table.heat()[l][p],
                    top.toString().strip());
        }
        out.flush();
    }
}
