package org.mechinterp.core.family;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.mechinterp.core.model.BlockWeights;
import org.mechinterp.core.model.EmbeddingWeights;
import org.mechinterp.core.model.HeadWeights;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.TransformerWeights;

/**
 * A checkpoint family: how its {@code config.json} maps to a {@link ModelConfig} and its tensor names to
 * {@link TransformerWeights}. Implementations are found with {@link java.util.ServiceLoader} (list them in
 * {@code META-INF/services/org.mechinterp.core.family.ModelFamily}), so adding a family needs no change to shared
 * code.
 */
public interface ModelFamily {
    /**
     * The HF {@code model_type} values this family reads, e.g. {@code llama}, {@code mistral}.
     *
     * @return the HF {@code model_type} values this family reads, e.g. {@code llama}, {@code mistral}
     */
    Set<String> modelTypes();

    /**
     * Maps a config to the architecture.
     *
     * @param config the model configuration
     * @return the model config
     * @throws CheckpointException naming a missing or invalid field
     */
    ModelConfig parseConfig(HfConfig config) throws CheckpointException;

    /**
     * Reads W_E (and W_pos) into the loader's manager.
     *
     * @param config the model configuration
     * @param loader the loader
     * @return the embedding weights
     * @throws CheckpointException naming a missing or misshapen tensor
     */
    EmbeddingWeights loadEmbedding(ModelConfig config, WeightLoader loader) throws IOException;

    /**
     * Reads block {@code layer}'s weights into the loader's manager. Called once per layer at load time, or once per
     * layer and forward pass when the weights stay at rest in 16 bits; so it must request the same tensors in the
     * same order for every layer.
     *
     * @param config the model configuration
     * @param loader the loader
     * @param layer the layer index (0-based)
     * @return the block weights
     * @throws CheckpointException naming a missing or misshapen tensor
     */
    BlockWeights loadBlock(ModelConfig config, WeightLoader loader, int layer) throws IOException;

    /**
     * Reads the final norm and W_U into the loader's manager; for tied embeddings W_U is a transposed view of W_E.
     *
     * @param config the model configuration
     * @param loader the loader
     * @param embed W_E when the caller has it already (then a tied W_U is its view, not a second read), else null
     * @return the head weights
     * @throws CheckpointException naming a missing or misshapen tensor
     */
    HeadWeights loadHead(ModelConfig config, WeightLoader loader, NDArray embed) throws IOException;

    /**
     * Reads every weight into the loader's manager.
     *
     * @param config the model configuration
     * @param loader the loader
     * @return the transformer weights
     * @throws CheckpointException naming a missing or misshapen tensor
     */
    default TransformerWeights loadWeights(ModelConfig config, WeightLoader loader) throws IOException {
        EmbeddingWeights embedding = loadEmbedding(config, loader);
        List<BlockWeights> blocks = new ArrayList<>();
        for (int l = 0; l < config.nLayers(); l++) {
            blocks.add(loadBlock(config, loader, l));
        }
        HeadWeights head = loadHead(config, loader, embedding.embed());
        return TransformerWeights.of(embedding, blocks, head);
    }
}
