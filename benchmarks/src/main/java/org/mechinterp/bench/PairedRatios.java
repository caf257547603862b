package org.mechinterp.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.mechinterp.core.Interp;
import org.mechinterp.core.hooks.HookScope;
import org.mechinterp.core.model.ActivationCache;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.RandomWeights;
import org.mechinterp.core.model.TokenBatch;

/**
 * Companion to the JMH benchmarks for a noisy, shared machine: runs the same operations as {@link ForwardBenchmark}
 * and {@link GemmBenchmark} <em>interleaved</em>, one invocation of each per round in a rotating order, so that all
 * variants see the same background load. Ratios are then taken per round (variant / forward of the same round) and
 * summarised by their median, which cancels load that drifts on the scale of seconds; the minimum over rounds is
 * reported as the best-case (least disturbed) time.
 *
 * <p>Unlike {@link ForwardBenchmark#identityHooksEverywhere}, the identity hooks are registered inside the timed
 * call (a few hundred map insertions, microseconds) so that the other variants of the round run hook-free.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar org.mechinterp.bench.PairedRatios [rounds] [warmupRounds]</pre>
 */
public final class PairedRatios {
    private PairedRatios() {}

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Interp.useOfflineMode();
        ModelConfig config = BenchModels.llama34m();
        System.out.println("engine " + Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion()
                + ", intra-op threads " + JniUtils.getNumThreads() + ", inter-op threads "
                + JniUtils.getNumInteropThreads());
        System.out.println(config + ", " + String.format("%,d", config.parameterCount()) + " parameters");

        try (HookedTransformer model = RandomWeights.model(config, 42L);
                NDManager manager = NDManager.newBaseManager()) {
            Map<String, DoubleSupplier> ops = new LinkedHashMap<>();
            double[] sink = new double[1];
            String point = ForwardBenchmark.ONE_POINT;
            for (int t : new int[] {64, 256}) {
                TokenBatch batch = batch(config, t);
                int last = t - 1;
                int v = config.vocabSize() - 1;
                ops.put("forward T=" + t, () -> {
                    try (NDManager sub = manager.newSubManager()) {
                        return model.forward(sub, batch).getFloat(0, last, v);
                    }
                });
                ops.put("cacheOnePoint T=" + t, () -> {
                    try (ActivationCache c = model.runWithCache(batch, point::equals)) {
                        return c.get(point).getFloat(0, last, 0) + c.logits().getFloat(0, last, v);
                    }
                });
                ops.put("cacheAllPoints T=" + t, () -> {
                    try (ActivationCache c = model.runWithCache(batch, name -> true)) {
                        return c.get(point).getFloat(0, last, 0) + c.logits().getFloat(0, last, v);
                    }
                });
                ops.put("identityHooksEverywhere T=" + t, () -> {
                    try (HookScope scope = model.hooks().scope(); NDManager sub = manager.newSubManager()) {
                        for (String name : model.hookNames()) {
                            scope.add(name, (x, ctx) -> x);
                        }
                        return model.forward(sub, batch).getFloat(0, last, v) + scope.size();
                    }
                });
            }
            for (int n : new int[] {512, 1024, 2048}) {
                NDArray a = square(manager, n, 1L);
                NDArray b = square(manager, n, 2L);
                ops.put("gemm n=" + n, () -> {
                    try (NDManager sub = manager.newSubManager()) {
                        NDArray c = a.matMul(b);
                        c.attach(sub);
                        return c.getFloat(n - 1, n - 1);
                    }
                });
            }

            List<String> names = new ArrayList<>(ops.keySet());
            double[][] ms = new double[names.size()][rounds];
            for (int r = -warmup; r < rounds; r++) {
                for (int k = 0; k < names.size(); k++) {
                    int i = Math.floorMod(k + r, names.size()); // rotate the order every round
                    long start = System.nanoTime();
                    sink[0] += ops.get(names.get(i)).getAsDouble();
                    long ns = System.nanoTime() - start;
                    if (r >= 0) {
                        ms[i][r] = ns / 1e6;
                    }
                }
            }
            report(config, names, ms);
            System.out.println("(checksum " + sink[0] + "; hooks left registered: " + model.hooks().size() + ")");
        }
    }

    private static void report(ModelConfig config, List<String> names, double[][] ms) {
        int rounds = ms[0].length;
        System.out.printf("%n%d rounds; times in ms%n", rounds);
        System.out.printf("%-30s %9s %9s %9s %9s %9s%n", "op", "min", "p25", "median", "p75", "mean");
        for (int i = 0; i < names.size(); i++) {
            double[] s = ms[i].clone();
            Arrays.sort(s);
            System.out.printf("%-30s %9.2f %9.2f %9.2f %9.2f %9.2f%n", names.get(i), s[0], pct(s, 0.25), pct(s, 0.5),
                    pct(s, 0.75), Arrays.stream(s).average().orElse(Double.NaN));
        }
        System.out.printf("%nRatios to forward at the same T: per-round ratio median [p25, p75]; ratio of minima%n");
        for (int t : new int[] {64, 256}) {
            int f = names.indexOf("forward T=" + t);
            for (String variant : new String[] {"cacheOnePoint", "cacheAllPoints", "identityHooksEverywhere"}) {
                int i = names.indexOf(variant + " T=" + t);
                double[] ratio = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    ratio[r] = ms[i][r] / ms[f][r];
                }
                Arrays.sort(ratio);
                System.out.printf("%-30s %+7.1f%% [%+7.1f%%, %+7.1f%%]; minima %+7.1f%%%n", variant + " T=" + t,
                        100 * (pct(ratio, 0.5) - 1), 100 * (pct(ratio, 0.25) - 1), 100 * (pct(ratio, 0.75) - 1),
                        100 * (min(ms[i]) / min(ms[f]) - 1));
            }
        }
        System.out.printf("%nGFLOP/s from the minimum and the median time%n");
        double bestGemm = 0;
        double bestGemmMedian = 0;
        for (int n : new int[] {512, 1024, 2048}) {
            int i = names.indexOf("gemm n=" + n);
            double flops = 2.0 * n * n * (double) n;
            double gMin = flops / (min(ms[i]) * 1e6);
            double gMed = flops / (median(ms[i]) * 1e6);
            bestGemm = Math.max(bestGemm, gMin);
            bestGemmMedian = Math.max(bestGemmMedian, gMed);
            System.out.printf("gemm n=%-5d %8.1f (min) %8.1f (median)%n", n, gMin, gMed);
        }
        for (int t : new int[] {64, 256}) {
            int i = names.indexOf("forward T=" + t);
            double flops = BenchModels.forwardFlops(config, t);
            double gMin = flops / (min(ms[i]) * 1e6);
            double gMed = flops / (median(ms[i]) * 1e6);
            System.out.printf("forward T=%-4d %8.1f (min) %8.1f (median); %.0f%% / %.0f%% of the best gemm%n", t,
                    gMin, gMed, 100 * gMin / bestGemm, 100 * gMed / bestGemmMedian);
        }
    }

    private static TokenBatch batch(ModelConfig config, int t) {
        SplittableRandom random = new SplittableRandom(7L);
        int[] ids = new int[t];
        for (int i = 0; i < t; i++) {
            ids[i] = random.nextInt(config.vocabSize());
        }
        return TokenBatch.of(ids);
    }

    private static NDArray square(NDManager manager, int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] v = new float[n * n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return manager.create(v, new Shape(n, n));
    }

    private static double min(double[] x) {
        return Arrays.stream(x).min().orElse(Double.NaN);
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return pct(s, 0.5);
    }

    /** Linear-interpolated percentile of sorted {@code s}. */
    private static double pct(double[] s, double q) {
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, s.length - 1);
        return s[lo] + (pos - lo) * (s[hi] - s[lo]);
    }
}
