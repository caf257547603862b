package org.mechinterp.examples.physics.study;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.mechinterp.core.io.AtomicFile;

/**
 * The README's block of physics-study figures, rendered from a {@code results.json} (schema version 1), so that
 * the README quotes a run instead of hand-copied numbers. The block sits between {@link #BEGIN} and {@link #END};
 * {@code main(results.json, README.md)} rewrites it in place ({@code tools/physics-readme.sh} runs the main job
 * first), and {@code ReadmeFiguresTest} checks that the README holds exactly the rendering of the committed run
 * ({@code docs/physics-study/results.json}).
 */
public final class ReadmeFigures {
    /** First line of the generated block. */
    public static final String BEGIN = "<!-- physics-figures:begin (generated from docs/physics-study/results.json "
            + "by tools/physics-readme.sh; do not edit) -->";
    /** Last line of the generated block. */
    public static final String END = "<!-- physics-figures:end -->";

    private ReadmeFigures() {}

    /**
     * Rewrites the block of {@code readme} from {@code results}.
     *
     * @param args results.json, README.md
     * @throws IOException if results.json cannot be read or README.md cannot be read or rewritten
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: ReadmeFigures RESULTS.json README.md");
            System.exit(2);
        }
        JsonObject results = JsonParser.parseString(Files.readString(Path.of(args[0]))).getAsJsonObject();
        Path readme = Path.of(args[1]);
        AtomicFile.writeString(readme, replaceBlock(Files.readString(readme, StandardCharsets.UTF_8),
                render(results)));
    }

    /**
     * Replaces the generated block of a README.
     *
     * @param readme the whole README text
     * @param block the new Markdown between the markers, ending with a newline
     * @return {@code readme} with the text between its {@link #BEGIN} and {@link #END} lines replaced by
     *     {@code block}; the marker lines are kept
     * @throws IllegalArgumentException if the markers are missing or out of order
     */
    public static String replaceBlock(String readme, String block) {
        int b = readme.indexOf(BEGIN);
        int e = readme.indexOf(END);
        if (b < 0 || e < b) {
            throw new IllegalArgumentException("README has no physics-figures block (" + BEGIN + " ... " + END + ")");
        }
        return readme.substring(0, b) + BEGIN + "\n" + block + readme.substring(e);
    }

    /**
     * Reads the generated block of a README, e.g. to check it is up to date.
     *
     * @param readme the whole README text
     * @return the text between the {@link #BEGIN} line and the {@link #END} line
     * @throws IllegalArgumentException if the markers are missing or out of order
     */
    public static String block(String readme) {
        int b = readme.indexOf(BEGIN);
        int e = readme.indexOf(END);
        if (b < 0 || e < b) {
            throw new IllegalArgumentException("README has no physics-figures block");
        }
        return readme.substring(b + BEGIN.length() + 1, e);
    }

    /**
     * The block's Markdown for a results.json of the main job.
     *
     * @param r the parsed results.json; must have the current schema version and quantities E and E1
     * @return the Markdown of the block: forecast scaling law, SAE and probe figures, ending with a newline
     * @throws IllegalArgumentException if the schema version differs from {@link StudyResults#SCHEMA_VERSION}
     */
    public static String render(JsonObject r) {
        int version = r.has("schema_version") ? r.get("schema_version").getAsInt() : 0;
        if (version != StudyResults.SCHEMA_VERSION) {
            throw new IllegalArgumentException("results.json schema_version " + version + ", expected "
                    + StudyResults.SCHEMA_VERSION);
        }
        JsonObject s = r.getAsJsonObject("settings");
        JsonObject f = r.getAsJsonObject("forecast");
        JsonObject sae = r.getAsJsonObject("sae");
        JsonObject e = r.getAsJsonObject("quantities").getAsJsonObject("E");
        JsonObject e1 = r.getAsJsonObject("quantities").getAsJsonObject("E1");
        JsonArray ci = f.getAsJsonArray("exponent_ci95");
        JsonArray contexts = f.getAsJsonArray("contexts");
        int lastContext = contexts.get(contexts.size() - 1).getAsInt();
        JsonObject base = e.getAsJsonObject("baseline_best_heldout_abs_r");
        double saeR = e.get("sae_best_heldout_abs_r").getAsDouble();
        double bestBase = base.entrySet().stream().mapToDouble(x -> x.getValue().getAsDouble()).max().orElse(0);
        JsonObject tl = e.getAsJsonObject("trajectory_level");
        JsonObject tlBase = tl.getAsJsonObject("baseline_best_heldout_abs_r");
        int randomDirs = e.getAsJsonObject("families").getAsJsonObject("random_dirs").get("features").getAsInt();
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "Current numbers (`./interp physics --out physics-study`, %s, %d discovery "
                + "and %d held-out trajectories of %d steps, seed %d):", r.get("system").getAsString().replace("-", "–"),
                s.get("discovery_trajectories").getAsInt(), s.get("heldout_trajectories").getAsInt(),
                s.get("steps").getAsInt(), s.get("seed").getAsLong()));
        lines.add("");
        lines.add(String.format(Locale.ROOT, "- **Forecasting:** error falls with context as c^%s (95%% CI %s … %s); at "
                + "%d steps the decoded-mean RMSE is %s against %s for context parroting (quantisation floor %s, "
                + "rescaled units).", minus(2, f.get("exponent").getAsDouble()), minus(2, ci.get(0).getAsDouble()),
                minus(2, ci.get(1).getAsDouble()), lastContext, sig2(last(f, "model_rmse")),
                sig2(last(f, "parrot_rmse")), sig2(last(f, "floor_rmse"))));
        lines.add(String.format(Locale.ROOT, "- **SAE:** TopK at layer %d (%s), %,d latents, k = %d; held-out FVU %.3f.",
                sae.get("layer").getAsInt(), sae.get("layer_choice").getAsString(), sae.get("width").getAsInt(),
                sae.get("k").getAsInt(), sae.get("fvu").getAsDouble()));
        lines.add(String.format(Locale.ROOT, "- **Energy vs single latents:** a ridge probe from the whole residual "
                + "reaches held-out R² %.2f for total energy E (%.2f for E1). The best SAE latent, selected on "
                + "discovery trajectories, has held-out |r| %.2f per token; the baselines' best features: raw "
                + "dimensions %.2f, PCA %.2f, the best of %,d random directions %.2f, and the scrambled-sequence SAE "
                + "%.2f (%s).", e.get("probe_heldout_r2").getAsDouble(), e1.get("probe_heldout_r2").getAsDouble(),
                saeR, base.get("raw_dims").getAsDouble(), base.get("pca").getAsDouble(), randomDirs,
                base.get("random_dirs").getAsDouble(), base.get("scrambled_sae").getAsDouble(),
                saeR > bestBase ? "the SAE latent does best" : "a baseline does at least as well as the SAE"));
        lines.add(String.format(Locale.ROOT, "- **Trajectory level** (each feature averaged over a trajectory from step "
                + "%d, since E is conserved): SAE %.2f, raw dimensions %.2f, PCA %.2f, random directions %.2f.",
                tl.get("mean_from_step").getAsInt(), tl.get("sae_best_heldout_abs_r").getAsDouble(),
                tlBase.get("raw_dims").getAsDouble(), tlBase.get("pca").getAsDouble(),
                tlBase.get("random_dirs").getAsDouble()));
        StringBuilder sb = new StringBuilder();
        for (String l : lines) {
            sb.append(wrap(l, 118)).append('\n');
        }
        return sb.toString();
    }

    private static double last(JsonObject o, String key) {
        JsonArray a = o.getAsJsonArray(key);
        return a.get(a.size() - 1).getAsDouble();
    }

    /** {@code v} with {@code digits} decimals and a typographic minus. */
    private static String minus(int digits, double v) {
        return String.format(Locale.ROOT, "%." + digits + "f", v).replace('-', '−');
    }

    /** Two significant digits (0.0077, 0.034, 0.0003). */
    private static String sig2(double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(2)).stripTrailingZeros().toPlainString();
    }

    /** Markdown list items and paragraphs wrapped at {@code width}, list continuations indented by two. */
    static String wrap(String line, int width) {
        String indent = line.startsWith("- ") ? "  " : "";
        StringBuilder out = new StringBuilder();
        StringBuilder cur = new StringBuilder();
        for (String word : line.split(" ")) {
            if (cur.length() > 0 && cur.length() + 1 + word.length() > width) {
                out.append(cur).append('\n');
                cur.setLength(0);
                cur.append(indent);
            }
            if (cur.length() > 0 && !cur.toString().equals(indent)) {
                cur.append(' ');
            }
            cur.append(word);
        }
        return out.append(cur).toString();
    }
}
