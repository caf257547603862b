package org.mechinterp.spark;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.sae.dashboard.DashboardWriter;
import org.mechinterp.sae.dashboard.LatentStatsAccumulator;
import org.mechinterp.sae.io.AtomicFiles;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.model.SparseCodes;
import org.mechinterp.sae.store.RowBlock;
import org.mechinterp.sae.store.StoreManifest;
import org.mechinterp.sae.store.StoreReader;

/**
 * Corpus-wide statistics of every latent of a trained SAE over an activation store, as the feature dashboards
 * and label correlations use them: a {@link LatentStatsAccumulator} (firing count and density, mean, sd and max
 * activation, log10 histogram, top-k contexts, samples per activation range, Pearson r with the store's label
 * columns). One Spark task per shard: each task reads its shard (checksum verified), encodes the rows with the SAE
 * (loaded once per executor JVM, see {@link ExecutorModels}) in blocks of {@value #ENCODE_ROWS} rows, and adds each
 * prompt (a shard holds whole prompts) as one document, its id the store's prompt id; the partial accumulators
 * are merged exactly on the way to the driver, so the result does not depend on the partitioning or the merge
 * tree. The JSON written holds per latent the same object as {@code sae dashboard}'s {@code dashboard.json}. The
 * store folder and the SAE folder must be readable by every executor under the same path.
 */
public final class FeatureStatsJob {
    /** Rows encoded at once: bounds the [rows, width] pre-activations held in memory. */
    static final int ENCODE_ROWS = 1024;

    private final Builder b;

    private FeatureStatsJob(Builder b) {
        this.b = b;
    }

    /**
     * Starts configuring a statistics job.
     *
     * @return a new builder with the store and SAE unset and the optional settings at their defaults
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Configures the job: {@code set*} are required, {@code opt*} optional. */
    public static final class Builder {
        private Path store;
        private String sae;
        private String hook;
        private int topK = 10;
        private int window = 8;
        private int samples;
        private long seed;
        private Path out;
        private Path tokenizerDir;

        private Builder() {
        }

        /**
         * Sets the activation store to read (required); every shard its manifest lists is read.
         *
         * @param store the store folder, readable by the driver and every executor under the same path (made
         *     absolute against the driver's working directory)
         * @return this builder
         */
        public Builder setStore(Path store) {
            this.store = store;
            return this;
        }

        /**
         * Sets the SAE whose latents are measured (required).
         *
         * @param path the SAE folder, SAELens or sparsify layout, readable by the driver and every executor under
         *     the same path; each executor JVM loads it once
         * @return this builder
         */
        public Builder setSae(String path) {
            this.sae = path;
            return this;
        }

        /**
         * Chooses the store hook whose activations the SAE encodes; needed when the store's hook name differs from
         * the one in the SAE's metadata.
         *
         * @param hook a hook name of the store, or null (the default) for the SAE's own hook name
         * @return this builder
         */
        public Builder optHook(String hook) {
            this.hook = hook;
            return this;
        }

        /**
         * Sets how many top-activating contexts are kept per latent.
         *
         * @param k contexts kept per latent, at least 1 (default 10)
         * @return this builder
         */
        public Builder optTopK(int k) {
            this.topK = k;
            return this;
        }

        /**
         * Sets the width of each context window, clipped to its prompt.
         *
         * @param tokens tokens kept on each side of the activating token, at least 0 (default 8)
         * @return this builder
         */
        public Builder optWindow(int tokens) {
            this.window = tokens;
            return this;
        }

        /**
         * Sets how many uniformly sampled contexts are kept per activation range (sample bin of the log10
         * histogram), besides the top ones.
         *
         * @param perRange contexts per range, at least 0 (default 0: no sampling)
         * @return this builder
         */
        public Builder optSamples(int perRange) {
            this.samples = perRange;
            return this;
        }

        /**
         * Sets the seed of the context sampling: the same seed gives the same samples for any partitioning.
         *
         * @param seed seed of the hash that ranks tokens for sampling (default 0)
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Writes the statistics as JSON after the job (atomically: write, then rename).
         *
         * @param json the file to write, on the driver's file system; null (the default) writes nothing
         * @return this builder
         */
        public Builder optOut(Path json) {
            this.out = json;
            return this;
        }

        /**
         * Sets the tokenizer that decodes the contexts' tokens to text in the JSON.
         *
         * @param modelDir a model folder on the driver holding {@code tokenizer.json}; a folder without one, or null
         *     (the default), leaves the contexts as token ids only
         * @return this builder
         */
        public Builder optTokenizer(Path modelDir) {
            this.tokenizerDir = modelDir;
            return this;
        }

        /**
         * Validates the settings.
         *
         * @return the configured job; later changes to this builder do not affect it
         * @throws NullPointerException if the store or the SAE is not set
         * @throws IllegalArgumentException for top-k below 1, or a negative window or sample count
         */
        public FeatureStatsJob build() {
            Objects.requireNonNull(store, "setStore(folder) is required");
            Objects.requireNonNull(sae, "setSae(folder) is required");
            if (topK < 1 || window < 0 || samples < 0) {
                throw new IllegalArgumentException("top-k must be ≥ 1 and window and samples ≥ 0, got " + topK + ", "
                        + window + " and " + samples);
            }
            return new FeatureStatsJob(this);
        }
    }

    /**
     * Computes the statistics (and writes the JSON when asked). Blocks until the Spark job has finished.
     *
     * @param spark the session whose context runs one task per shard; used, not stopped
     * @return the merged statistics of every latent of the SAE over every row of the store's hook; a fresh object
     *     owned by the caller
     * @throws IllegalArgumentException if the store lacks the hook or its width differs from the SAE's input
     * @throws IOException for an unreadable or corrupt store (naming the shard), or if the JSON cannot be written
     */
    public LatentStatsAccumulator run(SparkSession spark) throws IOException {
        try {
            return compute(JavaSparkContext.fromSparkContext(spark.sparkContext()));
        } catch (IOException e) {
            throw e;
        } catch (Exception e) { // SparkException is checked but thrown undeclared through Scala
            throw SparkErrors.unwrap(e);
        }
    }

    private LatentStatsAccumulator compute(JavaSparkContext jsc) throws IOException {
        Path store = b.store.toAbsolutePath();
        StoreManifest m = StoreManifest.read(store);
        Sae sae = ExecutorModels.sae(b.sae);
        String hook = b.hook != null ? b.hook : sae.metadata().hookName();
        if (hook == null || hook.isEmpty()) {
            throw new IllegalArgumentException("the SAE in " + b.sae + " names no hook; choose the store's hook "
                    + "with --hook (the store holds " + m.hooks().stream().map(StoreManifest.Hook::name).toList()
                    + ")");
        }
        if (m.dim(hook) != sae.dIn()) {
            throw new IllegalArgumentException("store hook '" + hook + "' has width " + m.dim(hook)
                    + " but the SAE in " + b.sae + " reads " + sae.dIn());
        }
        List<Integer> shards = new ArrayList<>();
        for (int i = 0; i < m.shards().size(); i++) {
            shards.add(i);
        }
        String dir = store.toString();
        String saePath = b.sae;
        Settings settings = new Settings(sae.dSae(), b.topK, b.window, b.samples, b.seed, m.labelNames());
        LatentStatsAccumulator stats = shards.isEmpty() ? settings.empty()
                : jsc.parallelize(shards, shards.size())
                        .map(i -> shardStats(dir, i, hook, saePath, settings))
                        .treeReduce((x, y) -> {
                            x.merge(y);
                            return x;
                        });
        if (b.out != null) {
            writeJson(stats, b.out, store, hook);
        }
        return stats;
    }

    /** The accumulator's settings, shipped to the executors. */
    record Settings(int width, int topK, int window, int samples, long seed, List<String> labels)
            implements java.io.Serializable {
        Settings {
            labels = List.copyOf(labels);
        }

        /** An empty accumulator following every latent. */
        LatentStatsAccumulator empty() {
            int[] all = new int[width];
            for (int i = 0; i < width; i++) {
                all[i] = i;
            }
            return new LatentStatsAccumulator(all, topK, window, window, samples, seed, labels);
        }
    }

    /** On an executor: the statistics of one shard. */
    static LatentStatsAccumulator shardStats(String dir, int shard, String hook, String saePath, Settings settings)
            throws IOException {
        Sae sae = ExecutorModels.sae(saePath);
        LatentStatsAccumulator stats = settings.empty();
        try (StoreReader reader = StoreReader.open(Path.of(dir))) {
            StoreManifest.Shard s = reader.manifest().shards().get(shard);
            RowBlock block = reader.read(hook, s.firstRow(), s.rows());
            addPrompts(stats, block, encode(sae, block));
        }
        return stats;
    }

    /** The codes of all rows of a block, encoded {@value #ENCODE_ROWS} rows at a time. */
    static SparseCodes encode(Sae sae, RowBlock block) {
        int d = block.dim();
        int rows = block.rows();
        List<SparseCodes> parts = new ArrayList<>();
        for (int r = 0; r < rows; r += ENCODE_ROWS) {
            int n = Math.min(ENCODE_ROWS, rows - r);
            parts.add(sae.encode(java.util.Arrays.copyOfRange(block.activations(), r * d, (r + n) * d), n));
        }
        int entries = parts.stream().mapToInt(SparseCodes::entries).sum();
        int[] start = new int[rows + 1];
        int[] index = new int[entries];
        float[] value = new float[entries];
        int row = 0;
        int at = 0;
        for (SparseCodes c : parts) {
            for (int q = 0; q < c.rows(); q++) {
                start[row + q + 1] = at + c.rowStart()[q + 1];
            }
            System.arraycopy(c.index(), 0, index, at, c.entries());
            System.arraycopy(c.value(), 0, value, at, c.entries());
            row += c.rows();
            at += c.entries();
        }
        return new SparseCodes(rows, sae.dSae(), start, index, value);
    }

    /**
     * Adds each prompt of a block (a run of rows with one prompt id) as one document; {@code codes} holds the
     * block's rows in order. Neither is modified.
     */
    static void addPrompts(LatentStatsAccumulator stats, RowBlock block, SparseCodes codes) {
        long[] prompts = block.promptIds();
        int nl = block.labelCount();
        for (int from = 0; from < block.rows(); ) {
            int to = from + 1;
            while (to < block.rows() && prompts[to] == prompts[from]) {
                to++;
            }
            stats.add(prompts[from], java.util.Arrays.copyOfRange(block.tokenIds(), from, to),
                    rows(codes, from, to), nl == 0 ? null : java.util.Arrays.copyOfRange(block.labels(), from * nl,
                            to * nl));
            from = to;
        }
    }

    /** Rows [from, to) of sparse codes. */
    static SparseCodes rows(SparseCodes c, int from, int to) {
        int base = c.rowStart()[from];
        int[] start = new int[to - from + 1];
        for (int q = 0; q <= to - from; q++) {
            start[q] = c.rowStart()[from + q] - base;
        }
        int end = c.rowStart()[to];
        return new SparseCodes(to - from, c.width(), start, java.util.Arrays.copyOfRange(c.index(), base, end),
                java.util.Arrays.copyOfRange(c.value(), base, end));
    }

    /**
     * Writes the statistics as JSON, atomically (temporary file, then rename): the job's settings and, per latent,
     * the object {@link DashboardWriter#json} writes for a dashboard (token texts when a tokenizer is given, else
     * {@code #id}).
     */
    void writeJson(LatentStatsAccumulator s, Path file, Path store, String hook) throws IOException {
        Tokenizer tok = b.tokenizerDir != null && Files.isRegularFile(b.tokenizerDir.resolve("tokenizer.json"))
                ? Tokenizer.load(b.tokenizerDir) : null;
        try {
            JsonObject o = new JsonObject();
            o.addProperty("store", store.toString());
            o.addProperty("sae", b.sae);
            o.addProperty("hook", hook);
            o.addProperty("rows", s.tokens());
            o.addProperty("prompts", s.documents());
            int width = s.latents().length;
            o.addProperty("width", width);
            JsonArray labels = new JsonArray();
            s.labelNames().forEach(labels::add);
            o.add("labels", labels);
            DashboardWriter w = new DashboardWriter(id -> tok != null ? tok.tokenText(id) : "#" + id,
                    tok != null ? ids -> tok.decode(ids, false) : null, "SAE " + b.sae + " at " + hook);
            JsonArray latents = new JsonArray();
            for (int i = 0; i < width; i++) {
                latents.add(w.json(s.summary(i), null));
            }
            o.add("latents", latents);
            Files.createDirectories(file.toAbsolutePath().getParent());
            AtomicFiles.writeString(file.toAbsolutePath(), new GsonBuilder().serializeNulls().setPrettyPrinting()
                    .create().toJson(o) + "\n");
        } finally {
            if (tok != null) {
                tok.close();
            }
        }
    }
}
