package org.mechinterp.bench.scale;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.mechinterp.bench.checkpoint.RandomCheckpoint;
import org.mechinterp.core.generate.GenerationOptions;
import org.mechinterp.core.generate.Generator;
import org.mechinterp.core.model.BlockWeights;
import org.mechinterp.core.model.HeadWeights;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.LoadOptions;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.TokenBatch;

/**
 * The operations the research-scale benchmarks time, shared by the JMH classes and {@link ScaleRatios} so both
 * measure exactly the same thing, and the FLOP counts their rates are computed from.
 */
public final class ScaleWorkloads {
    private ScaleWorkloads() {}

    /**
     * The checkpoint folder of a preset ({@code qwen3-0.6b}, {@code llama-3.2-1b}, {@code llama-3.1-8b}; written by
     * {@code tools/random-checkpoint} on first use, BF16, seed 0) or an existing folder path.
     */
    public static Path checkpoint(String modelOrDir) throws IOException {
        Path p = Path.of(modelOrDir);
        return Files.isDirectory(p) ? p : RandomCheckpoint.ensurePreset(modelOrDir);
    }

    public static HookedTransformer load(Path dir, String storage) throws IOException {
        return HookedTransformer.load(dir, LoadOptions.builder().optStorage(LoadOptions.Storage.parse(storage))
                .build());
    }

    /** Seeded token ids in [1, V). */
    public static int[] tokens(ModelConfig config, int t, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[t];
        for (int i = 0; i < t; i++) {
            ids[i] = 1 + r.nextInt(config.vocabSize() - 1);
        }
        return ids;
    }

    /** One forward pass; returns the last logit so nothing is dead code. */
    public static float forward(HookedTransformer model, TokenBatch batch, NDManager manager) {
        try (NDManager sub = manager.newSubManager()) {
            NDArray logits = model.forward(sub, batch);
            return logits.getFloat(0, batch.length() - 1, model.config().vocabSize() - 1);
        }
    }

    /** Greedy generation of {@code newTokens} after {@code prompt}, with or without the KV cache. */
    public static int generate(HookedTransformer model, int[] prompt, int newTokens, boolean cached) {
        GenerationOptions options = GenerationOptions.builder().setMaxNewTokens(newTokens).optStopTokens()
                .optUseCache(cached).build();
        int[] out = new Generator(model).generate(prompt, options).tokens(0);
        return out[out.length - 1];
    }

    /** Square F32 GEMM operands n×n, seeded. */
    public static NDArray[] gemmOperands(NDManager manager, int n) {
        manager.getEngine().setRandomSeed(1);
        return new NDArray[] {manager.randomNormal(new Shape(n, n)), manager.randomNormal(new Shape(n, n))};
    }

    /** One n×n·n×n GEMM; returns one element. */
    public static float gemm(NDArray a, NDArray b) {
        try (NDArray c = a.matMul(b)) {
            return c.getFloat(0, 0);
        }
    }

    /**
     * FLOPs of one forward pass of {@code t} tokens (batch 1) as the model computes it: 2 per multiply-add of every
     * projection and the unembedding, plus QKᵀ and pattern·V over all T×T entries (the causal half is computed and
     * masked, as in HF's eager attention).
     */
    public static double forwardFlops(ModelConfig c, int t) {
        double d = c.dModel();
        double q = (double) c.nHeads() * c.headDim();
        double kv = (double) c.nKvHeads() * c.headDim();
        double mlp = (c.gatedMlp() ? 3.0 : 2.0) * d * c.dMlp();
        double perLayer = d * q + 2 * d * kv + q * d + mlp;
        double projections = 2.0 * t * (c.nLayers() * perLayer + d * c.vocabSize());
        double attention = c.nLayers() * 4.0 * t * t * q;
        return projections + attention;
    }

    /** FLOPs of the projections and the unembedding alone (forwardFlops without the attention scores). */
    public static double projectionFlops(ModelConfig c, int t) {
        return forwardFlops(c, t) - c.nLayers() * 4.0 * t * t * c.nHeads() * c.headDim();
    }

    /**
     * The GEMMs of one forward pass alone, for a model whose weights are resident: every block's projections
     * (x·W_Q, x·W_K, x·W_V, z·W_O, the MLP's) and the unembedding, in the forward's order and with its operand shapes
     * ([1, t, ·] inputs, the model's own weight arrays), and nothing else. What the forward pass could reach if all its
     * other work took no time; returns the seconds.
     */
    public static double projectionsOnly(HookedTransformer model, int t, NDManager manager) {
        ModelConfig c = model.config();
        try (NDManager sub = manager.newSubManager()) {
            NDArray xd = sub.randomNormal(new Shape(1, t, c.dModel()));
            NDArray xq = sub.randomNormal(new Shape(1, t, (long) c.nHeads() * c.headDim()));
            NDArray xm = sub.randomNormal(new Shape(1, t, c.dMlp()));
            BlockWeights[] blocks = new BlockWeights[c.nLayers()];
            for (int l = 0; l < blocks.length; l++) {
                blocks[l] = model.weights().block(l, sub, false);
            }
            HeadWeights head = model.weights().head(sub, false);
            long t0 = System.nanoTime();
            for (BlockWeights w : blocks) {
                try (NDManager step = sub.newSubManager()) {
                    NDArray[][] products = {{xd, w.wq()}, {xd, w.wk()}, {xd, w.wv()}, {xq, w.wo()}, {xd, w.wGate()},
                        {xd, w.wIn()}, {xm, w.wOut()}};
                    for (NDArray[] p : products) {
                        if (p[1] != null) {
                            p[0].matMul(p[1]).attach(step);
                        }
                    }
                }
            }
            try (NDManager step = sub.newSubManager()) {
                xd.matMul(head.unembed()).attach(step);
            }
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    public static double gemmFlops(int n) {
        return 2.0 * n * n * n;
    }

    /** Resident set size of this process in bytes (Linux; -1 elsewhere). */
    public static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Peak resident set size of this process in bytes (Linux; -1 elsewhere). */
    public static long peakResidentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
