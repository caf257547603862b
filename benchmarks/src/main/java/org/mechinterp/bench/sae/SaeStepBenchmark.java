package org.mechinterp.bench.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.mechinterp.core.Interp;
import org.mechinterp.sae.model.SparseCodes;
import org.mechinterp.sae.train.Adam;
import org.mechinterp.sae.train.DenseKernels;
import org.mechinterp.sae.train.SaeParameters;
import org.mechinterp.sae.train.TopKKernels;
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
 * One TopK SAE training step (forward + all gradients) at d = 512, k = 32, batch B = 4096, n ∈ {8192, 32768}:
 * <ul>
 *   <li>{@code sparseStep}: the shipped kernels — encoder GEMM and TopK in libtorch, everything else from the k
 *       active latents in Java ({@link TopKKernels});</li>
 *   <li>{@code denseStep}: the dense formulation ({@link DenseKernels#topKStep}: four more B×d×n GEMMs);</li>
 *   <li>{@code encoderGemm}: the encoder GEMM alone, [B, d]×[d, n] on arrays already in native memory (2·B·d·n
 *       FLOPs; the floor any implementation pays);</li>
 *   <li>{@code encoderAndTopK}: the libtorch part of {@code sparseStep} (copy-in, GEMM, bias, TopK, copy-out); the
 *       rest of {@code sparseStep} is the O(B·k·d) Java backward;</li>
 *   <li>{@code adamUpdate}: the Adam update over all 2·n·d + n + d parameters (part of a full step, the same for
 *       both formulations).</li>
 * </ul>
 * Ratios to report: sparseStep/encoderGemm (goal ≤ ~1.3), denseStep/sparseStep, and GEMM GFLOP/s = 2Bdn/time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx12g", "-Dai.djl.offline=true", "--add-modules=jdk.incubator.vector"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SaeStepBenchmark {
    static final int D = 512;
    static final int K = 32;
    static final int B = 4096;

    @Param({"8192", "32768"})
    int n;

    SaeParameters p;
    SaeParameters grad;
    Adam adam;
    float[] x;
    NDManager manager;
    NDArray xNd;
    NDArray encNd;

    @Setup(Level.Trial)
    public void setUp() {
        Interp.configureDjl();
        SplittableRandom r = new SplittableRandom(1);
        p = new SaeParameters(D, n, false);
        for (int i = 0; i < p.wDec.length; i++) {
            p.wDec[i] = (float) (r.nextDouble() - 0.5);
        }
        Adam.normalizeDecoderRows(p);
        System.arraycopy(p.wDec, 0, p.encT, 0, p.wDec.length);
        grad = p.zerosLike();
        adam = new Adam(p, 0.9, 0.999, 1e-8);
        x = new float[B * D];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian());
        }
        manager = NDManager.newBaseManager();
        xNd = manager.create(FloatBuffer.wrap(x), new Shape(B, D));
        encNd = manager.create(FloatBuffer.wrap(p.encT), new Shape(n, D));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    @Benchmark
    public double sparseStep() {
        float[] xc = TopKKernels.centre(x, B, p.bDec);
        SparseCodes codes;
        try (NDManager m = NDManager.newBaseManager()) {
            codes = TopKKernels.selectTopK(TopKKernels.preActivations(m, xc, B, p), K);
        }
        return TopKKernels.forwardBackward(x, xc, B, p, codes, null, 0, grad).mse();
    }

    /** The libtorch part of {@code sparseStep} alone: copy-in, encoder GEMM, bias, per-row TopK, copy-out. */
    @Benchmark
    public int encoderAndTopK() {
        float[] xc = TopKKernels.centre(x, B, p.bDec);
        try (NDManager m = NDManager.newBaseManager()) {
            return TopKKernels.selectTopK(TopKKernels.preActivations(m, xc, B, p), K).entries();
        }
    }

    @Benchmark
    public double denseStep() {
        return DenseKernels.topKStep(x, B, p, K, grad).mse();
    }

    @Benchmark
    public float encoderGemm() {
        try (NDManager m = manager.newSubManager()) {
            NDArray z = xNd.matMul(encNd.transpose());
            z.attach(m);
            return z.getFloat(0, 0);
        }
    }

    @Benchmark
    public float adamUpdate() {
        adam.update(p, grad, 1e-12, 10);
        return p.wDec[0];
    }
}
