package org.mechinterp.sae.train;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.mechinterp.core.progress.Progress;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.store.ActivationBatches;

/**
 * Runs a {@link TrainingRun} to the end: resumes from the checkpoint folder when it holds a checkpoint, writes a
 * checkpoint every {@code checkpointEvery} steps and at the end, and shows progress on stderr with loss, L0, FVU
 * and dead fraction ({@link Progress}: a bar on a terminal, plain periodic lines otherwise; none with
 * {@code optProgress(false)}).
 *
 * <pre>{@code
 * Sae sae = SaeTrainer.builder().setConfig(cfg).optCheckpointDir(dir.resolve("checkpoints")).build().train(batches);
 * SaeLensFormat.save(sae, dir);
 * }</pre>
 */
public final class SaeTrainer {
    private final SaeConfig config;
    private final Path checkpointDir;
    private final int checkpointEvery;
    private final Progress.Settings progress;
    private final Consumer<TrainingRun.StepStats> listener;

    private SaeTrainer(Builder b) {
        config = b.config;
        checkpointDir = b.checkpointDir;
        checkpointEvery = b.checkpointEvery;
        progress = b.progress != null ? b.progress : Progress.Settings.auto();
        listener = b.listener;
    }

    /**
     * A new builder; {@link Builder#setConfig(SaeConfig)} is required.
     *
     * @return an empty builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Trains to {@link SaeConfig#steps()} and returns the exported SAE (input scale folded in).
     *
     * @param data the activation stream (not closed here)
     * @return the trained SAE for raw activations (see {@link TrainingRun#export()})
     * @throws IllegalArgumentException if a checkpoint in the checkpoint folder was made with a different config
     * @throws NonFiniteLossException if the loss becomes NaN or infinite
     * @throws IOException if reading the data or writing a checkpoint fails
     */
    public Sae train(ActivationBatches data) throws IOException {
        TrainingRun run;
        if (checkpointDir != null && TrainingRun.hasCheckpoint(checkpointDir)) {
            SaeConfig stored = TrainingRun.checkpointConfig(checkpointDir);
            if (!stored.toJson().equals(config.toJson())) {
                throw new IllegalArgumentException(mismatch(stored.toJson(), config.toJson()));
            }
            run = TrainingRun.resume(checkpointDir, data);
        } else {
            run = TrainingRun.start(config, data);
        }
        try (Progress bar = Progress.resume("sae " + config.architecture().cliName(), config.steps(), "steps",
                progress, run.stepsDone())) {
            while (!run.finished()) {
                TrainingRun.StepStats s = run.step();
                if (listener != null) {
                    listener.accept(s);
                }
                bar.message(String.format(Locale.ROOT, "loss %.4g L0 %.1f FVU %.3f dead %.1f%%",
                        s.loss(), s.l0(), s.fvu(), 100 * s.deadFraction()));
                bar.stepTo(s.step());
                if (checkpointDir != null && checkpointEvery > 0 && s.step() % checkpointEvery == 0
                        && !run.finished()) {
                    run.checkpoint(checkpointDir);
                }
            }
        }
        if (checkpointDir != null) {
            run.checkpoint(checkpointDir);
        }
        return run.export();
    }

    /**
     * Names the config keys that differ between a checkpoint and this run, and how to proceed. Why not resume
     * anyway: the learning-rate schedule and every later step depend on each of them, so a resumed run would
     * match neither run.
     */
    private String mismatch(JsonObject stored, JsonObject given) {
        List<String> diffs = new ArrayList<>();
        Set<String> keys = new TreeSet<>(stored.keySet());
        keys.addAll(given.keySet());
        Set<String> differing = new TreeSet<>();
        for (String key : keys) {
            if (!Objects.equals(stored.get(key), given.get(key))) {
                differing.add(key);
                diffs.add(key + " " + stored.get(key) + " in the checkpoint vs " + given.get(key) + " now");
            }
        }
        // the default warm-ups are fractions of the steps, so they change with them
        boolean onlySteps = differing.contains("steps") && Set.of("steps", "warmup_steps", "l1_warmup_steps").containsAll(differing);
        return "the checkpoint in " + checkpointDir + " was made with other training settings: "
                + String.join("; ", diffs) + ". "
                + (onlySteps ? "A run cannot be extended in place (its learning-rate warm-up and decay are laid out "
                        + "over the total steps): train into a new output folder with the new step count, or "
                        + "repeat the original settings to finish this run"
                        : "Repeat the original settings to resume, or use a new output folder");
    }

    /** Builder: {@code setConfig} required; checkpoint folder, interval, progress and a step listener optional. */
    public static final class Builder {
        private SaeConfig config;
        private Path checkpointDir;
        private int checkpointEvery = 1000;
        private Progress.Settings progress;
        private Consumer<TrainingRun.StepStats> listener;

        private Builder() {}

        /**
         * Sets the training configuration (required).
         *
         * @param c the config, not null
         * @return this builder
         */
        public Builder setConfig(SaeConfig c) {
            config = Objects.requireNonNull(c, "config");
            return this;
        }

        /**
         * Folder for checkpoints (created); without it the run is not checkpointed.
         *
         * @param dir checkpoint folder, or null for none; an existing checkpoint there is resumed
         * @return this builder
         */
        public Builder optCheckpointDir(Path dir) {
            checkpointDir = dir;
            return this;
        }

        /**
         * Steps between checkpoints (default 1000; 0 = only at the end).
         *
         * @param steps checkpoint interval in steps, ≥ 0
         * @return this builder
         */
        public Builder optCheckpointEvery(int steps) {
            checkpointEvery = steps;
            return this;
        }

        /**
         * Progress by the default rule ({@link Progress.Settings#auto()}, the default) or none.
         *
         * @param on true for automatic progress, false for none
         * @return this builder
         */
        public Builder optProgress(boolean on) {
            progress = Progress.Settings.of(on);
            return this;
        }

        /**
         * Where and how to show progress (default {@link Progress.Settings#auto()}).
         *
         * @param settings the progress settings
         * @return this builder
         */
        public Builder optProgress(Progress.Settings settings) {
            progress = settings;
            return this;
        }

        /**
         * Called after every step (e.g. for logging).
         *
         * @param l listener receiving each step's stats on the training thread, or null
         * @return this builder
         */
        public Builder optListener(Consumer<TrainingRun.StepStats> l) {
            listener = l;
            return this;
        }

        /**
         * Builds the trainer.
         *
         * @return a trainer for the given config
         * @throws IllegalArgumentException if the config is missing
         */
        public SaeTrainer build() {
            if (config == null) {
                throw new IllegalArgumentException("config is required");
            }
            if (checkpointEvery < 0) {
                throw new IllegalArgumentException("checkpoint interval must be >= 0, got " + checkpointEvery);
            }
            return new SaeTrainer(this);
        }
    }
}
