package org.mechinterp.bench.jacobian;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.mechinterp.bench.scale.ScaleWorkloads;
import org.mechinterp.core.Interp;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.jacobian.AttributionRequest;
import org.mechinterp.jacobian.Attributor;
import org.mechinterp.jacobian.BatchAttributor;
import org.mechinterp.jacobian.Method;
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
 * Attribution throughput at a real shape: one {@link BatchAttributor} batch of {@code batch} prompts of
 * {@code tokens} seeded random ids each, on a random-weight checkpoint ({@link ScaleWorkloads#checkpoint}, default
 * the Qwen3-0.6B shape, V = 151,936). One operation is a whole batch, scores returned to Java, so
 * prompts/s = 1000 · batch / (ms per op). {@code forward} is one batch-1 forward pass of the same JVM, the unit of
 * the ratio "one prompt's Semantic scope ≤ 2.5× its forward pass".
 *
 * <p>Methods: {@code semantic}, {@code temperature} (one forward + one backward per batch), {@code fisher1},
 * {@code fisher4} (rank-1 / rank-4: one forward, Lanczos per prompt on F_y with engine GEMMs against W_U, then one
 * backward over batch·k rows).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar BatchScopesBenchmark -p tokens=64 -p batch=1,8 -p method=semantic</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Xss4m"})
public class BatchScopesBenchmark {
    @Param({"qwen3-0.6b"})
    public String model;

    @Param({"auto"})
    public String storage;

    @Param({"64", "256"})
    public int tokens;

    @Param({"1", "8"})
    public int batch;

    @Param({"semantic", "temperature", "fisher1", "fisher4"})
    public String method;

    HookedTransformer transformer;
    NDManager manager;
    BatchAttributor attributor;
    List<AttributionRequest> prompts;
    TokenBatch single;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Interp.configureDjl();
        transformer = ScaleWorkloads.load(ScaleWorkloads.checkpoint(model), storage);
        manager = NDManager.newBaseManager();
        prompts = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            prompts.add(AttributionRequest.of(ScaleWorkloads.tokens(transformer.config(), tokens, 7 + i)));
        }
        single = TokenBatch.of(prompts.get(0).tokens());
        boolean fisher = method.startsWith("fisher");
        Attributor a = Attributor.builder().setModel(transformer).optMaxRows(Math.max(8, batch * 4))
                .optFisherRank(fisher ? Integer.parseInt(method.substring("fisher".length())) : 1).build();
        attributor = new BatchAttributor(a, fisher ? Method.FISHER : Method.fromId(method), batch);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
        transformer.close();
    }

    /** One batch through the attributor; returns a score so nothing is dead code. */
    @Benchmark
    public double scopes() throws Exception {
        double[] sum = new double[1];
        attributor.run(prompts.iterator(), (i, r) -> sum[0] += r.score(0), null);
        return sum[0];
    }

    /** One batch-1 forward pass of the first prompt (the ratio's unit; independent of {@code batch}). */
    @Benchmark
    public float forward() {
        return ScaleWorkloads.forward(transformer, single, manager);
    }
}
