package org.mechinterp.spark;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.model.SparseCodes;
import org.mechinterp.sae.store.RowBlock;
import org.mechinterp.sae.store.StoreManifest;
import org.mechinterp.sae.store.StoreReader;

/**
 * Corpus-wide statistics of a trained SAE's latents ({@link LatentStats}: firing frequency, mean and max
 * activation, histogram, top-k contexts) over an activation store, one Spark task per shard: each task reads its
 * shard (checksum verified), encodes the rows with the SAE (loaded once per executor JVM, see
 * {@link ExecutorModels}) in blocks, and accumulates; the partial statistics are merged exactly on the way to the
 * driver, so the result does not depend on the partitioning. The store folder and the SAE folder must be readable
 * by every executor under the same path.
 */
public final class FeatureStatsJob {
    /** Rows encoded at once: bounds the [rows, width] pre-activations held in memory. */
    static final int ENCODE_ROWS = 1024;

    private final Builder b;

    private FeatureStatsJob(Builder b) {
        this.b = b;
    }

    /** A new builder. */
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
        private Path out;
        private Path tokenizerDir;

        private Builder() {
        }

        /** The activation store (required). */
        public Builder setStore(Path store) {
            this.store = store;
            return this;
        }

        /** The SAE folder, SAELens or sparsify layout (required). */
        public Builder setSae(String path) {
            this.sae = path;
            return this;
        }

        /** The store hook to encode (default: the SAE's own hook name). */
        public Builder optHook(String hook) {
            this.hook = hook;
            return this;
        }

        /** Contexts kept per latent (default 10). */
        public Builder optTopK(int k) {
            this.topK = k;
            return this;
        }

        /** Tokens kept either side of a top context, within its prompt (default 8). */
        public Builder optWindow(int tokens) {
            this.window = tokens;
            return this;
        }

        /** Where to write the statistics as JSON (default: not written). */
        public Builder optOut(Path json) {
            this.out = json;
            return this;
        }

        /** A model folder whose tokenizer decodes the contexts' text in the JSON (default: token ids only). */
        public Builder optTokenizer(Path modelDir) {
            this.tokenizerDir = modelDir;
            return this;
        }

        /**
         * Validates the settings.
         *
         * @throws IllegalArgumentException for a missing store or SAE, or negative top-k or window
         */
        public FeatureStatsJob build() {
            Objects.requireNonNull(store, "setStore(folder) is required");
            Objects.requireNonNull(sae, "setSae(folder) is required");
            if (topK < 0 || window < 0) {
                throw new IllegalArgumentException("top-k and window must be ≥ 0, got " + topK + " and " + window);
            }
            return new FeatureStatsJob(this);
        }
    }

    /**
     * Computes the statistics (and writes the JSON when asked).
     *
     * @throws IllegalArgumentException if the store lacks the hook or its width differs from the SAE's input
     * @throws IOException for an unreadable or corrupt store (naming the shard)
     */
    public LatentStats run(SparkSession spark) throws IOException {
        try {
            return compute(JavaSparkContext.fromSparkContext(spark.sparkContext()));
        } catch (IOException e) {
            throw e;
        } catch (Exception e) { // SparkException is checked but thrown undeclared through Scala
            throw SparkErrors.unwrap(e);
        }
    }

    private LatentStats compute(JavaSparkContext jsc) throws IOException {
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
        int k = b.topK;
        int window = b.window;
        int width = sae.dSae();
        LatentStats stats = shards.isEmpty() ? new LatentStats(width, k, window)
                : jsc.parallelize(shards, shards.size())
                        .map(i -> shardStats(dir, i, hook, saePath, width, k, window))
                        .treeReduce(LatentStats::merge);
        if (b.out != null) {
            writeJson(stats, b.out, store, hook);
        }
        return stats;
    }

    /** On an executor: the statistics of one shard. */
    static LatentStats shardStats(String dir, int shard, String hook, String saePath, int width, int k, int window)
            throws IOException {
        Sae sae = ExecutorModels.sae(saePath);
        LatentStats stats = new LatentStats(width, k, window);
        try (StoreReader reader = StoreReader.open(Path.of(dir))) {
            StoreManifest.Shard s = reader.manifest().shards().get(shard);
            RowBlock block = reader.read(hook, s.firstRow(), s.rows());
            int d = block.dim();
            float[] x = new float[ENCODE_ROWS * d];
            for (int r = 0; r < block.rows(); r += ENCODE_ROWS) {
                int n = Math.min(ENCODE_ROWS, block.rows() - r);
                System.arraycopy(block.activations(), r * d, x, 0, n * d);
                SparseCodes codes = sae.encode(x, n);
                stats.add(block, r, codes);
            }
        }
        return stats;
    }

    /** Writes the statistics as JSON, atomically (temporary file, then rename). */
    void writeJson(LatentStats s, Path file, Path store, String hook) throws IOException {
        Tokenizer tok = b.tokenizerDir != null && Files.isRegularFile(b.tokenizerDir.resolve("tokenizer.json"))
                ? Tokenizer.load(b.tokenizerDir) : null;
        try {
            JsonObject o = new JsonObject();
            o.addProperty("store", store.toString());
            o.addProperty("sae", b.sae);
            o.addProperty("hook", hook);
            o.addProperty("rows", s.rows());
            o.addProperty("width", s.width());
            JsonArray edges = new JsonArray();
            for (int i = 0; i < LatentStats.BINS; i++) {
                edges.add(LatentStats.binLow(i));
            }
            o.add("histogram_bin_low", edges);
            JsonArray latents = new JsonArray();
            for (int i = 0; i < s.width(); i++) {
                JsonObject l = new JsonObject();
                l.addProperty("latent", i);
                l.addProperty("fires", s.fires(i));
                l.addProperty("frequency", s.frequency(i));
                l.addProperty("mean", s.mean(i));
                l.addProperty("max", s.max(i));
                JsonArray hist = new JsonArray();
                long[] h = s.histogram(i);
                for (int bin = 0; bin < h.length; bin++) {
                    if (h[bin] > 0) {
                        JsonArray pair = new JsonArray();
                        pair.add(bin);
                        pair.add(h[bin]);
                        hist.add(pair);
                    }
                }
                l.add("histogram", hist);
                JsonArray top = new JsonArray();
                for (LatentStats.Context c : s.top(i)) {
                    JsonObject t = new JsonObject();
                    t.addProperty("value", c.value());
                    t.addProperty("row", c.row());
                    t.addProperty("prompt_id", c.promptId());
                    t.addProperty("position", c.position());
                    JsonArray ids = new JsonArray();
                    for (int id : c.tokens()) {
                        ids.add(id);
                    }
                    t.add("tokens", ids);
                    t.addProperty("center", c.center());
                    if (tok != null) {
                        t.addProperty("text", tok.decode(c.tokens()));
                    }
                    top.add(t);
                }
                l.add("top", top);
                latents.add(l);
            }
            o.add("latents", latents);
            Path abs = file.toAbsolutePath();
            Files.createDirectories(abs.getParent());
            Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp");
            Files.writeString(tmp, new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n",
                    StandardCharsets.UTF_8);
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            if (tok != null) {
                tok.close();
            }
        }
    }
}
