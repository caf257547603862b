package org.mechinterp.bench.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.mechinterp.core.Interp;
import org.mechinterp.sae.train.InMemoryBatches;
import org.mechinterp.sae.train.TrainingRun;

/**
 * Companion to {@link SaeTrainingBenchmark} for a shared machine: one training step and one encoder GEMM per round,
 * interleaved, so both see the same background load; prints per kind the median over rounds of step/GEMM, the
 * minimum step and GEMM times and the tokens/s of the minimum and median step.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar org.mechinterp.bench.sae.SaeTrainingRatios \
 *     [rounds=20] [warmup=3] [d=2048] [n=16384] [k=64] [batch=4096] [kinds=sae,transcoder]</pre>
 */
public final class SaeTrainingRatios {
    private SaeTrainingRatios() {}

    public static void main(String[] args) throws Exception {
        int rounds = arg(args, 0, 20);
        int warmup = arg(args, 1, 3);
        int d = arg(args, 2, 2048);
        int n = arg(args, 3, 16384);
        int k = arg(args, 4, 64);
        int batch = arg(args, 5, 4096);
        String[] kinds = args.length > 6 ? args[6].split(",") : new String[] {"sae", "transcoder"};
        Interp.configureDjl();
        // "vector" needs --add-modules jdk.incubator.vector on the command line; the results are the same bits
        System.out.println("row kernels: " + org.mechinterp.sae.train.RowKernels.implementation());
        for (String kind : kinds) {
            InMemoryBatches[] holder = new InMemoryBatches[1];
            TrainingRun run = SaeTrainingBenchmark.start(kind, d, n, k, batch, holder);
            double[] step = new double[rounds];
            double[] gemm = new double[rounds];
            try (NDManager manager = NDManager.newBaseManager(); InMemoryBatches data = holder[0]) {
                SplittableRandom r = new SplittableRandom(2);
                float[] x = new float[batch * d];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextGaussian();
                }
                NDArray xNd = manager.create(FloatBuffer.wrap(x), new Shape(batch, d));
                NDArray encNd = manager.create(FloatBuffer.wrap(run.parameters().encT), new Shape(n, d));
                for (int round = -warmup; round < rounds; round++) {
                    boolean gemmFirst = (round & 1) == 0;
                    double g = 0;
                    if (gemmFirst) {
                        g = timeGemm(manager, xNd, encNd);
                    }
                    long t0 = System.nanoTime();
                    run.step();
                    double s = (System.nanoTime() - t0) / 1e6;
                    if (!gemmFirst) {
                        g = timeGemm(manager, xNd, encNd);
                    }
                    if (round >= 0) {
                        step[round] = s;
                        gemm[round] = g;
                    }
                }
            }
            double[] ratio = new double[rounds];
            for (int i = 0; i < rounds; i++) {
                ratio[i] = step[i] / gemm[i];
            }
            double minStep = Arrays.stream(step).min().orElseThrow();
            System.out.printf(Locale.ROOT, "%s d=%d n=%d k=%d B=%d, %d rounds: step/GEMM median %.3f; step min %.1f "
                    + "median %.1f ms; GEMM min %.1f median %.1f ms; tokens/s %.0f (min step), %.0f (median step)%n",
                    kind, d, n, k, batch, rounds, median(ratio), minStep, median(step),
                    Arrays.stream(gemm).min().orElseThrow(), median(gemm), batch / (minStep / 1e3),
                    batch / (median(step) / 1e3));
        }
    }

    private static double timeGemm(NDManager manager, NDArray x, NDArray enc) {
        long t0 = System.nanoTime();
        try (NDManager m = manager.newSubManager()) {
            NDArray z = x.matMul(enc.transpose());
            z.attach(m);
            z.getFloat(0, 0);
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    private static int arg(String[] args, int i, int dflt) {
        return args.length > i ? Integer.parseInt(args[i]) : dflt;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }
}
