package org.mechinterp.examples.cli;

import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.progress.Progress;
import org.mechinterp.core.train.EvalResult;
import org.mechinterp.core.train.LearningRateSchedule;
import org.mechinterp.core.train.StepStats;
import org.mechinterp.core.train.TrainerConfig;
import org.mechinterp.core.train.TrainingListener;
import org.mechinterp.examples.physics.model.ForecastCheck;
import org.mechinterp.examples.physics.model.PhysicsDataRecipe;
import org.mechinterp.examples.physics.model.PhysicsModelTraining;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code interp train-physics-model}: trains the small digit-level physics model (Qwen3 layout) on simulated
 * trajectories with random parameters per sequence and writes an HF model folder with its tokenizer, training curve
 * and provenance. The defaults are the recipe of the bundled model ({@code EmbeddedPhysicsModel}).
 */
@Command(name = "train-physics-model", mixinStandardHelpOptions = true,
        description = {"Train the digit-level physics model on simulated trajectories (random parameters per "
                + "sequence, so the dynamics must be inferred in context) and write an HF folder: config.json, "
                + "model.safetensors, tokenizer.json, provenance.json, training_curve.json, training_curve.png."},
        footer = {"", "Example (a quick run):",
                "  interp train-physics-model --out /tmp/phys --steps 200 --d-model 64 --layers 2 --context 128"})
final class TrainPhysicsModelCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "physics-model",
            description = "Output folder (default ./physics-model).")
    Path out;

    @Option(names = "--force", description = "Replace a model already in --out.")
    boolean force;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "3000", description = "Optimizer steps (default 3000).")
    int steps;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "Seed of the initial weights and the data order (default 0).")
    long seed;

    @Option(names = "--systems", paramLabel = "NAME[:W],...", defaultValue = "mass-spring:0.5,pendulums:0.2,"
            + "harmonic:0.15,damped:0.15", description = "Systems and relative weights (default "
            + "mass-spring:0.5,pendulums:0.2,harmonic:0.15,damped:0.15; supported: mass-spring, pendulums, "
            + "harmonic, damped).")
    String systems;

    @Option(names = "--scaling", paramLabel = "fixed|window", defaultValue = "fixed",
            description = "fixed: a fixed physical window per system onto codes [150, 850]; window: min-max of each "
                    + "sequence (default fixed).")
    String scaling;

    @Option(names = "--context", paramLabel = "T", defaultValue = "384", description = "Tokens per sequence (default 384).")
    int context;

    @Option(names = "--d-model", paramLabel = "D", defaultValue = "128", description = "Width (default 128).")
    int dModel;

    @Option(names = "--layers", paramLabel = "L", defaultValue = "4", description = "Blocks (default 4).")
    int layers;

    @Option(names = "--heads", paramLabel = "H", defaultValue = "4", description = "Attention heads (default 4).")
    int heads;

    @Option(names = "--d-mlp", paramLabel = "M", defaultValue = "384", description = "SwiGLU width (default 384).")
    int dMlp;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "16", description = "Sequences per step (default 16).")
    int batch;

    @Option(names = "--lr", paramLabel = "X", defaultValue = "2e-3", description = "Peak learning rate (default 2e-3).")
    double lr;

    @Option(names = "--warmup", paramLabel = "N",
            description = "Warm-up steps (default min(100, max(1, steps/10)): 100 for the default 3000 steps).")
    Integer warmup;

    @Option(names = "--weight-decay", paramLabel = "X", defaultValue = "0.01",
            description = "AdamW weight decay of matrices (default 0.01).")
    double weightDecay;

    @Option(names = "--grad-clip", paramLabel = "X", defaultValue = "1.0",
            description = "Global gradient-norm clip, 0 = off (default 1).")
    double gradClip;

    @Option(names = "--eval-every", paramLabel = "N", defaultValue = "100",
            description = "Held-out evaluation interval in steps (default 100).")
    int evalEvery;

    @Option(names = "--eval-sequences", paramLabel = "N", defaultValue = "64",
            description = "Held-out sequences (default 64).")
    int evalSequences;

    @Option(names = "--forecast-trajectories", paramLabel = "N", defaultValue = "64",
            description = "Mass-spring trajectories of the final one-step forecast check, 0 = skip (default 64).")
    int forecastTrajectories;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
            description = "libtorch intra-op threads (default 1: small models train fastest single-threaded on "
                    + "shared machines; the thread count can change the last bits of the weights).")
    int threads;

    @Mixin
    QuietOption quiet;

    @Option(names = "--json", description = "Print a JSON summary instead of text.")
    boolean json;

    @Mixin
    VerboseOption verbose;

    @Override
    public Integer call() throws Exception {
        PhysicsDataRecipe data;
        ModelConfig model;
        TrainerConfig trainer;
        try {
            data = PhysicsDataRecipe.builder().optContextTokens(context).optMix(parseMix(systems))
                    .optScaling(parseScaling(scaling)).build();
            model = PhysicsModelTraining.modelConfig(dModel, layers, heads, dMlp, context);
            trainer = TrainerConfig.builder().setSteps(steps).setBatchSize(batch).setLearningRate(lr)
                    .optWarmupSteps(warmup != null ? warmup : defaultWarmup(steps)).optDecay(LearningRateSchedule.Decay.COSINE).optMinLrRatio(0.1)
                    .optWeightDecay(weightDecay).optBetas(0.9, 0.95).optGradClip(gradClip).optEvalEvery(evalEvery)
                    .optSeed(seed).optGroups(PhysicsDataRecipe.GROUPS).build();
            if (threads < 1) {
                throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
            }
        } catch (IllegalArgumentException e) {
            throw new ModelCommand.InputError(spec.commandLine(), e.getMessage());
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new ModelCommand.InputError(spec.commandLine(), "--out " + out + " is a file, not a folder");
        }
        if (Files.exists(out.resolve("config.json")) && !force) {
            throw new ModelCommand.InputError(spec.commandLine(), "--out " + out
                    + " already holds a model (config.json); use --force to replace it");
        }
        String commandLine = "interp " + String.join(" ",
                spec.commandLine().getParseResult().originalArgs());
        PhysicsModelTraining training;
        try {
            training = PhysicsModelTraining.builder().setOutput(out).setModel(model).setTrainer(trainer).setData(data)
                    .optEvalSequences(evalSequences).optSanityTrajectories(forecastTrajectories)
                    .optCommandLine(commandLine).build();
        } catch (IllegalArgumentException e) {
            throw new ModelCommand.InputError(spec.commandLine(), e.getMessage());
        }
        ai.djl.engine.Engine.getInstance();
        int previousThreads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        PhysicsModelTraining.Result result;
        try {
            if (!quiet.quiet) {
                spec.commandLine().getErr().printf("training %s (%,d parameters) for %d steps of %d x %d tokens%n", model,
                        model.parameterCount(), steps, batch, context);
            }
            result = runWithProgress(training);
        } finally {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(previousThreads);
        }
        print(result, model);
        return 0;
    }

    private PhysicsModelTraining.Result runWithProgress(PhysicsModelTraining training) throws java.io.IOException {
        try (Progress bar = Progress.start("train", steps, "steps", quiet.progress(spec))) {
            double[] eval = {Double.NaN};
            double[] smooth = {Double.NaN};
            return training.run(new TrainingListener() {
                @Override
                public void onStep(StepStats s) {
                    smooth[0] = Double.isNaN(smooth[0]) ? s.loss() : 0.95 * smooth[0] + 0.05 * s.loss();
                    bar.message(String.format(Locale.ROOT, "loss %.4f, eval %.4f", smooth[0], eval[0]));
                    bar.stepTo(s.step() + 1);
                }

                @Override
                public void onEval(EvalResult r) {
                    eval[0] = r.loss();
                }
            });
        }
    }

    private void print(PhysicsModelTraining.Result r, ModelConfig model) {
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("out", r.output().toString());
            o.addProperty("parameters", model.parameterCount());
            o.add("final", r.provenance().get("final"));
            if (r.provenance().has("forecast_check")) {
                o.add("forecast_check", r.provenance().get("forecast_check"));
            }
            o.addProperty("wall_seconds", r.wallSeconds());
            w.println(JsonOutput.toJson(o));
            w.flush();
            return;
        }
        w.printf(Locale.ROOT, "model: %s (%,d parameters)%n", r.output(), model.parameterCount());
        w.printf(Locale.ROOT, "train loss (mean of last 50 steps): %.4f nats/token%n", r.trainLoss());
        if (r.eval() != null) {
            w.printf(Locale.ROOT, "held-out loss: %.4f nats/token", r.eval().loss());
            r.eval().groupLoss().forEach((k, v) -> w.printf(Locale.ROOT, "  %s %.4f", k, v));
            w.println();
        }
        if (!r.sanity().isEmpty()) {
            w.println("one-step forecast of mass-spring, RMSE in codes (model / last value / linear / parroting):");
            for (ForecastCheck.Row row : r.sanity()) {
                w.printf(Locale.ROOT, "  context %3d steps: %7.2f / %7.2f / %7.2f / %7.2f   (exact %.0f%%)%n",
                        row.contextSteps(), row.modelRmse(), row.lastRmse(), row.linearRmse(), row.parrotRmse(),
                        100 * row.modelExact());
            }
        }
        w.printf(Locale.ROOT, "wall time: %.1f s%n", r.wallSeconds());
        w.flush();
    }

    /**
     * The warm-up when {@code --warmup} is not given: 100 steps (the bundled model's recipe) but at most a tenth of
     * the run, so short runs ({@code --steps 30}) do not fail on a warm-up longer than themselves.
     */
    static int defaultWarmup(int steps) {
        return Math.min(100, Math.max(1, steps / 10));
    }

    /** "a:0.5,b" → {a=0.5, b=1.0}. */
    static Map<String, Double> parseMix(String list) {
        Map<String, Double> mix = new LinkedHashMap<>();
        for (String part : ModelCommand.splitList(list)) {
            String[] kv = part.split(":", -1);
            if (kv.length > 2) {
                throw new IllegalArgumentException("invalid --systems entry '" + part + "' (expected NAME or NAME:WEIGHT)");
            }
            double weight = 1.0;
            if (kv.length == 2) {
                try {
                    weight = Double.parseDouble(kv[1].strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("invalid weight '" + kv[1] + "' in --systems entry '" + part
                            + "'");
                }
            }
            if (mix.put(kv[0].strip(), weight) != null) {
                throw new IllegalArgumentException("system '" + kv[0].strip() + "' is listed twice in --systems");
            }
        }
        if (mix.isEmpty()) {
            throw new IllegalArgumentException("--systems lists no system; supported: "
                    + PhysicsDataRecipe.supportedSystems());
        }
        return mix;
    }

    private static PhysicsDataRecipe.ScalingChoice parseScaling(String s) {
        switch (s.toLowerCase(Locale.ROOT)) {
            case "fixed":
                return PhysicsDataRecipe.ScalingChoice.FIXED;
            case "window":
                return PhysicsDataRecipe.ScalingChoice.WINDOW;
            default:
                throw new IllegalArgumentException("--scaling must be fixed or window, got '" + s + "'");
        }
    }
}
