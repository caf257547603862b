package org.mechinterp.spark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.apache.spark.sql.SparkSession;
import org.mechinterp.sae.dashboard.LatentStatsAccumulator;
import org.mechinterp.sae.store.StoreManifest;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code interp spark capture|stats}: the Spark jobs from the command line, locally ({@code --master local[N]},
 * the default {@code local[*]}) or as the main class of the spark-submit jar on a cluster (where spark-submit sets
 * the master: leave {@code --master} out). Usage errors exit 2, job failures 1 with the task's message.
 */
@Command(name = "interp spark", mixinStandardHelpOptions = true,
        description = "Activation capture and SAE feature statistics on Apache Spark.",
        subcommands = {SparkCli.Capture.class, SparkCli.Stats.class})
public final class SparkCli implements Runnable {
    /**
     * Runs the command line and exits the JVM with its code (0 success, 1 job failure, 2 usage error).
     *
     * @param args the command and its options, e.g. {@code capture --model DIR --corpus PATH ...}
     */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /**
     * Runs the command line in-process, without exiting the JVM; the one-line summary of a finished job goes to
     * standard output, usage and error messages to standard error.
     *
     * @param args the command and its options, as for {@link #main(String[])}; not modified
     * @return the exit code: 0 success, 1 job failure (its message printed), 2 usage error
     */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(SparkCli.class);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("interp spark: " + e.getMessage());
            return 1;
        });
        return cl.execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }

    /** Options of both commands: where Spark runs. */
    abstract static class SparkCommand {
        @Option(names = "--master", paramLabel = "URL",
                description = "Spark master, e.g. local[4]. Default: as spark-submit set it, else local[*].")
        String master;

        @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "Extra Spark settings (repeatable).")
        List<String> conf = new ArrayList<>();

        /** Runs {@code body} with a session: this command's own (stopped after) or one already active. */
        <T> T withSpark(String app, SparkFunction<T> body) throws Exception {
            boolean own = SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
            SparkSession.Builder sb = SparkSession.builder().appName(app);
            if (System.console() != null) {
                sb.config("spark.ui.showConsoleProgress", "true"); // Spark's stage bar on a terminal
            }
            if (master != null) {
                sb.master(master);
            } else if (System.getProperty("spark.master") == null) {
                sb.master("local[*]");
            }
            for (String kv : conf) {
                int eq = kv.indexOf('=');
                if (eq < 1) {
                    throw new CommandLine.ParameterException(new CommandLine(this),
                            "--conf needs KEY=VALUE, got " + kv);
                }
                sb.config(kv.substring(0, eq), kv.substring(eq + 1));
            }
            SparkSession spark = sb.getOrCreate();
            try {
                return body.apply(spark);
            } finally {
                if (own) {
                    spark.stop();
                }
            }
        }
    }

    /** A job run with a session. */
    @FunctionalInterface
    interface SparkFunction<T> {
        T apply(SparkSession spark) throws Exception;
    }

    /** {@code interp spark capture}. */
    @Command(name = "capture", mixinStandardHelpOptions = true,
            description = {"Capture activations at hook points over a corpus into an activation store, on Spark. "
                    + "Same store (and, for the same corpus and settings, the same shard bytes) as interp capture; "
                    + "re-running into an incomplete store resumes it.",
                    "Corpus: a .txt/.jsonl file, folder or glob at any Hadoop path (compressed files too), or a "
                            + "Parquet/CSV table with --table-format."},
            // each example line is under 80 columns, so picocli's wrapping never breaks one mid-argument
            footer = {"", "Examples:",
                    "  interp spark capture --master 'local[2]' \\",
                    "      --model /models/stories260K --corpus c.jsonl \\",
                    "      --hooks blocks.2.hook_resid_post --out store",
                    "  spark-submit --class org.mechinterp.spark.SparkCli \\",
                    "      interp-spark-*-spark-submit.jar capture \\",
                    "      --model /shared/models/Qwen3-0.6B --corpus s3a://bucket/corpus/ \\",
                    "      --hooks blocks.14.hook_resid_post --out /shared/stores/qwen-l14"})
    static final class Capture extends SparkCommand implements Callable<Integer> {
        @Option(names = "--model", paramLabel = "DIR", required = true,
                description = "Hugging Face model folder, at the same path on every executor.")
        String model;

        @Option(names = "--corpus", paramLabel = "PATH", required = true, description = "The corpus.")
        String corpus;

        @Option(names = "--hooks", paramLabel = "NAME", required = true, split = ",",
                description = "Hook point names, comma-separated.")
        List<String> hooks;

        @Option(names = "--out", paramLabel = "STORE", required = true,
                description = "Store folder on a file system the driver and every executor share.")
        Path out;

        @Option(names = "--context", paramLabel = "N", description = "Keep the first N tokens of each prompt.")
        int context;

        @Option(names = "--max-tokens", paramLabel = "N", description = "Stop after N rows in total (default: all).")
        long maxTokens;

        @Option(names = "--prompts-per-pass", paramLabel = "N", description = "Prompts per forward pass (default 8).")
        int promptsPerPass = 8;

        @Option(names = "--shard-rows", paramLabel = "N", description = "Rows per shard (default: about 256 MiB).")
        int shardRows;

        @Option(names = "--table-format", paramLabel = "parquet|csv",
                description = "Read the corpus as a table with a text column and label columns.")
        String tableFormat;

        @Option(names = "--text-column", paramLabel = "NAME", description = "Table: the text column (default text).")
        String textColumn = "text";

        @Option(names = "--label-columns", paramLabel = "NAME", split = ",",
                description = "Table: label columns, each an array of numbers per token.")
        List<String> labelColumns = new ArrayList<>();

        @Option(names = "--order-column", paramLabel = "NAME",
                description = "Table: the column giving prompt order (required for CSV; Parquet defaults to file "
                        + "and row order).")
        String orderColumn;

        @Override
        public Integer call() throws Exception {
            CaptureJob.Builder b = CaptureJob.builder().setModel(model).setCorpus(corpus).setHooks(hooks).setOut(out)
                    .optContext(context).optPromptsPerPass(promptsPerPass).optShardRows(shardRows).optMaxTokens(maxTokens);
            if (tableFormat != null) {
                b.optTable(tableFormat, textColumn, labelColumns, orderColumn);
            }
            CaptureJob job = b.build();
            StoreManifest m = withSpark("interp capture", job::run);
            System.out.printf("captured %d rows from %d prompts into %d shards in %s%n", m.totalRows(),
                    m.promptsCompleted(), m.shards().size(), out.toAbsolutePath());
            return 0;
        }
    }

    /** {@code interp spark stats}. */
    @Command(name = "stats", mixinStandardHelpOptions = true,
            description = "Per-latent statistics of an SAE over an activation store, on Spark: firing frequency, "
                    + "mean, sd and max activation, histogram, top-k contexts, sampled contexts, label correlations; "
                    + "written as JSON (per latent the object of sae dashboard's dashboard.json).",
            footer = {"", "Example:",
                    "  interp spark stats --master 'local[2]' --store store --sae my-sae \\",
                    "      --out stats.json"})
    static final class Stats extends SparkCommand implements Callable<Integer> {
        @Option(names = "--store", paramLabel = "STORE", required = true, description = "The activation store.")
        Path store;

        @Option(names = "--sae", paramLabel = "DIR", required = true,
                description = "SAE folder (SAELens or sparsify layout).")
        String sae;

        @Option(names = "--hook", paramLabel = "NAME", description = "Store hook to encode (default: the SAE's).")
        String hook;

        @Option(names = "--top-k", paramLabel = "K", description = "Contexts per latent (default 10).")
        int topK = 10;

        @Option(names = "--window", paramLabel = "N", description = "Tokens either side of a context (default 8).")
        int window = 8;

        @Option(names = "--samples", paramLabel = "N",
                description = "Sampled contexts per activation range, as in sae dashboard (default 0).")
        int samples;

        @Option(names = "--seed", paramLabel = "S", description = "Sampling seed (default 0).")
        long seed;

        @Option(names = "--tokenizer", paramLabel = "DIR",
                description = "Model folder whose tokenizer decodes the contexts (default: the store's model "
                        + "folder, when it is here).")
        Path tokenizer;

        @Option(names = "--out", paramLabel = "FILE", required = true, description = "The JSON to write.")
        Path out;

        @Override
        public Integer call() throws Exception {
            Path tok = tokenizer;
            if (tok == null) {
                String p = StoreManifest.read(store).model() == null ? null : StoreManifest.read(store).model().path();
                tok = p == null || p.isEmpty() ? null : Path.of(p);
            }
            FeatureStatsJob.Builder b = FeatureStatsJob.builder().setStore(store).setSae(sae).optTopK(topK)
                    .optWindow(window).optSamples(samples).optSeed(seed).optOut(out);
            if (hook != null) {
                b.optHook(hook);
            }
            if (tok != null) {
                b.optTokenizer(tok);
            }
            FeatureStatsJob job = b.build();
            LatentStatsAccumulator s = withSpark("interp stats", job::run);
            int width = s.latents().length;
            long alive = 0;
            for (int i = 0; i < width; i++) {
                alive += s.summary(i).fired() > 0 ? 1 : 0;
            }
            System.out.printf("statistics of %d latents (%d fired) over %d rows written to %s%n", width, alive,
                    s.tokens(), out.toAbsolutePath());
            return 0;
        }
    }
}
