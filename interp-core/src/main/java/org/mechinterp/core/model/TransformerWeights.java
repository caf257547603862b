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
 */
public record TransformerWeights(
        NDArray embed, NDArray posEmbed, List<BlockWeights> blocks, NormWeights lnFinal, NDArray unembed) {}
