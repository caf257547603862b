package org.mechinterp.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.mechinterp.core.Interp;
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
 * fp32 square matmul C = A·B through DJL's PyTorch engine: the ceiling the forward pass is compared against.
 * GFLOP/s = 2n³ / time. The product is made in a sub-manager closed in the benchmark method.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true"})
public class GemmBenchmark {
    @Param({"512", "1024", "2048"})
    public int n;

    NDManager manager;
    NDArray a;
    NDArray b;

    @Setup(Level.Trial)
    public void setUp() {
        Interp.configureDjl();
        manager = NDManager.newBaseManager();
        a = random(n, 1L);
        b = random(n, 2L);
    }

    private NDArray random(int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] v = new float[size * size];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
        }
        NDArray x = manager.create(v, new Shape(size, size));
        if (x.getDataType() != DataType.FLOAT32) {
            throw new IllegalStateException("expected fp32, got " + x.getDataType());
        }
        return x;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    @Benchmark
    public float matmul() {
        try (NDManager sub = manager.newSubManager()) {
            NDArray c = a.matMul(b);
            c.attach(sub);
            return c.getFloat(n - 1, n - 1);
        }
    }
}
