package org.mechinterp.bench.scale;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.mechinterp.core.Interp;
import org.mechinterp.core.model.HookedTransformer;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Loading a real-shape BF16 checkpoint with a warm page cache (the warm-up iterations read it once): config,
 * headers, memory guard and, for F32, the upcast of every tensor into libtorch memory. Returns the parameter count.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar ResearchScaleLoadBenchmark -p model=qwen3-0.6b</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 8)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Xss4m",
    "--add-modules=jdk.incubator.vector"})
public class ResearchScaleLoadBenchmark {
    @Param({"qwen3-0.6b"})
    public String model;

    @Param({"auto", "stored"})
    public String storage;

    Path dir;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Interp.configureDjl();
        dir = ScaleWorkloads.checkpoint(model);
    }

    @Benchmark
    public long load() throws IOException {
        try (HookedTransformer m = ScaleWorkloads.load(dir, storage)) {
            return m.config().parameterCount();
        }
    }
}
