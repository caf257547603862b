package org.mechinterp.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.sae.store.ActivationCapture;
import org.mechinterp.sae.store.PassRunner;
import org.mechinterp.sae.store.StoreManifest;
import scala.Tuple2;

/**
 * Captures activations over a corpus on a Spark cluster into the same activation store as the single-machine
 * {@link ActivationCapture} ({@code ./interp capture}): same manifest, same shard names, and for the same corpus
 * and settings byte-identical shard files (see {@link ShardPlan}).
 *
 * <p>Jobs, in order: (1) count the lines and prompts of every split of the corpus ({@link TextCorpus}) or read
 * the table ({@link TableCorpus}); (2) hash the corpus; (3) on one executor, load the model, validate the hooks
 * and build the store settings; (4) parse and tokenize every prompt on the executors (every malformed line fails
 * the job, naming file and line, before anything is written), and count the rows of every pass; (5) on the
 * driver, plan the shards and write the initial manifest (no shards, incomplete); (6) one task per shard runs the
 * model ({@link ShardTask}) and writes its shard; (7) the driver checks that every planned shard is there and
 * writes the manifest, complete, last; stale temporary files are removed.
 *
 * <p>Re-running into the same folder resumes: shards already written are adopted, the others are captured; a
 * complete store is returned as is; other settings are refused. The store folder must be visible to the driver
 * and every executor under the same path (a shared file system); the corpus may be at any Hadoop-compatible path;
 * the model folder must be readable by every executor (or shipped with {@code --archives}).
 */
public final class CaptureJob {
    private final Builder b;

    private CaptureJob(Builder b) {
        this.b = b;
    }

    /**
     * Starts configuring a capture.
     *
     * @return a new builder with no required setting filled in and the optional ones at their defaults
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Configures a capture: {@code set*} are required, {@code opt*} optional. */
    public static final class Builder {
        private String model;
        private String corpus;
        private List<String> hooks;
        private Path out;
        private int context;
        private int shardRows;
        private int promptsPerPass = ActivationCapture.DEFAULT_PROMPTS_PER_PASS;
        private long maxTokens;
        private TableCorpus.Options table;

        private Builder() {
        }

        /**
         * Sets the model to run (required).
         *
         * @param path Hugging Face model folder, as every executor sees it (a local or shared path, not checked here)
         * @return this builder
         */
        public Builder setModel(String path) {
            this.model = path;
            return this;
        }

        /**
         * Sets the corpus to read (required).
         *
         * @param path a .txt/.jsonl file, folder or glob at any Hadoop-compatible path ({@code file:}, {@code hdfs:},
         *     {@code s3a:}, ...), or the table location when {@link #optTable} is set
         * @return this builder
         */
        public Builder setCorpus(String path) {
            this.corpus = path;
            return this;
        }

        /**
         * Sets the hook points to capture (required, at least one); each becomes one column group of the store.
         *
         * @param hooks hook point names as the model's hook registry spells them; copied, the caller's list is not
         *     kept or modified (null elements are refused with a {@link NullPointerException})
         * @return this builder
         */
        public Builder setHooks(List<String> hooks) {
            this.hooks = List.copyOf(hooks);
            return this;
        }

        /**
         * Sets where the store is written (required). A folder holding a store with the same settings is resumed;
         * any other non-empty folder is refused when the job runs.
         *
         * @param out the store folder, on a file system the driver and every executor see under the same path
         *     (made absolute against the driver's working directory)
         * @return this builder
         */
        public Builder setOut(Path out) {
            this.out = out;
            return this;
        }

        /**
         * Truncates every prompt to its first tokens (default 0: whole prompts).
         *
         * @param context tokens kept per prompt, counted after tokenization (special tokens included); 0 keeps all,
         *     negative values are refused by {@link #build()}
         * @return this builder
         */
        public Builder optContext(int context) {
            this.context = context;
            return this;
        }

        /**
         * Sets the target shard size. A shard ends after the first forward pass at which its rows reach the
         * target, so shards hold whole passes and usually a few rows more; the last shard takes the rest.
         *
         * @param rows activation rows (one per captured token) per shard; 0 (the default) picks about 256 MiB of
         *     activations per shard, as the single-machine capture does; negative values are refused by
         *     {@link #build()}
         * @return this builder
         */
        public Builder optShardRows(int rows) {
            this.shardRows = rows;
            return this;
        }

        /**
         * Caps the total number of rows captured; the prompt that reaches the cap keeps only its first tokens, as in
         * the single-machine capture.
         *
         * @param maxTokens total rows (tokens) over the whole corpus; 0 (the default) captures the whole corpus,
         *     negative values are refused by {@link #build()}
         * @return this builder
         */
        public Builder optMaxTokens(long maxTokens) {
            this.maxTokens = maxTokens;
            return this;
        }

        /**
         * Sets how many prompts one forward pass batches. Part of the store settings: the shard contents are
         * identical to a single-machine capture only with the same value.
         *
         * @param prompts prompts per forward pass, at least 1 (default
         *     {@value ActivationCapture#DEFAULT_PROMPTS_PER_PASS})
         * @return this builder
         */
        public Builder optPromptsPerPass(int prompts) {
            this.promptsPerPass = prompts;
            return this;
        }

        /**
         * Reads the corpus as a Parquet or CSV table instead of text lines (see {@link TableCorpus}); the columns are
         * checked against the table's schema when the job runs.
         *
         * @param format the table format, {@code parquet} or {@code csv}
         * @param textColumn the string column holding each prompt's text
         * @param labelColumns columns holding per-token label values (Parquet: number arrays; CSV: JSON arrays),
         *     stored as the store's label columns in this order; copied, the caller's list is not modified
         * @param orderColumn the column whose values fix the prompts' order (and so the shard contents), or null
         *     to order Parquet rows by file path and row position (CSV then fails: it has no stable order)
         * @return this builder
         */
        public Builder optTable(String format, String textColumn, List<String> labelColumns, String orderColumn) {
            this.table = new TableCorpus.Options(format, textColumn, List.copyOf(labelColumns), orderColumn);
            return this;
        }

        /**
         * Validates the settings.
         *
         * @return the configured job; later changes to this builder do not affect it
         * @throws NullPointerException if the model, corpus or store folder is not set
         * @throws IllegalArgumentException for no hooks, a negative context, max tokens or shard rows, or prompts
         *     per pass below 1
         */
        public CaptureJob build() {
            Objects.requireNonNull(model, "setModel(path) is required");
            Objects.requireNonNull(corpus, "setCorpus(path) is required");
            Objects.requireNonNull(out, "setOut(folder) is required");
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
            return new CaptureJob(this);
        }
    }

    /** What the model probe reports back from an executor. */
    record Probe(String settingsJson, int vocabSize, boolean learnedPositions, int maxPositions)
            implements Serializable {
    }

    /**
     * Runs (or resumes, or finds complete) the capture. Blocks until every Spark job has finished.
     *
     * @param spark the session whose context runs the jobs; used, not stopped
     * @return the store's final manifest, complete
     * @throws IllegalArgumentException for bad input, naming the file and line (malformed prompt, unreadable file),
     *     the folder and executor (missing model), or the difference (a store with other settings in the folder)
     * @throws IOException if the store folder cannot be listed, created or written, or an existing manifest cannot
     *     be read
     */
    public StoreManifest run(SparkSession spark) throws IOException {
        try {
            return capture(JavaSparkContext.fromSparkContext(spark.sparkContext()));
        } catch (IOException e) {
            throw e;
        } catch (Exception e) { // SparkException is checked but thrown undeclared through Scala
            throw SparkErrors.unwrap(e);
        }
    }

    private StoreManifest capture(JavaSparkContext jsc) throws IOException {
        Path out = b.out.toAbsolutePath();
        CorpusSource source = b.table != null ? TableCorpus.open(SparkSession.active(), b.corpus, b.table)
                : TextCorpus.open(jsc, b.corpus);
        log("reading corpus " + b.corpus);
        List<String> labelNames = source.labelNames();
        String sha = source.sha256();
        Probe probe = probe(jsc, labelNames, sha);
        StoreManifest wanted = StoreManifest.fromJson(probe.settingsJson());
        StoreManifest existing = null;
        if (Files.isRegularFile(out.resolve(StoreManifest.FILE_NAME))) {
            existing = StoreManifest.read(out);
            existing.requireResumable(wanted, out);
            if (existing.complete()) {
                return existing;
            }
        } else {
            requireEmptyFolder(out);
        }
        JavaRDD<PromptRow> prompts = source.prompts(b.model, probe.vocabSize(), b.context, labelNames)
                .persist(StorageLevel.MEMORY_AND_DISK_SER());
        try {
            int perPass = b.promptsPerPass;
            PassTotals totals = prompts.mapPartitions(it -> List.of(PassTotals.of(it, perPass)).iterator())
                    .reduce(PassTotals::merge);
            if (probe.learnedPositions() && totals.longest > probe.maxPositions()) {
                throw new IllegalArgumentException("corpus " + source.fileOfPrompt(totals.longestId) + " line "
                        + totals.longestLine + ": prompt of " + totals.longest + " tokens exceeds the model's "
                        + probe.maxPositions() + " learned positions; truncate with a context of at most "
                        + probe.maxPositions());
            }
            ShardPlan plan = b.maxTokens > 0
                    ? ShardPlan.capped(totals.passRows, totals.prompts, perPass, wanted.shardRows(), b.maxTokens,
                            k -> passLengths(prompts, perPass, k))
                    : ShardPlan.of(totals.passRows, totals.prompts, perPass, wanted.shardRows());
            StoreManifest manifest = existing != null ? existing : wanted;
            if (existing == null) {
                Files.createDirectories(out);
                manifest.commit(out, List.of(), false); // pins the settings, so that a re-run can resume
            }
            log("capturing " + plan.totalRows() + " rows from " + plan.totalPrompts() + " prompts into "
                    + plan.shards() + " shards in " + out);
            List<StoreManifest.Shard> shards = captureShards(prompts, plan, wanted, out, b.model);
            manifest.commit(out, shards, true);
            deleteStaleTemporaries(out);
            return StoreManifest.read(out);
        } finally {
            prompts.unpersist(false);
        }
    }

    private static List<StoreManifest.Shard> captureShards(JavaRDD<PromptRow> prompts, ShardPlan plan,
            StoreManifest settings, Path out, String model) {
        ShardTask task = new ShardTask(model, settings, out, plan);
        long total = plan.totalPrompts();
        List<Tuple2<Integer, StoreManifest.Shard>> done = prompts
                .filter(p -> p.id < total) // prompts past a --max-tokens cap
                .mapToPair(p -> new Tuple2<>(p.id, p))
                .partitionBy(new ShardPartitioner(plan))
                .mapPartitionsWithIndex((index, it) -> List.of(new Tuple2<>(index, task.run(index, it))).iterator(),
                        true)
                .collect();
        StoreManifest.Shard[] byIndex = new StoreManifest.Shard[plan.shards()];
        for (Tuple2<Integer, StoreManifest.Shard> t : done) {
            byIndex[t._1()] = t._2();
        }
        List<StoreManifest.Shard> shards = new ArrayList<>();
        for (int i = 0; i < byIndex.length; i++) {
            if (byIndex[i] == null || byIndex[i].rows() != plan.rows(i)) {
                throw new IllegalStateException("shard " + i + " was not written as planned");
            }
            shards.add(byIndex[i]);
        }
        return shards;
    }

    /** Token counts of the prompts of pass {@code k}, in id order (at most one pass's prompts reach the driver). */
    private static int[] passLengths(JavaRDD<PromptRow> prompts, int perPass, long k) {
        List<PromptRow> rows = new ArrayList<>(prompts.filter(p -> p.id / perPass == k).collect());
        rows.sort(java.util.Comparator.comparingLong(p -> p.id));
        return rows.stream().mapToInt(p -> p.tokens.length).toArray();
    }

    /** On one executor: loads the model, validates the hooks, and builds the store settings there. */
    private Probe probe(JavaSparkContext jsc, List<String> labelNames, String sha) {
        String model = b.model;
        List<String> hooks = b.hooks;
        String corpus = b.corpus;
        int context = b.context;
        int perPass = b.promptsPerPass;
        int shardRows = b.shardRows;
        long maxTokens = b.maxTokens;
        return jsc.parallelize(List.of(0), 1).map(x -> {
            ExecutorModels.Loaded loaded = ExecutorModels.model(model);
            synchronized (loaded) {
                PassRunner runner = PassRunner.create(loaded.model, hooks);
                StoreManifest m = StoreManifest.forCapture(loaded.model, model, runner.hooks(), runner.dims(),
                        labelNames, corpus, sha, context, maxTokens, perPass, shardRows);
                ModelConfig cfg = loaded.model.config();
                return new Probe(m.toJson(), cfg.vocabSize(), cfg.positions() == ModelConfig.Positions.LEARNED,
                        cfg.maxPositions());
            }
        }).collect().get(0);
    }

    private static void requireEmptyFolder(Path out) throws IOException {
        if (!Files.exists(out)) {
            return;
        }
        if (!Files.isDirectory(out)) {
            throw new IllegalArgumentException("store path " + out + " is a file, not a folder");
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(out)) {
            if (ds.iterator().hasNext()) {
                throw new IllegalArgumentException("store folder " + out
                        + " exists and is not empty, but holds no activation store manifest");
            }
        }
    }

    /** Removes temporary files of attempts that died (".NAME....tmp"); the shards listed stay. */
    private static void deleteStaleTemporaries(Path out) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(out, ".*.tmp")) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void log(String line) {
        System.err.println("interp-spark: " + line);
    }

    /** Sends prompt id → the task of its shard. */
    static final class ShardPartitioner extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final ShardPlan plan;

        ShardPartitioner(ShardPlan plan) {
            this.plan = plan;
        }

        @Override
        public int numPartitions() {
            return plan.shards();
        }

        @Override
        public int getPartition(Object key) {
            return plan.shardOf((Long) key);
        }
    }

    /** Rows per pass, prompt count and the longest prompt, mergeable across partitions. */
    static final class PassTotals implements Serializable {
        private static final long serialVersionUID = 1L;
        final Map<Long, Long> passRows = new TreeMap<>();
        long prompts;
        int longest;
        long longestId = -1;
        long longestLine;

        static PassTotals of(Iterator<PromptRow> it, int perPass) {
            PassTotals t = new PassTotals();
            while (it.hasNext()) {
                PromptRow p = it.next();
                t.passRows.merge(p.id / perPass, (long) p.tokens.length, Long::sum);
                t.prompts++;
                if (p.tokens.length > t.longest) {
                    t.longest = p.tokens.length;
                    t.longestId = p.id;
                    t.longestLine = p.line;
                }
            }
            return t;
        }

        PassTotals merge(PassTotals o) {
            o.passRows.forEach((k, v) -> passRows.merge(k, v, Long::sum));
            prompts += o.prompts;
            if (o.longest > longest) {
                longest = o.longest;
                longestId = o.longestId;
                longestLine = o.longestLine;
            }
            return this;
        }
    }
}
