package org.mechinterp.core.family;

import java.util.Set;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.TransformerWeights;

/**
 * A checkpoint family: how its {@code config.json} maps to a {@link ModelConfig} and its tensor names to
 * {@link TransformerWeights}. Implementations are found with {@link java.util.ServiceLoader} (list them in
 * {@code META-INF/services/org.mechinterp.core.family.ModelFamily}), so adding a family needs no change to shared
 * code.
 */
public interface ModelFamily {
    /** The HF {@code model_type} values this family reads, e.g. {@code llama}, {@code mistral}. */
    Set<String> modelTypes();

    /**
     * Maps a config to the architecture.
     *
     * @throws CheckpointException naming a missing or invalid field
     */
    ModelConfig parseConfig(HfConfig config) throws CheckpointException;

    /**
     * Reads the weights into the loader's manager.
     *
     * @throws CheckpointException naming a missing or misshapen tensor
     */
    TransformerWeights loadWeights(ModelConfig config, WeightLoader loader) throws java.io.IOException;
}
