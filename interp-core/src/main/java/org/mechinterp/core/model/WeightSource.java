package org.mechinterp.core.model;

import ai.djl.ndarray.NDManager;

/**
 * Supplies compute-ready (float32) weights, part by part, for a model that does not keep them resident in that
 * form: for example weights held at rest in the checkpoint's BF16 and upcast one layer at a time during the forward
 * pass ({@link LoadOptions.Storage#AT_REST}). What a method returns is owned by {@code scratch} (closing it frees the
 * arrays, or the views of reused storage) and must not be used after it closes.
 */
public interface WeightSource extends AutoCloseable {
    /**
     * W_E and W_pos as float32.
     *
     * @param scratch the scratch
     * @param reuse may hand out storage that the next {@code embedding} or {@code head} call overwrites: only when
     *     nothing (an autograd graph in particular) keeps these arrays past their use
     * @return W_E and W_pos as float32
     */
    EmbeddingWeights embedding(NDManager scratch, boolean reuse);

    /**
     * Block {@code layer}'s weights as float32, in {@link BlockWeights}' orientation.
     *
     * @param layer the layer index (0-based)
     * @param scratch the scratch
     * @param reuse may overwrite the storage handed out for the previous block: only when nothing (an autograd
     *     graph in particular) still needs that block's weights
     * @return block {@code layer}'s weights as float32, in {@link BlockWeights}' orientation
     */
    BlockWeights block(int layer, NDManager scratch, boolean reuse);

    /**
     * The final norm and W_U as float32.
     *
     * @param scratch the scratch
     * @param reuse as for {@link #embedding}
     * @return the final norm and W_U as float32
     */
    HeadWeights head(NDManager scratch, boolean reuse);

    /**
     * Bytes the weights occupy at rest.
     *
     * @return bytes the weights occupy at rest
     */
    long restingBytes();

    /**
     * One line for people, e.g. "BF16 at rest (16.1 GB), upcast to F32 per layer".
     *
     * @return one line for people, e.g. "BF16 at rest (16.1 GB), upcast to F32 per layer"
     */
    String describe();

    /** Releases what the source holds (mappings, reusable buffers). */
    @Override
    void close();
}
