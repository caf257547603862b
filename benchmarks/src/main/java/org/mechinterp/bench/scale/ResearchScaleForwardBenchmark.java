package org.mechinterp.bench.scale;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.mechinterp.core.Interp;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
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
 * One forward pass (batch 1) of a random-weight checkpoint at a real model's shape, beside the n=1024 F32 GEMM
 * of the same JVM, so their rates can be compared from one run: rate = {@link ScaleWorkloads#forwardFlops} / time.
 * The checkpoint is written by the random-checkpoint tool on first use (BF16, seed 0, in the temp folder).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar ResearchScaleForwardBenchmark -p model=qwen3-0.6b -p storage=auto</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Xss4m",
    "--add-modules=jdk.incubator.vector"})
public class ResearchScaleForwardBenchmark {
    @Param({"qwen3-0.6b"})
    public String model;

    @Param({"auto"})
    public String storage;

    @Param({"128", "1024"})
    public int tokens;

    HookedTransformer transformer;
    NDManager manager;
    TokenBatch batch;
    NDArray[] gemm;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Interp.configureDjl();
        transformer = ScaleWorkloads.load(ScaleWorkloads.checkpoint(model), storage);
        manager = NDManager.newBaseManager();
        batch = TokenBatch.of(ScaleWorkloads.tokens(transformer.config(), tokens, 7));
        gemm = ScaleWorkloads.gemmOperands(manager, 1024);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
        transformer.close();
    }

    @Benchmark
    public float forward() {
        return ScaleWorkloads.forward(transformer, batch, manager);
    }

    /** The reference rate: 2.1 GFLOP; the same JVM, threads and load as {@link #forward}. */
    @Benchmark
    public float gemm1024() {
        return ScaleWorkloads.gemm(gemm[0], gemm[1]);
    }
}
