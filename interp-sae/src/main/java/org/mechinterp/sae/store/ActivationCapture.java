package org.mechinterp.sae.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.mechinterp.core.progress.Progress;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.tokenizer.Tokenizer;

/**
 * Captures activations at one or more hook points over a {@link Corpus} into an on-disk store (layout in
 * {@link StoreManifest}).
 *
 * <p>Prompts are run through {@link HookedTransformer#runWithCache} caching only the requested hooks,
 * {@code promptsPerPass} at a time as one left-padded {@link org.mechinterp.core.model.TokenBatch}; padded slots are skipped, so every
 * prompt contributes exactly its own T rows (position 0..T−1). A hook's activation [B,T,...] is flattened to rows
 * of d = product of the dimensions after T (e.g. {@code hook_z} [B,T,H,Dh] gives d = H·Dh); hooks whose
 * second axis is not the token axis ({@code hook_pattern}, {@code hook_attn_scores}) are refused. With
 * {@code promptsPerPass = 1} rows are bit-identical to {@code runWithCache} on the prompt alone; batching agrees
 * within float rounding (the core guarantees padded batches match single runs, not bit for bit).
 *
 * <p>Shards hold whole passes and are written when the pending rows reach {@code shardRows}; the manifest is
 * rewritten after each. <b>Resume:</b> running a capture into a folder with an incomplete store of the same
 * settings (model configuration, corpus SHA-256, hooks, context, max tokens, prompts per pass, shard rows)
 * skips the prompts already captured and continues; since passes and shards start at the same prompt
 * boundaries, the result is byte-identical to an uninterrupted capture. A complete store is left as is.
 *
 * <p>{@code maxTokens} caps the total rows; the prompt that reaches the cap keeps only its first tokens (a
 * causal model's prefix activations are those of the shorter prompt). The model and tokenizer are borrowed,
 * not closed. Progress (rows) goes to stderr.
 */
public final class ActivationCapture {
    /** Default prompts per forward pass. */
    public static final int DEFAULT_PROMPTS_PER_PASS = 8;

    private final Builder b;
    private final List<String> hooks;

    private ActivationCapture(Builder b, List<String> hooks) {
        this.b = b;
        this.hooks = hooks;
    }

    /**
     * A new builder.
     *
     * @return a builder with nothing required set and every option at its default
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Configures a capture: {@code set*} are required, {@code opt*} optional. */
    public static final class Builder {
        private HookedTransformer model;
        private Tokenizer tokenizer;
        private String modelPath = "";
        private Path corpus;
        private List<String> hooks;
        private Path out;
        private int context;
        private long maxTokens;
        private int shardRows;
        private int promptsPerPass = DEFAULT_PROMPTS_PER_PASS;
        private Progress.Settings progress;
        private StoreWriter.ShardListener listener;

        private Builder() {
        }

        /**
         * The model to run (required; borrowed, not closed).
         *
         * @param model the hooked model whose activations are captured
         * @return this builder
         */
        public Builder setModel(HookedTransformer model) {
            this.model = model;
            return this;
        }

        /**
         * Encodes text prompts (borrowed; may be omitted when the corpus gives token ids).
         *
         * @param tokenizer the model's tokenizer, or null when every prompt is given as token ids
         * @return this builder
         */
        public Builder optTokenizer(Tokenizer tokenizer) {
            this.tokenizer = tokenizer;
            return this;
        }

        /**
         * Recorded in the manifest as the model's location (informational).
         *
         * @param path the model folder (made absolute)
         * @return this builder
         */
        public Builder optModelPath(Path path) {
            this.modelPath = path.toAbsolutePath().toString();
            return this;
        }

        /**
         * The corpus file, {@code .txt} or {@code .jsonl} (required; see {@link Corpus}).
         *
         * @param corpus the corpus file; its SHA-256 is recorded and checked on resume
         * @return this builder
         */
        public Builder setCorpus(Path corpus) {
            this.corpus = corpus;
            return this;
        }

        /**
         * Hook point names to capture (required, at least one).
         *
         * @param hooks per-token hook names, in store order (copied)
         * @return this builder
         */
        public Builder setHooks(List<String> hooks) {
            this.hooks = List.copyOf(hooks);
            return this;
        }

        /**
         * The store folder: created, or resumed when it holds an incomplete store (required).
         *
         * @param out the store folder
         * @return this builder
         */
        public Builder setOut(Path out) {
            this.out = out;
            return this;
        }

        /**
         * Tokens kept per prompt, 0 = all (default 0).
         *
         * @param context tokens per prompt to keep, ≥ 0
         * @return this builder
         */
        public Builder optContext(int context) {
            this.context = context;
            return this;
        }

        /**
         * Total rows to capture, 0 = whole corpus (default 0).
         *
         * @param maxTokens row budget, ≥ 0
         * @return this builder
         */
        public Builder optMaxTokens(long maxTokens) {
            this.maxTokens = maxTokens;
            return this;
        }

        /**
         * Rows per shard (shards end at pass boundaries so may hold a few more). Default: about 256 MiB of
         * activations per shard, between 1,024 and 65,536 rows.
         *
         * @param rows target rows per shard, ≥ 1
         * @return this builder
         */
        public Builder optShardRows(int rows) {
            this.shardRows = rows;
            return this;
        }

        /**
         * Prompts per forward pass (default {@value ActivationCapture#DEFAULT_PROMPTS_PER_PASS}).
         *
         * @param prompts prompts per forward pass, ≥ 1
         * @return this builder
         */
        public Builder optPromptsPerPass(int prompts) {
            this.promptsPerPass = prompts;
            return this;
        }

        /**
         * Whether to show progress on stderr by the default rule ({@link Progress.Settings#auto()}, the default).
         *
         * @param progress true for automatic progress, false for none
         * @return this builder
         */
        public Builder optProgress(boolean progress) {
            this.progress = Progress.Settings.of(progress);
            return this;
        }

        /**
         * Where and how to show progress (default {@link Progress.Settings#auto()}).
         *
         * @param progress the progress settings
         * @return this builder
         */
        public Builder optProgress(Progress.Settings progress) {
            this.progress = progress;
            return this;
        }

        /** Called after every shard is listed in the manifest; an exception thrown aborts the capture. */
        Builder optShardListener(StoreWriter.ShardListener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * Validates the settings.
         *
         * @return a capture ready to run
         * @throws IllegalArgumentException for a missing required setting, no hooks, an unknown or non-per-token
         *     hook name, negative context or max tokens, or non-positive shard rows or prompts per pass
         */
        public ActivationCapture build() {
            if (model == null) {
                throw new IllegalArgumentException("setModel(model) is required");
            }
            if (corpus == null) {
                throw new IllegalArgumentException("setCorpus(file) is required");
            }
            if (out == null) {
                throw new IllegalArgumentException("setOut(folder) is required");
            }
            if (hooks == null || hooks.isEmpty()) {
                throw new IllegalArgumentException("setHooks(names) needs at least one hook point");
            }
            if (context < 0) {
                throw new IllegalArgumentException("context must be ≥ 0 (0 = whole prompts), got " + context);
            }
            if (maxTokens < 0) {
                throw new IllegalArgumentException("max tokens must be ≥ 0 (0 = whole corpus), got " + maxTokens);
            }
            if (shardRows < 0) {
                throw new IllegalArgumentException("shard rows must be ≥ 1, got " + shardRows);
            }
            if (promptsPerPass < 1) {
                throw new IllegalArgumentException("prompts per pass must be ≥ 1, got " + promptsPerPass);
            }
            List<String> names = PassRunner.validHooks(model, hooks);
            return new ActivationCapture(this, names);
        }
    }

    /**
     * Runs (or resumes, or finds complete) the capture.
     *
     * @return the store's final manifest
     * @throws IllegalArgumentException for a malformed corpus (naming the line), an out folder that is a file or
     *     a non-empty folder without a store, or an existing store captured with other settings
     * @throws IOException on I/O errors ({@link StoreFormatException} for a malformed existing manifest)
     */
    public StoreManifest run() throws IOException {
        ModelConfig cfg = b.model.config();
        Corpus corpus = Corpus.open(b.corpus, b.tokenizer, cfg.vocabSize(), b.context);
        PassRunner runner = PassRunner.create(b.model, hooks);
        StoreManifest wanted = settings(corpus, runner.dims());
        Corpus.Totals totals = corpus.scan(); // validates every prompt before anything is written
        if (cfg.positions() == ModelConfig.Positions.LEARNED && totals.longest() > cfg.maxPositions()) {
            throw new IllegalArgumentException("corpus " + b.corpus + " line " + totals.longestLine() + ": prompt of "
                    + totals.longest() + " tokens exceeds the model's " + cfg.maxPositions()
                    + " learned positions; truncate with a context of at most " + cfg.maxPositions());
        }
        StoreWriter w;
        if (Files.isRegularFile(b.out.resolve(StoreManifest.FILE_NAME))) {
            StoreManifest existing = StoreManifest.read(b.out);
            existing.requireResumable(wanted, b.out);
            if (existing.complete) {
                return existing.copy();
            }
            w = StoreWriter.resume(b.out, existing);
        } else {
            w = StoreWriter.create(b.out, wanted);
        }
        if (b.listener != null) {
            w.setListener(b.listener);
        }
        capture(corpus, w, runner, totals);
        return w.manifest().copy();
    }

    private void capture(Corpus corpus, StoreWriter w, PassRunner runner, Corpus.Totals totals) throws IOException {
        StoreManifest m = w.manifest();
        long target = b.maxTokens > 0 ? Math.min(b.maxTokens, totals.tokens()) : totals.tokens();
        long done = m.totalRows;
        try (Progress bar = Progress.resume("capture", target, "rows",
                b.progress != null ? b.progress : Progress.Settings.auto(), done);
                Corpus.Cursor cursor = corpus.open()) {
            cursor.skip(m.promptsCompleted);
            List<Corpus.Prompt> pass = new ArrayList<>();
            while (b.maxTokens == 0 || done < b.maxTokens) {
                pass.clear();
                long planned = done;
                while (pass.size() < b.promptsPerPass && (b.maxTokens == 0 || planned < b.maxTokens)) {
                    Corpus.Prompt p = cursor.next();
                    if (p == null) {
                        break;
                    }
                    if (b.maxTokens > 0 && planned + p.length() > b.maxTokens) {
                        int keep = (int) (b.maxTokens - planned);
                        int nl = m.labelNames.size();
                        p = new Corpus.Prompt(p.id(), p.line(), Arrays.copyOf(p.tokens(), keep),
                                Arrays.copyOf(p.labels(), keep * nl));
                    }
                    planned += p.length();
                    pass.add(p);
                }
                if (pass.isEmpty()) {
                    break;
                }
                runner.run(pass, w.buffer());
                bar.stepTo(planned);
                done = planned;
                if (w.pendingRows() >= m.shardRows) {
                    w.flush();
                }
            }
            w.finish();
        }
    }

    private StoreManifest settings(Corpus corpus, int[] dims) throws IOException {
        return StoreManifest.forCapture(b.model, b.modelPath, hooks, dims, corpus.labelNames(),
                b.corpus.toAbsolutePath().toString(), Checksums.sha256(b.corpus), b.context, b.maxTokens,
                b.promptsPerPass, b.shardRows);
    }
}
