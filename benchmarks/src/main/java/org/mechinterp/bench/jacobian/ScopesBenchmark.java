package org.mechinterp.bench.jacobian;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.mechinterp.bench.BenchModels;
import org.mechinterp.core.Interp;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.RandomWeights;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.jacobian.AttributionRequest;
import org.mechinterp.jacobian.Attributor;
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
 * Cost of the Jacobian Scopes relative to one forward pass, on the ~34M-parameter random Llama-shaped model of
 * {@link BenchModels#llama34m()}, batch 1, one prompt of {@code tokens} random ids:
 * <ul>
 *   <li>{@code forward}: one forward pass (logits into a manager closed in the method);</li>
 *   <li>{@code semantic}, {@code temperature}: a complete {@link Attributor#attribute} call (a forward for y, p and
 *   the top-1, then one forward + backward for the VJP), scores returned to Java;</li>
 *   <li>{@code fisherRank1}: the same with the matrix-free rank-1 Fisher Scope (V = 8192 here);</li>
 *   <li>{@code integratedGradients20}: IG with 20 Gauss–Legendre steps (20 batched copies).</li>
 * </ul>
 * Goal: semantic and temperature ≤ 3× forward. Compare methods at the same {@code tokens} within one run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Xss4m"})
public class ScopesBenchmark {
    @Param({"64", "256"})
    public int tokens;

    HookedTransformer model;
    Attributor attributor;
    AttributionRequest request;
    TokenBatch batch;

    @Setup(Level.Trial)
    public void setUp() {
        Interp.configureDjl();
        ModelConfig config = BenchModels.llama34m();
        model = RandomWeights.model(config, 42L);
        SplittableRandom random = new SplittableRandom(7L);
        int[] ids = new int[tokens];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = random.nextInt(config.vocabSize());
        }
        batch = TokenBatch.of(ids);
        request = AttributionRequest.of(ids);
        attributor = Attributor.builder().setModel(model).optIgSteps(20).optMaxRows(20).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
    }

    @Benchmark
    public float forward() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = model.forward(m, batch);
            return logits.get(0, tokens - 1, 0).getFloat();
        }
    }

    @Benchmark
    public double semantic() {
        return attributor.attribute(Method.SEMANTIC, request).score(0);
    }

    @Benchmark
    public double temperature() {
        return attributor.attribute(Method.TEMPERATURE, request).score(0);
    }

    @Benchmark
    public double fisherRank1() {
        return attributor.attribute(Method.FISHER, request).score(0);
    }

    @Benchmark
    public double integratedGradients20() {
        return attributor.attribute(Method.INTEGRATED_GRADIENTS, request).score(0);
    }
}
