package org.mechinterp.bench.scale;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.mechinterp.core.Interp;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.TokenBatch;

/**
 * The research-scale ratios of issue 9, measured in one JVM on a shared machine: load time and resident memory
 * against the bytes of the storage form, forward-pass FLOP rate against the F32 GEMM rate measured in interleaved
 * rounds (each round times the GEMM and each forward once, so drifting load hits both), and greedy generation with
 * the KV cache against full recomputation. Medians and best (least disturbed) rounds are printed.
 *
 * <pre>java --add-modules=jdk.incubator.vector -cp benchmarks/target/benchmarks.jar org.mechinterp.bench.scale.ScaleRatios MODEL STORAGE
 *     [tokens=128,1024] [rounds=5] [loads=5] [generate=128:64|none]</pre>
 * MODEL is a preset ({@code qwen3-0.6b}, {@code llama-3.2-1b}, {@code llama-3.1-8b}: written on first use by the
 * random-checkpoint tool) or a checkpoint folder; STORAGE is {@code auto}, {@code f32} or {@code stored}.
 */
public final class ScaleRatios {
    private static final int GEMM_N = 1024;

    private ScaleRatios() {}

    public static void main(String[] args) throws IOException {
        String model = args[0];
        String storage = args.length > 1 ? args[1] : "auto";
        int[] ts = Arrays.stream((args.length > 2 ? args[2] : "128,1024").split(",")).mapToInt(Integer::parseInt)
                .toArray();
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        int loads = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        String generate = args.length > 5 ? args[5] : "128:64";
        Interp.useOfflineMode();
        Path dir = ScaleWorkloads.checkpoint(model);
        System.out.printf(Locale.ROOT, "engine %s %s, intra-op threads %d; %s, storage %s%n",
                Engine.getInstance().getEngineName(), Engine.getInstance().getVersion(), JniUtils.getNumThreads(),
                dir, storage);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray[] g = ScaleWorkloads.gemmOperands(manager, GEMM_N);
            ScaleWorkloads.gemm(g[0], g[1]);
            long before = ScaleWorkloads.residentBytes();
            measureLoads(dir, storage, loads, before);
            try (HookedTransformer m = ScaleWorkloads.load(dir, storage)) {
                System.out.printf(Locale.ROOT, "model: %s; weights %s%n", m.config(), m.weights().resident()
                        ? "resident F32" : m.weights().source().describe());
                measureForward(m, manager, g, ts, rounds);
                if (!generate.equals("none")) {
                    String[] pg = generate.split(":");
                    measureGeneration(m, manager, g, Integer.parseInt(pg[0]), Integer.parseInt(pg[1]));
                }
            }
        }
        System.out.printf(Locale.ROOT, "peak RSS of the JVM %.2f GiB%n", ScaleWorkloads.peakResidentBytes() / GIB);
    }

    private static final double GIB = 1L << 30;

    private static void measureLoads(Path dir, String storage, int loads, long before) throws IOException {
        double[] seconds = new double[loads];
        for (int i = 0; i < loads; i++) {
            long t0 = System.nanoTime();
            try (HookedTransformer m = ScaleWorkloads.load(dir, storage)) {
                seconds[i] = (System.nanoTime() - t0) / 1e9;
                if (i == 0) { // the first load: later ones reuse memory glibc kept from earlier models
                    long rss = ScaleWorkloads.residentBytes();
                    long form = formBytes(m);
                    System.out.printf(Locale.ROOT, "resident after load %.3f GiB (JVM before load %.3f GiB); "
                            + "weights' form %.3f GiB; resident/form %.3f, (resident-before)/form %.3f%n",
                            rss / GIB, before / GIB, form / GIB, rss / (double) form, (rss - before) / (double) form);
                }
            }
        }
        System.out.printf(Locale.ROOT, "load (warm page cache): %s s; min %.3f, median %.3f%n", fmt(seconds),
                min(seconds), median(seconds));
    }

    /** 4 bytes per parameter in F32; the mapped checkpoint bytes at rest. */
    private static long formBytes(HookedTransformer m) {
        return m.weights().resident() ? 4 * m.config().parameterCount() : m.weights().source().restingBytes();
    }

    private static void measureForward(HookedTransformer m, NDManager manager, NDArray[] g, int[] ts, int rounds) {
        ModelConfig c = m.config();
        List<TokenBatch> batches = new ArrayList<>();
        for (int t : ts) {
            batches.add(TokenBatch.of(ScaleWorkloads.tokens(c, t, 7)));
            ScaleWorkloads.forward(m, batches.get(batches.size() - 1), manager); // warm-up
        }
        double[][] ratio = new double[ts.length][rounds];
        double[][] rate = new double[ts.length][rounds];
        // resident weights only: the same GEMMs without the rest of the pass (at rest, holding every block's upcast
        // weights at once would not fit)
        boolean bound = m.weights().resident();
        double[][] gemmsRatio = new double[ts.length][rounds];
        double[] gemmRate = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            double gr = gemmRate(g);
            gemmRate[r] = gr;
            for (int i = 0; i < ts.length; i++) {
                long t0 = System.nanoTime();
                ScaleWorkloads.forward(m, batches.get(i), manager);
                double s = (System.nanoTime() - t0) / 1e9;
                rate[i][r] = ScaleWorkloads.forwardFlops(c, ts[i]) / s / 1e9;
                double after = gemmRate(g);
                ratio[i][r] = rate[i][r] / Math.max(gr, after);
                if (bound) {
                    double p = ScaleWorkloads.projectionsOnly(m, ts[i], manager);
                    double afterGemms = gemmRate(g);
                    gemmsRatio[i][r] = ScaleWorkloads.projectionFlops(c, ts[i]) / p / 1e9
                            / Math.max(after, afterGemms);
                }
            }
        }
        System.out.printf(Locale.ROOT, "F32 GEMM n=%d: %s GFLOP/s (median %.1f)%n", GEMM_N, fmt(gemmRate),
                median(gemmRate));
        for (int i = 0; i < ts.length; i++) {
            System.out.printf(Locale.ROOT, "forward T=%d (%.1f GFLOP): %s GFLOP/s; ratio to the GEMM rate of its "
                    + "round: %s; median %.3f, best %.3f%n", ts[i], ScaleWorkloads.forwardFlops(c, ts[i]) / 1e9,
                    fmt(rate[i]), fmt(ratio[i]), median(ratio[i]), max(ratio[i]));
            if (bound) {
                System.out.printf(Locale.ROOT, "  its GEMMs alone (projections and unembedding, %.1f GFLOP, nothing "
                        + "else): ratio to the GEMM rate %s; median %.3f, best %.3f%n",
                        ScaleWorkloads.projectionFlops(c, ts[i]) / 1e9, fmt(gemmsRatio[i]), median(gemmsRatio[i]),
                        max(gemmsRatio[i]));
            }
        }
    }

    /** GFLOP/s of the best of three GEMMs (the rate the machine gives at that moment). */
    private static double gemmRate(NDArray[] g) {
        double best = Double.MAX_VALUE;
        for (int k = 0; k < 3; k++) {
            long t0 = System.nanoTime();
            ScaleWorkloads.gemm(g[0], g[1]);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return ScaleWorkloads.gemmFlops(GEMM_N) / best / 1e9;
    }

    private static void measureGeneration(HookedTransformer m, NDManager manager, NDArray[] g, int prompt,
            int newTokens) {
        int[] ids = ScaleWorkloads.tokens(m.config(), prompt, 11);
        ScaleWorkloads.generate(m, ids, 2, true);
        long t0 = System.nanoTime();
        int a = ScaleWorkloads.generate(m, ids, newTokens, true);
        double cached = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        int b = ScaleWorkloads.generate(m, ids, newTokens, false);
        double recomputed = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        ScaleWorkloads.generate(m, ids, newTokens, true);
        double cached2 = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "generation prompt %d + %d new tokens: KV cache %.2f s and %.2f s, full "
                + "recomputation %.2f s; recompute/cached %.2f (vs the slower cached run); same last token: %s%n",
                prompt, newTokens, cached, cached2, recomputed, recomputed / Math.max(cached, cached2), a == b);
    }

    private static String fmt(double[] v) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            s.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, v[i] < 10 ? "%.3f" : "%.1f", v[i]));
        }
        return s.append(']').toString();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }
}
