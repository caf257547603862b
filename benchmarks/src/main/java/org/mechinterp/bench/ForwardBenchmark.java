package org.mechinterp.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.mechinterp.core.Interp;
import org.mechinterp.core.hooks.HookScope;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.model.ActivationCache;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.RandomWeights;
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
 * Forward pass of a ~34M-parameter random Llama-shaped model ({@link BenchModels#llama34m()}), batch 1, and what
 * hooks and caching add to it. Compare the four methods at the same {@code tokens} within one run:
 * <ul>
 *   <li>{@code forward}: no hook, no cache (hook points are pass-through);</li>
 *   <li>{@code cacheOnePoint}: {@code runWithCache} recording {@code blocks.3.hook_resid_post} only;</li>
 *   <li>{@code cacheAllPoints}: {@code runWithCache} recording every hook point;</li>
 *   <li>{@code identityHooksEverywhere}: {@code forward} with an identity hook on every point, nothing cached.</li>
 * </ul>
 * Every invocation returns one logit so that nothing is dead code; arrays made per invocation are freed in the
 * benchmark method (logits in a sub-manager closed there, caches closed there).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Xss4m"})
public class ForwardBenchmark {
    static final String ONE_POINT = HookNames.residPost(3);

    @Param({"64", "256"})
    public int tokens;

    HookedTransformer model;
    NDManager manager;
    TokenBatch batch;
    /** Identity hooks on every point, open only in the {@code identityHooksEverywhere} trials (see {@link Hooked}). */
    HookScope scope;
    int vocab;

    @Setup(Level.Trial)
    public void setUp() {
        Interp.configureDjl();
        ModelConfig config = BenchModels.llama34m();
        model = RandomWeights.model(config, 42L);
        manager = NDManager.newBaseManager();
        vocab = config.vocabSize();
        SplittableRandom random = new SplittableRandom(7L);
        int[] ids = new int[tokens];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = random.nextInt(config.vocabSize());
        }
        batch = TokenBatch.of(ids);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (scope != null) {
            scope.close();
            scope = null;
        }
        manager.close();
        model.close();
    }

    /** The last logit of the last position: a value that depends on the whole pass. */
    private float lastLogit(NDArray logits) {
        return logits.getFloat(0, tokens - 1, vocab - 1);
    }

    @Benchmark
    public float forward() {
        try (NDManager sub = manager.newSubManager()) {
            return lastLogit(model.forward(sub, batch));
        }
    }

    @Benchmark
    public float cacheOnePoint() {
        try (ActivationCache cache = model.runWithCache(batch, ONE_POINT::equals)) {
            return cache.get(ONE_POINT).getFloat(0, tokens - 1, 0) + lastLogit(cache.logits());
        }
    }

    @Benchmark
    public float cacheAllPoints() {
        try (ActivationCache cache = model.runWithCache(batch, name -> true)) {
            return cache.get(ONE_POINT).getFloat(0, tokens - 1, 0) + lastLogit(cache.logits());
        }
    }

    @Benchmark
    public float identityHooksEverywhere(Hooked hooked) {
        try (NDManager sub = manager.newSubManager()) {
            return lastLogit(model.forward(sub, batch)) + hooked.count;
        }
    }

    /**
     * Registers an identity hook on every hook point of the benchmark's model for the trial; only the
     * {@code identityHooksEverywhere} method asks for this state, so the other methods run hook-free.
     */
    @State(Scope.Thread)
    public static class Hooked {
        int count;

        @Setup(Level.Trial)
        public void register(ForwardBenchmark bench) {
            bench.scope = bench.model.hooks().scope();
            for (String name : bench.model.hookNames()) {
                bench.scope.add(name, (x, ctx) -> x);
            }
            count = bench.scope.size();
        }

        @TearDown(Level.Trial)
        public void unregister(ForwardBenchmark bench) {
            if (bench.scope != null) {
                bench.scope.close();
                bench.scope = null;
            }
        }
    }
}
