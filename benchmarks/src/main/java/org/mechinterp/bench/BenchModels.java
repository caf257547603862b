package org.mechinterp.bench;

import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.RopeScaling;

/** Model shapes shared by the benchmarks, so that the figures in docs/PERFORMANCE.md name one exact shape. */
public final class BenchModels {
    private BenchModels() {}

    /**
     * A Llama-shaped model of about 34M parameters: d_model 512, 8 layers, 8 query and 8 key/value heads of
     * dimension 64, gated SiLU MLP of width 1408, RMSNorm, RoPE (theta 10000), vocabulary 8192, untied embeddings.
     * {@code parameterCount()} = 34,087,424, of which 29,884,416 sit in matrices that are multiplied (the input
     * embedding is a row gather, not a matmul).
     */
    public static ModelConfig llama34m() {
        return ModelConfig.builder()
                .optModelType("llama")
                .setVocabSize(8192)
                .setDModel(512)
                .setNLayers(8)
                .setNHeads(8)
                .optNKvHeads(8)
                .setDMlp(1408)
                .optMaxPositions(2048)
                .optRope(RopeScaling.plain(10000))
                .build();
    }

    /**
     * Weights that take part in a matrix multiplication per token: Q, K, V, O and the three MLP matrices in every
     * layer plus the unembedding. Norm weights and the input embedding (a gather) are excluded.
     */
    public static long matmulParameters(ModelConfig c) {
        long d = c.dModel();
        long q = (long) c.nHeads() * c.headDim();
        long kv = (long) c.nKvHeads() * c.headDim();
        long attn = d * q + 2 * d * kv + q * d;
        long mlp = (c.gatedMlp() ? 3L : 2L) * d * c.dMlp();
        return c.nLayers() * (attn + mlp) + d * c.vocabSize();
    }

    /**
     * FLOPs of one forward pass over {@code t} tokens (batch 1): 2·matmulParameters·T for the weight matmuls plus
     * 4·L·T²·(H·Dh) for QKᵀ and pattern·V (full T×T, as computed; the causal mask does not skip work).
     */
    public static double forwardFlops(ModelConfig c, int t) {
        double attn = 4.0 * c.nLayers() * (double) t * t * c.nHeads() * c.headDim();
        return 2.0 * matmulParameters(c) * t + attn;
    }

    /** Prints the shape, parameter counts and FLOPs, for the docs. */
    public static void main(String[] args) {
        ModelConfig c = llama34m();
        System.out.println(c);
        System.out.printf("parameterCount = %,d%n", c.parameterCount());
        System.out.printf("matmulParameters = %,d%n", matmulParameters(c));
        for (int t : new int[] {64, 256}) {
            System.out.printf("T=%d forward FLOPs = %.4e%n", t, forwardFlops(c, t));
        }
    }
}
