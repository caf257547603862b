package org.mechinterp.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Objects;

/**
 * All weights of a decoder-only transformer in the canonical orientation used by {@link HookedTransformer}.
 * Either <em>resident</em> (every array below is float32 and owned by the model's manager; never close them
 * yourself) or <em>supplied</em> by a {@link WeightSource} part by part during each forward pass (weights at rest in
 * 16 bits, see {@link LoadOptions}); then the component accessors throw and {@link #embedding}, {@link #block} and
 * {@link #head} are the way in.
 *
 * @param embed W_E [V, D]
 * @param posEmbed W_pos [P, D] for learned positions, else null
 * @param blocks one entry per layer
 * @param lnFinal final norm
 * @param unembed W_U [D, V] (a transposed view of W_E when embeddings are tied)
 * @param unembedBias b_U [V], or null: HF checkpoints have none; {@link WeightProcessing#foldNorms} creates one when
 *     it folds a final LayerNorm bias
 * @param source null for resident weights; otherwise the supplier of every part (the other components are then
 *     null and {@code blocks} empty)
 */
public record TransformerWeights(NDArray embed, NDArray posEmbed, List<BlockWeights> blocks, NormWeights lnFinal,
        NDArray unembed, NDArray unembedBias, WeightSource source) {
    /**
     * Checks the components.
     *
     * @param embed W_E [V, D]
     * @param posEmbed W_pos [P, D] for learned positions, else null
     * @param blocks one entry per layer
     * @param lnFinal final norm
     * @param unembed W_U [D, V] (a transposed view of W_E when embeddings are tied)
     * @param unembedBias b_U [V], or null: HF checkpoints have none; {@link WeightProcessing#foldNorms} creates one
     *     when it folds a final LayerNorm bias
     * @param source null for resident weights; otherwise the supplier of every part (the other components are then null
     *     and {@code blocks} empty)
     */
    public TransformerWeights {
        blocks = List.copyOf(blocks);
        if (source != null && (embed != null || !blocks.isEmpty() || unembed != null)) {
            throw new IllegalArgumentException("weights are either resident or supplied by a source, not both");
        }
    }

    /**
     * Resident weights.
     *
     * @param embed W_E [V, D]
     * @param posEmbed W_pos [P, D] for learned positions, else null
     * @param blocks one entry per layer
     * @param lnFinal final norm
     * @param unembed W_U [D, V] (a transposed view of W_E when embeddings are tied)
     * @param unembedBias b_U [V], or null: HF checkpoints have none; {@link WeightProcessing#foldNorms} creates one
     *     when it folds a final LayerNorm bias
     */
    public TransformerWeights(NDArray embed, NDArray posEmbed, List<BlockWeights> blocks, NormWeights lnFinal,
            NDArray unembed, NDArray unembedBias) {
        this(embed, posEmbed, blocks, lnFinal, unembed, unembedBias, null);
    }

    /**
     * Resident weights without an unembedding bias (every HF checkpoint).
     *
     * @param embed W_E [V, D]
     * @param posEmbed W_pos [P, D] for learned positions, else null
     * @param blocks one entry per layer
     * @param lnFinal final norm
     * @param unembed W_U [D, V] (a transposed view of W_E when embeddings are tied)
     */
    public TransformerWeights(NDArray embed, NDArray posEmbed, List<BlockWeights> blocks, NormWeights lnFinal,
            NDArray unembed) {
        this(embed, posEmbed, blocks, lnFinal, unembed, null, null);
    }

    /**
     * Resident weights assembled from their parts.
     *
     * @param embedding the embedding
     * @param blocks one entry per layer
     * @param head the head
     * @return resident weights assembled from their parts
     */
    public static TransformerWeights of(EmbeddingWeights embedding, List<BlockWeights> blocks, HeadWeights head) {
        return new TransformerWeights(embedding.embed(), embedding.posEmbed(), blocks, head.lnFinal(),
                head.unembed(), head.unembedBias(), null);
    }

    /**
     * Weights supplied part by part by {@code source} (which the model closes with itself).
     *
     * @param source null for resident weights; otherwise the supplier of every part (the other components are then null
     *     and {@code blocks} empty)
     * @return the transformer weights
     */
    public static TransformerWeights supplied(WeightSource source) {
        return new TransformerWeights(null, null, List.of(), null, null, null, Objects.requireNonNull(source));
    }

    /**
     * True when every weight is a resident float32 array (the accessors of the components work).
     *
     * @return true when every weight is a resident float32 array (the accessors of the components work)
     */
    public boolean resident() {
        return source == null;
    }

    /**
     * The embedding part: the resident arrays, or float32 arrays owned by {@code scratch}.
     *
     * @param scratch the scratch
     * @return the embedding part: the resident arrays, or float32 arrays owned by {@code scratch}
     */
    public EmbeddingWeights embedding(NDManager scratch) {
        return embedding(scratch, false);
    }

    /**
     * The embedding part, as {@link #embedding(NDManager)}.
     *
     * @param scratch the scratch
     * @param reuse see {@link WeightSource#embedding}
     * @return the embedding part, as {@link #embedding(NDManager)}
     */
    public EmbeddingWeights embedding(NDManager scratch, boolean reuse) {
        return source == null ? new EmbeddingWeights(embed, posEmbed) : source.embedding(scratch, reuse);
    }

    /**
     * Block {@code layer}: the resident weights, or float32 arrays owned by {@code scratch}.
     *
     * @param layer the layer index (0-based)
     * @param scratch the scratch
     * @param reuse see {@link WeightSource#block}
     * @return block {@code layer}: the resident weights, or float32 arrays owned by {@code scratch}
     */
    public BlockWeights block(int layer, NDManager scratch, boolean reuse) {
        return source == null ? blocks.get(layer) : source.block(layer, scratch, reuse);
    }

    /**
     * The final norm and unembedding: the resident arrays, or float32 arrays owned by {@code scratch}.
     *
     * @param scratch the scratch
     * @return the final norm and unembedding: the resident arrays, or float32 arrays owned by {@code scratch}
     */
    public HeadWeights head(NDManager scratch) {
        return head(scratch, false);
    }

    /**
     * The final norm and unembedding, as {@link #head(NDManager)}.
     *
     * @param scratch the scratch
     * @param reuse see {@link WeightSource#head}
     * @return the final norm and unembedding, as {@link #head(NDManager)}
     */
    public HeadWeights head(NDManager scratch, boolean reuse) {
        return source == null ? new HeadWeights(lnFinal, unembed, unembedBias) : source.head(scratch, reuse);
    }

    /**
     * W_E [V, D].
     *
     * @return W_E [V, D]
     */
    @Override
    public NDArray embed() {
        return resident("W_E is", embed);
    }

    /**
     * W_pos [P, D] for learned positions, else null.
     *
     * @return W_pos [P, D] for learned positions, else null
     */
    @Override
    public NDArray posEmbed() {
        return source == null ? posEmbed : resident("W_pos is", null);
    }

    /**
     * One entry per layer.
     *
     * @return one entry per layer
     */
    @Override
    public List<BlockWeights> blocks() {
        return resident("the block weights are", blocks);
    }

    /**
     * Final norm.
     *
     * @return Final norm
     */
    @Override
    public NormWeights lnFinal() {
        return resident("the final norm is", lnFinal);
    }

    /**
     * W_U [D, V] (a transposed view of W_E when embeddings are tied).
     *
     * @return W_U [D, V] (a transposed view of W_E when embeddings are tied)
     */
    @Override
    public NDArray unembed() {
        return resident("W_U is", unembed);
    }

    /**
     * B_U [V], or null: HF checkpoints have none; {@link WeightProcessing#foldNorms} creates one when it folds a final LayerNorm bias.
     *
     * @return B_U [V], or null: HF checkpoints have none; {@link WeightProcessing#foldNorms} creates one when it folds
     *     a final LayerNorm bias
     */
    @Override
    public NDArray unembedBias() {
        return source == null ? unembedBias : resident("b_U is", null);
    }

    private <T> T resident(String what, T value) {
        if (source != null) {
            throw new IllegalStateException(what + " not resident: this model holds its weights as "
                    + source.describe() + "; load it with LoadOptions storage F32 (CLI --dtype f32) to use them "
                    + "directly");
        }
        return value;
    }
}
