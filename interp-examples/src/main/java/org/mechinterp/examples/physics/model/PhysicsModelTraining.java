package org.mechinterp.examples.physics.model;

import ai.djl.engine.Engine;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.mechinterp.core.family.HfCheckpointWriter;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.NormKind;
import org.mechinterp.core.model.RopeScaling;
import org.mechinterp.core.train.CausalLmTrainer;
import org.mechinterp.core.train.EvalResult;
import org.mechinterp.core.train.TrainerConfig;
import org.mechinterp.core.train.TrainingListener;

/**
 * Trains the physics model end to end and writes its folder: {@code config.json} + {@code model.safetensors}
 * (Qwen3 layout, {@link HfCheckpointWriter}), {@code tokenizer.json} ({@link DigitVocabulary}),
 * {@code training_curve.json} + {@code training_curve.png}, and {@code provenance.json} (command line, seed, every
 * hyper-parameter, data recipe, final losses, one-step forecast check, wall time, library/Java/OS versions, git
 * commit). Every file is written atomically, provenance.json last (its presence marks a complete run).
 *
 * <p>Model: Qwen3 layout (RMSNorm, q/k norm, SwiGLU, RoPE θ = 10000, untied embeddings), vocabulary
 * {@link DigitVocabulary}, {@code max_position_embeddings} = the training context. Reproducible: the same settings
 * and seed give the same weights on the same machine and libtorch thread count.
 */
public final class PhysicsModelTraining {
    private final Path output;
    private final ModelConfig model;
    private final TrainerConfig trainer;
    private final PhysicsDataRecipe data;
    private final int evalSequences;
    private final long evalSeed;
    private final int sanityTrajectories;
    private final String commandLine;

    private PhysicsModelTraining(Builder b) {
        output = b.output;
        model = b.model;
        trainer = b.trainer;
        data = b.data;
        evalSequences = b.evalSequences;
        evalSeed = b.evalSeed;
        sanityTrajectories = b.sanityTrajectories;
        commandLine = b.commandLine;
    }

    /**
     * Starts a training set-up.
     *
     * @return a new builder; output, model, trainer and data must be set before {@link Builder#build()}
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The model architecture of the recipe.
     *
     * @param dModel width D
     * @param layers blocks
     * @param heads attention heads (D must be divisible by it; head_dim = D / heads, even)
     * @param dMlp SwiGLU width
     * @param context training context (max_position_embeddings)
     * @return a Qwen3 config over the {@link DigitVocabulary} with {@code <bos>}/{@code <eos>} ids set
     * @throws IllegalArgumentException if {@code dModel} is not divisible by a positive {@code heads}
     */
    public static ModelConfig modelConfig(int dModel, int layers, int heads, int dMlp, int context) {
        if (heads <= 0 || dModel % heads != 0) {
            throw new IllegalArgumentException("d_model " + dModel + " is not divisible by " + heads + " heads");
        }
        return ModelConfig.builder().optModelType("qwen3").setVocabSize(DigitVocabulary.SIZE).setDModel(dModel)
                .setNLayers(layers).setNHeads(heads).optHeadDim(dModel / heads).setDMlp(dMlp)
                .optMaxPositions(context).optNorm(NormKind.RMS_NORM, 1e-6).optQkNorm(true)
                .optTiedEmbeddings(false).optRope(RopeScaling.plain(10000)).optBosTokenId(DigitVocabulary.BOS)
                .optEosTokenIds(DigitVocabulary.EOS).build();
    }

    /** What a run produced. */
    public record Result(Path output, double trainLoss, EvalResult eval, List<ForecastCheck.Row> sanity,
            double wallSeconds, JsonObject provenance) {}

    /**
     * Trains and writes the folder.
     *
     * @param listener progress callbacks (steps, evaluations)
     * @return the output folder, final training loss, held-out evaluation, forecast-check rows, wall time and the
     *     provenance written
     * @throws IOException if the output folder or one of its files cannot be written
     */
    public Result run(TrainingListener listener) throws IOException {
        Objects.requireNonNull(listener, "listener");
        long t0 = System.nanoTime();
        Files.createDirectories(output);
        AtomicLong redraws = new AtomicLong();
        AtomicLong sequences = new AtomicLong();
        org.mechinterp.core.train.SequenceSource source = rng -> {
            PhysicsDataRecipe.Example e = data.sample(rng);
            redraws.addAndGet(e.redraws());
            sequences.incrementAndGet();
            return e.sequence();
        };
        List<org.mechinterp.core.train.TrainingSequence> heldOut = data.heldOut(evalSequences, evalSeed);
        List<ForecastCheck.Row> sanity = List.of();
        EvalResult last;
        double trainLoss;
        try (CausalLmTrainer t = CausalLmTrainer.create(model, trainer, source, heldOut)) {
            t.run(listener);
            List<EvalResult> evals = t.curve().evals();
            last = evals.isEmpty() ? null : evals.get(evals.size() - 1);
            trainLoss = t.curve().recentTrainLoss(50);
            try (HookedTransformer trained = t.snapshot()) {
                if (sanityTrajectories > 0 && data.mix().containsKey("mass-spring")) {
                    sanity = ForecastCheck.run(trained, data, "mass-spring", sanityTrajectories,
                            sanityContexts(trained), evalSeed + 1);
                }
                HfCheckpointWriter.write(trained.config(), trained.weights(), output,
                        Map.of("pad_token_id", DigitVocabulary.PAD));
            }
            DigitVocabulary.writeTokenizerJson(output);
            t.curve().write(output.resolve("training_curve.json"));
            TrainingCurvePlot.write(t.curve(), "physics model: " + String.format("%,d", model.parameterCount())
                    + " parameters, " + trainer.steps() + " steps", output.resolve("training_curve.png"));
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        JsonObject provenance = provenance(trainLoss, last, sanity, wall, redraws.get(), sequences.get());
        AtomicText.write(output.resolve("provenance.json"),
                new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(provenance) + "\n");
        return new Result(output, trainLoss, last, sanity, wall, provenance);
    }

    /** Context lengths (steps) of the forecast check: powers of two up to the longest that fits, and that one. */
    private int[] sanityContexts(HookedTransformer m) {
        int tps = PhysicsDataRecipe.tokensPerStep(data.system("mass-spring").components().size());
        int max = Math.min(data.stepsFor(data.system("mass-spring")) - 1, (m.config().maxPositions() - tps) / tps);
        java.util.TreeSet<Integer> cs = new java.util.TreeSet<>();
        for (int c = 4; c <= max; c *= 2) {
            cs.add(c);
        }
        if (max >= 2) {
            cs.add(max);
        }
        return cs.stream().mapToInt(Integer::intValue).toArray();
    }

    private JsonObject provenance(double trainLoss, EvalResult last, List<ForecastCheck.Row> sanity, double wall,
            long redraws, long sequences) {
        JsonObject o = new JsonObject();
        o.addProperty("model", "interp physics model (digit-level, in-context forecasting of simulated trajectories)");
        o.addProperty("created", Instant.now().toString());
        o.addProperty("command_line", commandLine);
        o.addProperty("seed", trainer.seed());
        o.addProperty("parameters", model.parameterCount());
        o.add("model_config", HfCheckpointWriter.configJson(model));
        o.add("training", trainer.toJson());
        o.add("data", data.toJson());
        o.addProperty("training_sequences_drawn", sequences);
        o.addProperty("trajectories_redrawn_out_of_window", redraws);
        JsonObject tok = new JsonObject();
        tok.addProperty("kind", "digit-level WordLevel, one token per character");
        tok.addProperty("vocab", "<pad>=0 <bos>=1 <eos>=2 '0'..'9'=3..12 ','=13 ';'=14");
        o.add("tokenizer", tok);
        JsonObject eval = new JsonObject();
        eval.addProperty("held_out_sequences", evalSequences);
        eval.addProperty("held_out_seed", evalSeed);
        o.add("held_out", eval);
        JsonObject fin = new JsonObject();
        fin.addProperty("steps", trainer.steps());
        fin.addProperty("train_loss_mean_last_50_steps", trainLoss);
        if (last != null) {
            fin.addProperty("held_out_loss", last.loss());
            last.groupLoss().forEach((k, v) -> fin.addProperty("held_out_loss_" + k, v));
        }
        fin.addProperty("loss_unit", "nats per target token");
        o.add("final", fin);
        if (!sanity.isEmpty()) {
            JsonObject s = new JsonObject();
            s.addProperty("system", "mass-spring");
            s.addProperty("trajectories", sanityTrajectories);
            s.addProperty("seed", evalSeed + 1);
            s.addProperty("what", "one-step-ahead greedy forecast vs last value, linear extrapolation and context "
                    + "parroting; RMSE in code units (1 code = 2.5/350 m with fixed scaling)");
            s.add("rows", ForecastCheck.toJson(sanity));
            o.add("forecast_check", s);
        }
        o.addProperty("wall_seconds", wall);
        JsonObject env = new JsonObject();
        env.addProperty("interp_version", version());
        env.addProperty("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
        env.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        env.addProperty("cpus", Runtime.getRuntime().availableProcessors());
        try {
            env.addProperty("djl", Engine.getDjlVersion());
            env.addProperty("engine", Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
            env.addProperty("libtorch_threads", ai.djl.pytorch.jni.JniUtils.getNumThreads());
        } catch (RuntimeException | LinkageError e) {
            env.addProperty("engine", "unknown");
        }
        o.add("environment", env);
        o.add("git", git());
        return o;
    }

    private static String version() {
        try (InputStream in = PhysicsModelTraining.class.getResourceAsStream(
                "/META-INF/maven/org.mechinterp/interp-examples/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "development");
            }
        } catch (IOException ignored) {
            // fall through
        }
        String v = PhysicsModelTraining.class.getPackage().getImplementationVersion();
        return v != null ? v : "development";
    }

    /** The commit of the working directory's git checkout and whether it had local changes, when git is there. */
    private static JsonObject git() {
        JsonObject g = new JsonObject();
        String commit = runGit("rev-parse", "HEAD");
        g.addProperty("commit", commit == null ? "unavailable" : commit);
        if (commit != null) {
            String status = runGit("status", "--porcelain", "--untracked-files=no");
            g.addProperty("uncommitted_changes", status == null ? "unknown" : String.valueOf(!status.isEmpty()));
        }
        return g;
    }

    private static String runGit(String... args) {
        try {
            String[] cmd = new String[args.length + 1];
            cmd[0] = "git";
            System.arraycopy(args, 0, cmd, 1, args.length);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroy();
                return null;
            }
            return out;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Builder: {@code set*} required, {@code opt*} optional; validated in {@link #build()}. */
    public static final class Builder {
        private Path output;
        private ModelConfig model;
        private TrainerConfig trainer;
        private PhysicsDataRecipe data;
        private int evalSequences = 64;
        private long evalSeed = 1_000_003L;
        private int sanityTrajectories = 64;
        private String commandLine = "(API)";

        private Builder() {}

        /**
         * Sets the output folder.
         *
         * @param v folder to write the model into (created; files of the same names are replaced)
         * @return this builder
         */
        public Builder setOutput(Path v) { output = v; return this; }
        /**
         * Sets the architecture.
         *
         * @param v model config, e.g. from {@link PhysicsModelTraining#modelConfig}; vocabulary must be
         *     {@link DigitVocabulary#SIZE}
         * @return this builder
         */
        public Builder setModel(ModelConfig v) { model = v; return this; }
        /**
         * Sets the optimiser and schedule.
         *
         * @param v hyper-parameters; use {@link PhysicsDataRecipe#GROUPS} as loss groups
         * @return this builder
         */
        public Builder setTrainer(TrainerConfig v) { trainer = v; return this; }
        /**
         * Sets the training data.
         *
         * @param v data recipe (system mix, format, scaling, context); its context must fit the model's positions
         * @return this builder
         */
        public Builder setData(PhysicsDataRecipe v) { data = v; return this; }
        /**
         * Sets the size of the held-out evaluation set.
         *
         * @param v held-out sequences for the evaluations (default 64)
         * @return this builder
         */
        public Builder optEvalSequences(int v) { evalSequences = v; return this; }
        /**
         * Sets the seed of the held-out set.
         *
         * @param v seed of the held-out sequences (default 1000003); the forecast check uses seed + 1
         * @return this builder
         */
        public Builder optEvalSeed(long v) { evalSeed = v; return this; }
        /**
         * Sets the size of the one-step forecast check.
         *
         * @param v mass-spring trajectories of the forecast check (default 64; 0 skips it)
         * @return this builder
         */
        public Builder optSanityTrajectories(int v) { sanityTrajectories = v; return this; }
        /**
         * Sets the command line recorded for reproduction.
         *
         * @param v the command line written to provenance.json (default {@code "(API)"})
         * @return this builder
         */
        public Builder optCommandLine(String v) { commandLine = v; return this; }

        /**
         * Validates the settings.
         *
         * @return the training set-up, ready to {@link PhysicsModelTraining#run}
         * @throws IllegalArgumentException naming a missing or inconsistent setting
         */
        public PhysicsModelTraining build() {
            if (output == null || model == null || trainer == null || data == null) {
                throw new IllegalArgumentException("output, model, trainer and data are required");
            }
            if (model.vocabSize() != DigitVocabulary.SIZE) {
                throw new IllegalArgumentException("the model's vocabulary (" + model.vocabSize()
                        + ") must be the digit vocabulary (" + DigitVocabulary.SIZE + ")");
            }
            if (model.maxPositions() < data.contextTokens()) {
                throw new IllegalArgumentException("the model's " + model.maxPositions()
                        + " positions are fewer than the data's context of " + data.contextTokens() + " tokens");
            }
            if (!trainer.groups().equals(PhysicsDataRecipe.GROUPS)) {
                throw new IllegalArgumentException("trainer loss groups must be " + PhysicsDataRecipe.GROUPS
                        + ", got " + trainer.groups());
            }
            if (evalSequences < 1) {
                throw new IllegalArgumentException("at least one held-out sequence is needed, got " + evalSequences);
            }
            if (sanityTrajectories < 0) {
                throw new IllegalArgumentException("forecast-check trajectories must be >= 0, got "
                        + sanityTrajectories);
            }
            return new PhysicsModelTraining(this);
        }
    }
}
