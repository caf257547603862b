package org.mechinterp.bench.jacobian;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.mechinterp.core.Interp;
import org.mechinterp.jacobian.Softmax;
import org.mechinterp.jacobian.fisher.DenseEigen;
import org.mechinterp.jacobian.fisher.EigenPairs;
import org.mechinterp.jacobian.fisher.FisherOperator;
import org.mechinterp.jacobian.fisher.Lanczos;
import org.mechinterp.jacobian.fisher.NDArrayFisherOperator;
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
 * The eigen-part of the rank-1 Fisher Scope at V = 32,000 and d = 512 / 1024: the top eigenpair (λ₁, u₁) of
 * F_y = W(diag p − ppᵀ)Wᵀ, which is all the rank-1 scores λ₁‖u₁ᵀJ_τ‖² need besides one backward pass (identical for
 * both paths, so left out). W_U [d,V] is N(0, 1/d) and p = softmax(4·g), g ~ N(0,1) (seeded).
 * <ul>
 *   <li>{@code matrixFree}: Lanczos on engine products F·v (two float32 passes over W per product), tolerance
 *   1e-5 relative residual;</li>
 *   <li>{@code denseBuild}: forming F densely as published: (W·diag p)·Wᵀ − μμᵀ with one float32 GEMM
 *   (2·V·d² flops), copied to Java;</li>
 *   <li>{@code denseBuildAndEigen}: the same plus the EJML symmetric eigendecomposition (O(d³)) for u₁.</li>
 * </ul>
 * Setup checks that both give the same rank-1 scores to 1e-4 relative on 8 random J_τ and prints the figures.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Xss4m", "-Xmx6g"})
public class FisherBenchmark {
    static final int V = 32000;

    @Param({"512", "1024"})
    public int d;

    NDManager manager;
    NDArray w;
    double[] p;
    Lanczos lanczos;

    @Setup(Level.Trial)
    public void setUp() {
        Interp.configureDjl();
        manager = NDManager.newBaseManager();
        SplittableRandom random = new SplittableRandom(2026L);
        float[] values = new float[d * V];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() / Math.sqrt(d));
        }
        w = manager.create(values, new Shape(d, V));
        double[] logits = new double[V];
        for (int i = 0; i < V; i++) {
            logits[i] = 4 * random.nextGaussian();
        }
        p = Softmax.probabilities(logits);
        lanczos = Lanczos.builder().setRank(1).optTolerance(1e-5).build();
        EigenPairs free;
        try (FisherOperator op = new NDArrayFisherOperator(w, p)) {
            free = lanczos.top(op);
        }
        EigenPairs dense = DenseEigen.symmetric(denseFisher());
        double worst = 0;
        for (int k = 0; k < 8; k++) {
            double[][] jac = new double[d][d];
            for (double[] row : jac) {
                for (int i = 0; i < d; i++) {
                    row[i] = random.nextGaussian();
                }
            }
            double a = score(free, jac);
            double b = score(dense, jac);
            worst = Math.max(worst, Math.abs(a - b) / Math.abs(b));
        }
        double pMax = 0;
        double entropy = 0;
        for (double x : p) {
            pMax = Math.max(pMax, x);
            entropy -= x > 0 ? x * Math.log(x) : 0;
        }
        System.err.printf("# d=%d V=%d: p_max %.4f, entropy %.3f nats; λ1 %.6g (dense %.6g), λ2/λ1 (dense) %.4f; "
                + "Lanczos products %d, relative residual %.2e; worst rank-1 score difference %.2e%n", d, V, pMax,
                entropy, free.values()[0], dense.values()[0], dense.values()[1] / dense.values()[0], free.products(),
                free.maxRelativeResidual(), worst);
        if (!(worst <= 1e-4)) {
            throw new IllegalStateException("matrix-free and dense rank-1 scores differ by " + worst);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    @Benchmark
    public double matrixFree() {
        try (FisherOperator op = new NDArrayFisherOperator(w, p)) {
            return lanczos.top(op).values()[0];
        }
    }

    @Benchmark
    public double denseBuild() {
        return denseFisher()[0][0];
    }

    @Benchmark
    public double denseBuildAndEigen() {
        return DenseEigen.symmetric(denseFisher()).values()[0];
    }

    /** F = (W ⊙ p)·Wᵀ − μμᵀ in float32 on the engine, copied to Java as [d][d]. */
    double[][] denseFisher() {
        try (NDManager m = manager.newSubManager()) {
            float[] pf = new float[V];
            for (int i = 0; i < V; i++) {
                pf[i] = (float) p[i];
            }
            NDArray pRow = m.create(pf, new Shape(1, V));
            NDArray wt = w.transpose();
            wt.attach(m);
            NDArray wp = pRow.mul(w);                  // [d,V], lands in m (first operand)
            NDArray mu = pRow.matMul(wt);              // [1,d]
            NDArray f = wp.matMul(wt).sub(mu.transpose().matMul(mu));
            double[] flat = f.toType(DataType.FLOAT64, false).toDoubleArray();
            double[][] out = new double[d][];
            for (int r = 0; r < d; r++) {
                out[r] = java.util.Arrays.copyOfRange(flat, r * d, (r + 1) * d);
            }
            return out;
        }
    }

    private static double score(EigenPairs e, double[][] jac) {
        double[] u = e.vectors()[0];
        double s = 0;
        int d = u.length;
        for (int i = 0; i < d; i++) {
            double c = 0;
            for (int j = 0; j < d; j++) {
                c += u[j] * jac[j][i];
            }
            s += c * c;
        }
        return e.values()[0] * s;
    }
}
