package org.mechinterp.bench.scale;

import java.io.IOException;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Greedy generation at a real model's shape: {@code newTokens} tokens after a {@code prompt}-token prompt, with
 * the KV cache and by full recomputation of the sequence at every step (the two give the same ids; tested in
 * interp-core's GeneratorTest). Full recomputation at prompt 128 + 64 tokens of Qwen3-0.6B takes minutes per
 * invocation, hence one measured invocation.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar ResearchScaleGenerationBenchmark -p model=qwen3-0.6b</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Xss4m",
    "--add-modules=jdk.incubator.vector"})
public class ResearchScaleGenerationBenchmark {
    @Param({"qwen3-0.6b"})
    public String model;

    @Param({"auto"})
    public String storage;

    @Param({"128"})
    public int prompt;

    @Param({"64"})
    public int newTokens;

    HookedTransformer transformer;
    int[] ids;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Interp.configureDjl();
        transformer = ScaleWorkloads.load(ScaleWorkloads.checkpoint(model), storage);
        ids = ScaleWorkloads.tokens(transformer.config(), prompt, 11);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        transformer.close();
    }

    @Benchmark
    public int cached() {
        return ScaleWorkloads.generate(transformer, ids, newTokens, true);
    }

    @Benchmark
    public int recomputed() {
        return ScaleWorkloads.generate(transformer, ids, newTokens, false);
    }
}
