package org.mechinterp.examples.cli;

import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.mechinterp.sae.io.SaeLensFormat;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.model.SaeMetadata;
import org.mechinterp.sae.store.StoreBatches;
import org.mechinterp.sae.store.StoreManifest;
import org.mechinterp.sae.store.StoreReader;
import org.mechinterp.sae.train.SaeConfig;
import org.mechinterp.sae.train.SaeTrainer;
import org.mechinterp.sae.train.TrainingRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code interp sae train}: trains an SAE on one hook of an activation store (or, with {@code --target-hook}, a
 * transcoder from {@code --hook} to the target hook of the same tokens) and saves it in the SAELens layout.
 * Checkpoints go to {@code OUT/checkpoints}; running the same command again resumes from the latest one.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a sparse autoencoder on an activation store; save it in the SAELens layout "
                + "(cfg.json + sae_weights.safetensors) in --out.",
                "Checkpoints (weights, Adam state, stream position) are written to OUT/checkpoints; the same command "
                        + "resumes an interrupted run exactly.",
                "Rows left out of training: each prompt's first token (BOS) when the store records positions, and "
                        + "rows whose norm exceeds 10x the median norm (outliers such as attention-sink tokens)."},
        footer = {"", "Examples:", "  interp capture --corpus stories.txt --hooks blocks.2.hook_resid_post --out store",
                "  interp sae train --store store --arch topk --d-sae 512 --k 16 --steps 2000 --out sae",
                "  interp sae train --store store --arch matryoshka --d-sae 512 --group-sizes 32,96,384 --k 16 "
                        + "--out msae",
                "  interp capture --corpus stories.txt --hooks blocks.2.ln2.hook_normalized,blocks.2.hook_mlp_out "
                        + "--out pairs",
                "  interp sae train --store pairs --hook blocks.2.ln2.hook_normalized "
                        + "--target-hook blocks.2.hook_mlp_out --skip --arch topk --d-sae 512 --k 16 --out tc"})
final class SaeTrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--store", paramLabel = "STORE", required = true, description = "Activation store folder.")
    Path store;

    @Option(names = "--hook", paramLabel = "NAME",
            description = "Hook to train on, a transcoder's input (default: the store's only hook).")
    String hook;

    @Option(names = "--target-hook", paramLabel = "NAME",
            description = "Train a transcoder that predicts this hook (e.g. blocks.L.hook_mlp_out) from --hook "
                    + "(e.g. blocks.L.ln2.hook_normalized); both must be in the store.")
    String targetHook;

    @Option(names = "--skip", description = "Transcoder with a linear skip connection W_skip (SAELens SkipTranscoder).")
    boolean skip;

    @Option(names = "--arch", paramLabel = "relu|topk|batchtopk|matryoshka|jumprelu", required = true,
            description = "SAE architecture.")
    String arch;

    @Option(names = "--group-sizes", paramLabel = "N,N,...",
            description = "Matryoshka group sizes, summing to --d-sae (e.g. 64,192,768): the nested prefixes whose "
                    + "reconstruction losses are summed.")
    String groupSizes;

    @Option(names = "--d-sae", paramLabel = "N", required = true, description = "Number of latents.")
    int dSae;

    @Option(names = "--k", paramLabel = "K", description = "Active latents per token (topk, batchtopk, matryoshka; required).")
    Integer k;

    @Option(names = "--l1", paramLabel = "X",
            description = "Sparsity coefficient: L1 for relu (default 5), L0 for jumprelu (default 1).")
    Double l1;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "1000", description = "Training steps (default 1000).")
    int steps;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "4096", description = "Tokens per step (default 4096).")
    int batch;

    @Option(names = "--lr", paramLabel = "X",
            description = "Learning rate (default 2e-4/sqrt(n/2^14) for topk/batchtopk, 3e-4 otherwise).")
    Double lr;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed (init and shuffle).")
    long seed;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output folder.")
    Path out;

    @Option(names = "--checkpoint-every", paramLabel = "N", defaultValue = "500",
            description = "Steps between checkpoints (default 500).")
    int checkpointEvery;


    @Option(names = "--json", description = "Print one JSON object summarising the run.")
    boolean json;

    @Mixin
    VerboseOption verbose;

    @Mixin
    QuietOption quiet;

    @Override
    public Integer call() throws Exception {
        SaeCommand.requireStore(spec, store);
        Architecture a;
        try {
            a = Architecture.parse(arch);
        } catch (IllegalArgumentException e) {
            throw new ModelCommand.InputError(spec.commandLine(), e.getMessage());
        }
        requireConsistent(a);
        String h = SaeCommand.resolveHook(spec, store, hook);
        String target = targetHook == null ? null : SaeCommand.resolveHook(spec, store, targetHook);
        if (h.equals(target)) {
            throw new ModelCommand.InputError(spec.commandLine(), "--target-hook must differ from --hook (" + h + ")");
        }
        StoreManifest manifest;
        try (StoreReader r = StoreReader.open(store, false)) {
            manifest = r.manifest();
        }
        requireUsable(manifest);
        SaeConfig cfg;
        int dOut = 0;
        if (target != null) {
            try (StoreReader r = StoreReader.open(store, false)) {
                dOut = r.dim(target);
            }
        }
        try (StoreBatches data = StoreBatches.builder().setStore(store).setHook(h).optTargetHook(target)
                .optShuffle(seed, (int) Math.min(1 << 18, Math.max(batch, manifest.totalRows())))
                .optDropBos(SaeCommand.hasPositions(store)).optMaxNormMultiple(10).build()) {
            SaeConfig.Builder b = SaeConfig.builder().setArchitecture(a).setDims(data.dim() - dOut, dSae)
                    .setSteps(steps).optTranscoder(dOut, skip).optOutputHook(target == null ? "" : target)
                    .optBatchSize(batch).optSeed(seed)
                    .optMetadata(new SaeMetadata(manifest.model() != null ? manifest.model().path() : "", h,
                            manifest.context(), true));
            if (k != null) {
                b.optK(k);
            }
            if (groupSizes != null) {
                try {
                    b.optGroupSizes(ModelCommand.splitList(groupSizes).stream().mapToInt(Integer::parseInt)
                            .toArray());
                } catch (NumberFormatException e) {
                    throw new ModelCommand.InputError(spec.commandLine(), "--group-sizes must be comma-separated "
                            + "integers, got '" + groupSizes + "'");
                }
            }
            if (l1 != null) {
                if (a == Architecture.JUMPRELU) {
                    b.optL0Coefficient(l1);
                } else {
                    b.optL1Coefficient(l1);
                }
            }
            if (lr != null) {
                b.optLearningRate(lr);
            }
            try {
                cfg = b.build();
            } catch (IllegalArgumentException e) {
                throw new ModelCommand.InputError(spec.commandLine(), e.getMessage());
            }
            TrainingRun.StepStats[] last = new TrainingRun.StepStats[1];
            Sae sae;
            try {
                sae = SaeTrainer.builder().setConfig(cfg).optCheckpointDir(out.resolve("checkpoints"))
                        .optCheckpointEvery(checkpointEvery).optProgress(quiet.progress(spec))
                        .optListener(s -> last[0] = s).build().train(data);
            } catch (IllegalArgumentException e) { // the checkpoint in --out was made with other settings or data
                throw new ModelCommand.InputError(spec.commandLine(), e.getMessage());
            }
            SaeLensFormat.save(sae, out);
            report(sae, last[0]);
        }
        return 0;
    }

    /** Refuses options that do not fit the architecture (k, group sizes, skip without a target hook). */
    private void requireConsistent(Architecture a) {
        if ((a == Architecture.MATRYOSHKA) != (groupSizes != null)) {
            throw new ModelCommand.InputError(spec.commandLine(), a == Architecture.MATRYOSHKA
                    ? "--arch matryoshka needs --group-sizes (e.g. 64,192,768 summing to --d-sae)"
                    : "--group-sizes applies to --arch matryoshka only");
        }
        if (skip && targetHook == null) {
            throw new ModelCommand.InputError(spec.commandLine(), "--skip applies to transcoders: give --target-hook");
        }
        if (a.isTopKFamily() && k == null) {
            throw new ModelCommand.InputError(spec.commandLine(), "--arch " + a.cliName() + " needs --k");
        }
        if (!a.isTopKFamily() && k != null) {
            throw new ModelCommand.InputError(spec.commandLine(), "--k applies to topk, batchtopk and matryoshka only; --arch "
                    + a.cliName() + " sets its sparsity with --l1");
        }
    }

    /**
     * Refuses stores an SAE should not be trained on: an interrupted capture (its rows cover only the first prompts
     * of the corpus) and one with fewer rows than a batch (every step would repeat rows).
     */
    private void requireUsable(StoreManifest manifest) {
        if (!manifest.complete()) {
            throw new ModelCommand.InputError(spec.commandLine(), "store " + store + " is incomplete (its capture "
                    + "stopped after " + manifest.totalRows() + " rows): rerun the same 'interp capture' command, "
                    + "which resumes and completes it");
        }
        if (batch > manifest.totalRows()) {
            throw new ModelCommand.InputError(spec.commandLine(), "--batch " + batch + " exceeds the "
                    + manifest.totalRows() + " rows of store " + store + " (every step would repeat rows): use "
                    + "--batch " + manifest.totalRows() + " or less, or capture more tokens");
        }
    }

    private void report(Sae sae, TrainingRun.StepStats s) {
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("out", out.toAbsolutePath().toString());
            o.addProperty("architecture", arch.toLowerCase(Locale.ROOT));
            o.addProperty("hook", sae.metadata().hookName());
            o.addProperty("d_in", sae.dIn());
            if (sae.isTranscoder()) {
                o.addProperty("target_hook", sae.outputHook());
                o.addProperty("d_out", sae.dOut());
                o.addProperty("skip", sae.hasSkip());
            }
            o.addProperty("d_sae", sae.dSae());
            o.addProperty("steps", steps);
            if (s != null) {
                o.addProperty("loss", s.loss());
                o.addProperty("l0", s.l0());
                o.addProperty("fvu", s.fvu());
                o.addProperty("dead_fraction", s.deadFraction());
            }
            w.println(JsonOutput.toJson(o));
        } else {
            w.printf(Locale.ROOT, "trained %s %s (d_in=%d, d_sae=%d) on %s for %d steps%s; saved to %s%n",
                    arch.toLowerCase(Locale.ROOT), sae.isTranscoder() ? (sae.hasSkip() ? "skip transcoder"
                            : "transcoder") : "SAE", sae.dIn(), sae.dSae(),
                    sae.isTranscoder() ? sae.metadata().hookName() + " -> " + sae.outputHook()
                            : sae.metadata().hookName(), steps,
                    s == null ? " (resumed: already complete)" : String.format(Locale.ROOT,
                            ": loss %.4g, L0 %.1f, FVU %.3f, dead %.1f%%", s.loss(), s.l0(), s.fvu(),
                            100 * s.deadFraction()), out.toAbsolutePath());
        }
        w.flush();
    }
}
