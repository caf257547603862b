package org.mechinterp.core.model;

import ai.djl.ndarray.NDArray;

/**
 * What turns token ids into the residual stream.
 * Owned by the model (resident weights; never close them) or by the scratch manager passed to
 * {@link TransformerWeights#embedding} (weights at rest; freed when it closes).
 *
 * @param embed W_E [V, D]
 * @param posEmbed W_pos [P, D] for learned positions, else null
 */
public record EmbeddingWeights(NDArray embed, NDArray posEmbed) {}
