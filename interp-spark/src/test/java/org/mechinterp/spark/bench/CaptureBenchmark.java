package org.mechinterp.spark.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.spark.sql.SparkSession;
import org.mechinterp.core.Interp;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.sae.store.ActivationCapture;
import org.mechinterp.sae.store.StoreManifest;
import org.mechinterp.spark.CaptureJob;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Capture of one corpus side by side: the single-JVM {@link ActivationCapture} ({@code ./interp capture}) and
 * {@link CaptureJob} on {@code local[2]}, same model, corpus, hooks and settings, each into a fresh store per
 * invocation. Single-shot time per capture of the whole corpus (rows are the same, so the ratio of times is the
 * ratio of throughputs). Model: {@code interp.bench.model} (default: the stories260K fixture).
 * See docs/PERFORMANCE.md for how to run it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xss4m", "-Dai.djl.offline=true", "-XX:+IgnoreUnrecognizedVMOptions",
        "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
        "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
        "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
        "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
        "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED", "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
        "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED", "-Djdk.reflect.useDirectMethodHandle=false"})
public class CaptureBenchmark {
    static final List<String> SENTENCES = List.of("Once upon a time there was a little girl named Lily.",
            "The dog ran to the park and played with a red ball all day.", "Tom was sad because it was raining.",
            "One day, a big bird came to the tree and sang a happy song.", "Mom made a cake for the party.",
            "The sun was hot, so they went to the beach to swim in the sea.");

    /** Prompts in the corpus. */
    @Param("256")
    public int prompts;

    /** Spark master of the distributed side. */
    @Param("local[2]")
    public String master;

    /** The hook captured. */
    @Param("blocks.2.hook_resid_post")
    public String hook;

    private Path dir;
    private Path corpus;
    private Path model;
    private HookedTransformer single;
    private Tokenizer tokenizer;
    private SparkSession spark;
    private Path out;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Interp.configureDjl();
        model = Path.of(System.getProperty("interp.bench.model", defaultModel())).toAbsolutePath();
        dir = Files.createTempDirectory("capture-bench");
        corpus = dir.resolve("corpus.txt");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < prompts; i++) {
            lines.add(SENTENCES.get(i % SENTENCES.size()) + " " + SENTENCES.get((i * 7 + 3) % SENTENCES.size()));
        }
        Files.write(corpus, lines, StandardCharsets.UTF_8);
        single = HookedTransformer.load(model);
        tokenizer = Tokenizer.load(model);
        spark = SparkSession.builder().master(master).appName("capture-bench").config("spark.ui.enabled", "false")
                .getOrCreate();
    }

    private static String defaultModel() {
        String shared = System.getProperty("interp.shared.dir", "../shared");
        return shared + "/fixtures/stories260K-llama";
    }

    @Setup(Level.Invocation)
    public void freshStore() throws IOException {
        out = Files.createTempDirectory(dir, "store");
        Files.delete(out);
    }

    @TearDown(Level.Invocation)
    public void deleteStore() throws IOException {
        delete(out);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        single.close();
        tokenizer.close();
        delete(dir);
    }

    /** {@code ./interp capture} in this JVM. */
    @Benchmark
    public StoreManifest singleJvm() throws IOException {
        return ActivationCapture.builder().setModel(single).optTokenizer(tokenizer).setCorpus(corpus).setOut(out)
                .setHooks(List.of(hook)).optProgress(false).build().run();
    }

    /** {@link CaptureJob} on the Spark master. */
    @Benchmark
    public StoreManifest spark() throws IOException {
        return CaptureJob.builder().setModel(model.toString()).setCorpus(corpus.toString()).setOut(out)
                .setHooks(List.of(hook)).build().run(spark);
    }

    private static void delete(Path p) throws IOException {
        if (p == null || !Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
