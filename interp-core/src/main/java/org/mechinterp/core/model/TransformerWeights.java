package org.mechinterp.core.model;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * All weights of a decoder-only transformer in the canonical orientation used by {@link HookedTransformer}.
 * Owned by the manager they were loaded into (the model's); never close them yourself.
 *
 * @param embed W_E [V, D]
 * @param posEmbed W_pos [P, D] for learned positions, else null
 * @param blocks one entry per layer
 * @param lnFinal final norm
 * @param unembed W_U [D, V] (a transposed view of W_E when embeddings are tied)
 * @param unembedBias b_U [V], or null: HF checkpoints have none; {@link WeightProcessing#foldNorms} creates one when
 *     it folds a final LayerNorm bias
 */
public record TransformerWeights(NDArray embed, NDArray posEmbed, List<BlockWeights> blocks, NormWeights lnFinal,
        NDArray unembed, NDArray unembedBias) {
    /** Weights without an unembedding bias (every HF checkpoint). */
    public TransformerWeights(NDArray embed, NDArray posEmbed, List<BlockWeights> blocks, NormWeights lnFinal,
            NDArray unembed) {
        this(embed, posEmbed, blocks, lnFinal, unembed, null);
    }
}
