package org.mechinterp.examples.cli;

import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.sae.eval.DensityHistogram;
import org.mechinterp.sae.eval.EvalResult;
import org.mechinterp.sae.eval.SaeEvaluator;
import org.mechinterp.sae.eval.SpliceEvaluator;
import org.mechinterp.sae.io.PretrainedSaes;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.store.RowBlock;
import org.mechinterp.sae.store.StoreBatches;
import org.mechinterp.sae.store.StoreReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code interp sae eval}: reconstruction metrics of an SAE (any layout {@link PretrainedSaes} reads) over store
 * rows and, with {@code --model}, CE loss recovered and KL with x̂ spliced in at the SAE's hook, on prompts rebuilt
 * from the store's token ids (a captured store records prompt id, position and token of every row).
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluate an SAE on an activation store: L0, MSE, FVU, explained variance, cosine, shrinkage, "
                + "dead and dense fractions; with --model also CE loss recovered and KL(clean || spliced).",
                "The prompts for --model are rebuilt from the store's token ids (rows with prompt id and position)."})
final class SaeEvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--sae", paramLabel = "PATH", required = true,
            description = "SAE folder or file: SAELens (cfg.json + sae_weights.safetensors), sparsify (sae.safetensors), "
                    + "Gemma Scope (params.npz), Llama Scope (hyperparams.json + checkpoints/final.safetensors) or "
                    + "Qwen-Scope (layerN.sae.safetensors).")
    Path saeDir;

    @Option(names = "--store", paramLabel = "STORE", required = true, description = "Activation store folder.")
    Path store;

    @Option(names = "--model", paramLabel = "DIR", description = "Model folder for CE loss recovered and KL.")
    Path model;

    @Option(names = "--hook", paramLabel = "NAME", description = "Hook (default: the SAE's hook_name).")
    String hook;

    @Option(names = "--target-hook", paramLabel = "NAME",
            description = "A transcoder's output hook (default: its hook_name_out); CE/KL splice its prediction there.")
    String targetHook;

    @Option(names = "--rows", paramLabel = "N", defaultValue = "65536",
            description = "Store rows to evaluate, in store order, BOS rows excluded (default 65536, at most all).")
    long rows;

    @Option(names = "--prompts", paramLabel = "N", defaultValue = "16",
            description = "Prompts for the CE/KL test (default 16).")
    int prompts;

    @Option(names = "--histogram", paramLabel = "FILE.png", description = "Write the log10 feature-density histogram.")
    Path histogram;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Mixin
    VerboseOption verbose;

    @Override
    public Integer call() throws Exception {
        SaeCommand.requireStore(spec, store);
        if (!Files.exists(saeDir)) {
            throw new ModelCommand.InputError(spec.commandLine(), "SAE folder or file " + saeDir + " does not exist");
        }
        if (model != null && !Files.isDirectory(model)) {
            throw new ModelCommand.InputError(spec.commandLine(), "model directory " + model + " does not exist");
        }
        if (rows < 1 || prompts < 1) {
            throw new ModelCommand.InputError(spec.commandLine(), "--rows and --prompts must be >= 1");
        }
        Sae sae = PretrainedSaes.load(saeDir);
        String h = hook != null ? hook : sae.metadata().hookName();
        h = SaeCommand.resolveHook(spec, store, h.isEmpty() ? null : h);
        String target = targetHookOf(sae);
        long n;
        List<int[]> promptList = null;
        try (StoreReader reader = StoreReader.open(store, false)) {
            if (reader.dim(h) != sae.dIn()) {
                throw new ModelCommand.InputError(spec.commandLine(), "store hook " + h + " has width "
                        + reader.dim(h) + " but the SAE has d_in=" + sae.dIn());
            }
            if (target != null && reader.dim(target) != sae.dOut()) {
                throw new ModelCommand.InputError(spec.commandLine(), "store hook " + target + " has width "
                        + reader.dim(target) + " but the transcoder has d_out=" + sae.dOut());
            }
            // BOS rows are left out (as in training): one per prompt, so an epoch serves rows − prompts rows
            long usable = SaeCommand.hasPositions(store)
                    ? reader.rows() - reader.manifest().promptsCompleted() : reader.rows();
            if (usable < 1) {
                throw new ModelCommand.InputError(spec.commandLine(), "store " + store + " has no rows besides BOS");
            }
            n = Math.min(rows, usable);
            if (model != null) {
                int count = (int) Math.min(reader.rows(), 1 << 16);
                RowBlock block = reader.read(h, 0, count);
                promptList = SpliceEvaluator.promptsFromRows(block.promptIds(), block.positions(), block.tokenIds(),
                        block.rows(), prompts);
                if (promptList.isEmpty()) {
                    throw new ModelCommand.InputError(spec.commandLine(), "store " + store + " has no complete "
                            + "prompts with token ids (an imported store cannot be used with --model)");
                }
            }
        }
        EvalResult result;
        try (StoreBatches data = StoreBatches.builder().setStore(store).setHook(h).optTargetHook(target)
                .optDropBos(SaeCommand.hasPositions(store)).build()) {
            result = SaeEvaluator.evaluate(sae, data, n, 4096);
        }
        JsonObject o = result.toJson();
        o.addProperty("hook", h);
        if (target != null) {
            o.addProperty("target_hook", target);
        }
        o.addProperty("sae", saeDir.toAbsolutePath().toString());
        if (model != null) {
            splice(sae, h, target, promptList, o);
        }
        if (histogram != null) {
            DensityHistogram.writePng(result.density(), histogram, "SAE feature density (" + h + ")");
            o.addProperty("histogram", histogram.toAbsolutePath().toString());
        }
        print(o, result, h, target);
        return 0;
    }

    /** The transcoder's output hook in the store (from --target-hook or the transcoder), null for an SAE. */
    private String targetHookOf(Sae sae) throws java.io.IOException {
        if (sae.isTranscoder()) {
            String t = targetHook != null ? targetHook : sae.outputHook();
            if (t.isEmpty()) {
                throw new ModelCommand.InputError(spec.commandLine(), "the transcoder in " + saeDir + " records no "
                        + "output hook (hook_name_out): give --target-hook");
            }
            return SaeCommand.resolveHook(spec, store, t);
        }
        if (targetHook != null) {
            throw new ModelCommand.InputError(spec.commandLine(), "--target-hook applies to transcoders; " + saeDir
                    + " holds an SAE");
        }
        return null;
    }

    /** CE loss recovered and KL with the SAE (or transcoder) spliced into the model, added to {@code o}. */
    private void splice(Sae sae, String h, String target, List<int[]> promptList, JsonObject o) throws Exception {
        try (HookedTransformer m = HookedTransformer.load(model)) {
            for (int[] p : promptList) {
                try {
                    org.mechinterp.core.model.TokenBatch.of(p).requireInVocabulary(m.config().vocabSize());
                } catch (IllegalArgumentException e) {
                    throw new ModelCommand.InputError(spec.commandLine(), "the store's tokens do not fit the "
                            + "model: " + e.getMessage());
                }
            }
            try {
                m.hooks().requireValid(h);
                if (target != null) {
                    m.hooks().requireValid(target);
                }
            } catch (IllegalArgumentException e) {
                throw new ModelCommand.InputError(spec.commandLine(), e.getMessage());
            }
            (target != null ? SpliceEvaluator.evaluateTranscoder(m, sae, h, target, promptList)
                    : SpliceEvaluator.evaluate(m, sae, h, promptList)).addTo(o);
        }
    }

    private void print(JsonObject o, EvalResult result, String h, String target) {
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            w.println(JsonOutput.toJson(o));
        } else {
            w.printf(Locale.ROOT, "%s on %s, %d tokens: L0 %.2f, MSE %.4g, FVU %.4f (explained variance %.4f), "
                    + "cosine %.4f, shrinkage %.4f, dead %.1f%%, dense %.1f%%%n", saeDir,
                    target != null ? h + " -> " + target : h, result.tokens(),
                    result.l0(), result.mse(), result.fvu(), result.explainedVariance(), result.cosine(),
                    result.shrinkage(), 100 * result.deadFraction(), 100 * result.denseFraction());
            if (o.has("ce_loss_recovered")) {
                w.printf(Locale.ROOT, "CE loss recovered %.4f (clean %.4f, SAE %.4f, zero-ablated %.4f), KL %.4g%n",
                        o.get("ce_loss_recovered").getAsDouble(), o.get("ce_loss_clean").getAsDouble(),
                        o.get("ce_loss_sae").getAsDouble(), o.get("ce_loss_zero_ablation").getAsDouble(),
                        o.get("kl_div").getAsDouble());
            }
        }
        w.flush();
    }
}
