package org.mechinterp.examples.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.mechinterp.sae.analysis.CorrelationHtml;
import org.mechinterp.sae.analysis.FamilyCorrelation;
import org.mechinterp.sae.analysis.LabelCorrelation;
import org.mechinterp.sae.analysis.LabeledRows;
import org.mechinterp.sae.io.SparsifyFormat;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.store.StoreReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code interp sae correlate}: SAE latents against the per-token labels of an activation store
 * ({@link LabelCorrelation}): top latents per label with r, p and BH q, the best raw dimension, PCA component and
 * random direction as baselines, and a ridge probe's held-out R².
 */
@Command(name = "correlate", mixinStandardHelpOptions = true,
        description = {"Correlate SAE latents with the per-token labels of an activation store (captured from a .jsonl "
                + "corpus with \"labels\"): discovery/held-out split by prompt, prompt-permutation null, "
                + "Benjamini-Hochberg q, baselines (raw dimensions, PCA, random directions), ridge-probe R²."},
        footer = {"", "Example:", "  interp sae correlate --sae sae-out --store store --labels E,E1 --row-label readout"})
final class SaeCorrelateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--sae", paramLabel = "DIR", required = true, description = "SAE folder (SAELens or sparsify).")
    Path saeDir;

    @Option(names = "--store", paramLabel = "STORE", required = true, description = "Activation store with labels.")
    Path store;

    @Option(names = "--hook", paramLabel = "NAME", description = "Hook (default: the SAE's hook_name).")
    String hook;

    @Option(names = "--labels", paramLabel = "A,B", split = ",",
            description = "Labels to correlate (default: every label column but --row-label).")
    List<String> labels;

    @Option(names = "--row-label", paramLabel = "NAME",
            description = "Use only rows where this label is non-zero (e.g. readout).")
    String rowLabel;

    @Option(names = "--scrambled-sae", paramLabel = "DIR", description = "An SAE trained on scrambled data, as a baseline.")
    Path scrambledDir;

    @Option(names = "--top", paramLabel = "N", defaultValue = "10", description = "Latents listed per label (default 10).")
    int top;

    @Option(names = "--permutations", paramLabel = "N", defaultValue = "200",
            description = "Permutations of the null (default: ${DEFAULT-VALUE}).")
    int permutations;

    @Option(names = "--heldout-fraction", paramLabel = "F", defaultValue = "0.33",
            description = "Share of prompts held out (default: ${DEFAULT-VALUE}).")
    double heldOutFraction;

    @Option(names = "--max-rows", paramLabel = "N", defaultValue = "20000",
            description = "Most labeled rows read, whole prompts (default: ${DEFAULT-VALUE}).")
    int maxRows;

    @Option(names = "--no-probe", description = "Skip the ridge probe (its cost grows as d³).")
    boolean noProbe;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "7", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Option(names = "--html", paramLabel = "FILE", description = "Also write a self-contained HTML page.")
    Path html;

    @Mixin
    VerboseOption verbose;

    @Override
    public Integer call() throws Exception {
        SaeCommand.requireStore(spec, store);
        if (!Files.isDirectory(saeDir)) {
            throw new ModelCommand.InputError(spec.commandLine(), "SAE folder " + saeDir + " does not exist");
        }
        if (scrambledDir != null && !Files.isDirectory(scrambledDir)) {
            throw new ModelCommand.InputError(spec.commandLine(), "scrambled SAE folder " + scrambledDir
                    + " does not exist");
        }
        if (top < 1 || permutations < 20) {
            throw new ModelCommand.InputError(spec.commandLine(), "need --top >= 1 and --permutations >= 20");
        }
        Sae sae = SparsifyFormat.loadAny(saeDir);
        Sae scrambled = scrambledDir != null ? SparsifyFormat.loadAny(scrambledDir) : null;
        String h = hook != null ? hook : sae.metadata().hookName();
        h = SaeCommand.resolveHook(spec, store, h == null || h.isEmpty() ? null : h);
        requireHeap(sae);
        PrintWriter err = spec.commandLine().getErr();
        LabeledRows rows;
        try (StoreReader reader = StoreReader.open(store)) {
            if (reader.dim(h) != sae.dIn()) {
                throw new ModelCommand.InputError(spec.commandLine(), "store hook " + h + " has width "
                        + reader.dim(h) + " but the SAE has d_in=" + sae.dIn());
            }
            rows = LabeledRows.read(reader, h, labels, rowLabel, heldOutFraction, maxRows, seed);
        } catch (IllegalArgumentException e) {
            throw new ModelCommand.InputError(spec.commandLine(), e.getMessage());
        }
        if (!json) {
            err.printf(Locale.ROOT, "correlating %d latents with %s on %d + %d rows (%d permutations)%n",
                    sae.dSae(), rows.labels(), rows.discovery().rows(), rows.heldOut().rows(), permutations);
            err.flush();
        }
        LabelCorrelation.Result r = LabelCorrelation.builder().optPermutations(permutations).optSeed(seed).optTop(top)
                .optProbe(!noProbe).build().analyse(sae, scrambled, rows);
        if (html != null) {
            CorrelationHtml.write(r, html);
        }
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            w.println(JsonOutput.toJson(r.toJson()));
        } else {
            printTable(w, r);
            if (html != null) {
                w.println("wrote " + html);
            }
        }
        w.flush();
        return 0;
    }

    /**
     * The feature families are dense double matrices over the rows: about rows·(2·d_sae + d_in + 32) doubles (SAE
     * latents, as many random directions, raw dimensions, PCA), plus float copies for the correlation GEMM. Refuse
     * up front, with the fix, when that would not fit the heap.
     */
    private void requireHeap(Sae sae) {
        double perRow = (2.0 * sae.dSae() + sae.dIn() + 32) * (8 + 4);
        double need = perRow * maxRows;
        double have = 0.6 * Runtime.getRuntime().maxMemory();
        if (need > have) {
            long rowsThatFit = (long) (have / perRow);
            throw new ModelCommand.InputError(spec.commandLine(), String.format(Locale.ROOT, "--max-rows %d with a "
                    + "%d-latent SAE needs about %.1f GiB of heap; use --max-rows %d or a larger heap "
                    + "(INTERP_JAVA_OPTS=-Xmx...)", maxRows, sae.dSae(), need / (1L << 30), rowsThatFit));
        }
    }

    private static void printTable(PrintWriter w, LabelCorrelation.Result r) {
        w.printf(Locale.ROOT, "%s: %d discovery rows (%d prompts), %d held-out rows (%d prompts)%n", r.hook(),
                r.discoveryRows(), r.discoveryPrompts(), r.heldOutRows(), r.heldOutPrompts());
        for (LabelCorrelation.LabelResult l : r.labels()) {
            w.println();
            w.print("label " + l.label());
            if (l.probe() != null) {
                w.printf(Locale.ROOT, "  (ridge probe held-out R² %.3f)", l.probe().heldOutR2());
            }
            w.println();
            w.printf(Locale.ROOT, "  %8s %8s %10s %10s %10s%n", "latent", "r", "p", "q(BH)", "heldout r");
            for (LabelCorrelation.TopLatent t : l.top()) {
                w.printf(Locale.ROOT, "  %8d %8.3f %10.2g %10.2g %10.3f%n", t.latent(), t.discoveryR(), t.p(), t.q(),
                        t.heldOutR());
            }
            w.printf(Locale.ROOT, "  %-14s %8s %8s %10s %12s%n", "family", "best", "r", "sel. p", "heldout |r|");
            for (Map.Entry<String, FamilyCorrelation> e : l.families().entrySet()) {
                FamilyCorrelation c = e.getValue();
                w.printf(Locale.ROOT, "  %-14s %8d %8.3f %10.3g %12.3f%n", e.getKey(), c.bestFeature(),
                        c.discoveryR(), c.selectionP(), c.heldOutAbsR());
            }
        }
    }
}
