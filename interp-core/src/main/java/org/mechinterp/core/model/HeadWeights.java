package org.mechinterp.core.model;

import ai.djl.ndarray.NDArray;

/**
 * What turns the final residual stream into logits.
 * Owned by the model (resident weights; never close them) or by the scratch manager passed to
 * {@link TransformerWeights#head} (weights at rest; freed when it closes).
 *
 * @param lnFinal the final norm
 * @param unembed W_U [D, V] (a transposed view of W_E when embeddings are tied)
 * @param unembedBias b_U [V], or null (HF checkpoints have none)
 */
public record HeadWeights(NormWeights lnFinal, NDArray unembed, NDArray unembedBias) {}
