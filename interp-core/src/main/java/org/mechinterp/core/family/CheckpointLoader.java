package org.mechinterp.core.family;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mechinterp.core.io.ShardedCheckpoint;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.TransformerWeights;

/** Reads an HF checkpoint folder: config.json → family → config → weights. */
public final class CheckpointLoader {
    private CheckpointLoader() {}

    /** A loaded config and its weights (owned by the manager passed to {@link #load}). */
    public record Loaded(ModelConfig config, TransformerWeights weights) {}

    /** Reads only {@code config.json} into a model config. */
    public static ModelConfig readConfig(Path dir) throws IOException {
        requireDirectory(dir);
        HfConfig hf = HfConfig.read(dir);
        return configOf(ModelFamilies.forModelType(hf.modelType()), hf);
    }

    /**
     * Loads config and weights; the weights are created in {@code manager}.
     *
     * @throws CheckpointException for a missing folder or config, an unsupported family, or missing/misshapen
     *     tensors
     */
    public static Loaded load(Path dir, NDManager manager) throws IOException {
        requireDirectory(dir);
        HfConfig hf = HfConfig.read(dir);
        ModelFamily family = ModelFamilies.forModelType(hf.modelType());
        ModelConfig config = configOf(family, hf);
        try (ShardedCheckpoint checkpoint = ShardedCheckpoint.open(dir)) {
            return new Loaded(config, family.loadWeights(config, new WeightLoader(checkpoint, manager)));
        }
    }

    private static ModelConfig configOf(ModelFamily family, HfConfig hf) throws CheckpointException {
        try {
            return family.parseConfig(hf);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(hf.source() + ": " + e.getMessage(), e);
        }
    }

    private static void requireDirectory(Path dir) throws CheckpointException {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException("model directory " + dir + " does not exist");
        }
    }
}
