package org.mechinterp.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded random weights for any {@link ModelConfig}, for benchmarks and tests that need a model of a given shape
 * but not a trained one. Matrices are N(0, 1/fan_in), norm weights 1 + N(0, 0.01), biases N(0, 0.01); the same
 * seed gives the same weights on every platform (drawn in Java, not by the engine).
 */
public final class RandomWeights {
    private final NDManager manager;
    private final SplittableRandom random;

    private RandomWeights(NDManager manager, long seed) {
        this.manager = manager;
        this.random = new SplittableRandom(seed);
    }

    /**
     * Creates weights in {@code manager}.
     *
     * @param cfg the cfg
     * @param manager the manager the weights are created in
     * @param seed the random seed
     * @return weights owned by {@code manager}
     */
    public static TransformerWeights create(ModelConfig cfg, NDManager manager, long seed) {
        return new RandomWeights(manager, seed).build(cfg);
    }

    /**
     * A random model; it owns a new manager, close the model to free it.
     *
     * @param cfg the cfg
     * @param seed the random seed
     * @return a random model; it owns a new manager, close the model to free it
     */
    public static HookedTransformer model(ModelConfig cfg, long seed) {
        org.mechinterp.core.Interp.configureDjl();
        NDManager manager = NDManager.newBaseManager();
        return HookedTransformer.fromWeights(cfg, create(cfg, manager, seed), manager);
    }

    private TransformerWeights build(ModelConfig cfg) {
        int d = cfg.dModel();
        int q = cfg.nHeads() * cfg.headDim();
        int kv = cfg.nKvHeads() * cfg.headDim();
        int m = cfg.dMlp();
        boolean layerNorm = cfg.norm() == NormKind.LAYER_NORM;
        NDArray embed = gaussian(1.0, cfg.vocabSize(), d);
        NDArray pos = cfg.positions() == ModelConfig.Positions.LEARNED ? gaussian(0.1, cfg.maxPositions(), d) : null;
        List<BlockWeights> blocks = new ArrayList<>();
        for (int l = 0; l < cfg.nLayers(); l++) {
            blocks.add(new BlockWeights(
                    norm(d, layerNorm),
                    matrix(d, q), bias(cfg.qkvBias(), q),
                    matrix(d, kv), bias(cfg.qkvBias(), kv),
                    matrix(d, kv), bias(cfg.qkvBias(), kv),
                    cfg.qkNorm() ? ones(cfg.headDim()) : null,
                    cfg.qkNorm() ? ones(cfg.headDim()) : null,
                    matrix(q, d), bias(cfg.attnOutBias(), d),
                    norm(d, layerNorm),
                    cfg.gatedMlp() ? matrix(d, m) : null,
                    matrix(d, m), bias(cfg.mlpBias(), m),
                    matrix(m, d), bias(cfg.mlpBias(), d)));
            if (cfg.postNorms()) {
                blocks.set(l, blocks.get(l).withPostNorms(norm(d, layerNorm), norm(d, layerNorm)));
            }
        }
        NDArray unembed = cfg.tiedEmbeddings() ? embed.transpose() : matrix(d, cfg.vocabSize());
        return new TransformerWeights(embed, pos, blocks, norm(d, layerNorm), unembed);
    }

    private NDArray matrix(int in, int out) {
        return gaussian(1.0 / Math.sqrt(in), in, out);
    }

    private NormWeights norm(int d, boolean withBias) {
        return new NormWeights(ones(d), withBias ? gaussian(0.01, d) : null);
    }

    private NDArray ones(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (1 + 0.01 * random.nextGaussian());
        }
        return manager.create(v, new Shape(n));
    }

    private NDArray bias(boolean present, int n) {
        return present ? gaussian(0.01, n) : null;
    }

    private NDArray gaussian(double std, long... shape) {
        Shape s = new Shape(shape);
        float[] v = new float[Math.toIntExact(s.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (std * random.nextGaussian());
        }
        return manager.create(v, s);
    }
}
