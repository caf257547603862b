package org.mechinterp.core.family;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mechinterp.core.io.ShardedCheckpoint;
import org.mechinterp.core.model.LoadOptions;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.TransformerWeights;

/** Reads an HF checkpoint folder: config.json → family → config → weights. */
public final class CheckpointLoader {
    private CheckpointLoader() {}

    /**
     * A loaded config and its weights (owned by the manager passed to {@link #load}).
     *
     * @param storage the form the weights were loaded in (never AUTO)
     */
    public record Loaded(ModelConfig config, TransformerWeights weights, LoadOptions.Storage storage) {}

    /**
     * Reads only {@code config.json} into a model config.
     *
     * @param dir the folder
     * @return the model config
     * @throws IOException if a file cannot be read or written
     */
    public static ModelConfig readConfig(Path dir) throws IOException {
        requireDirectory(dir);
        HfConfig hf = HfConfig.read(dir);
        return configOf(ModelFamilies.forModelType(hf.modelType()), hf);
    }

    /**
     * Loads config and weights in F32 (no memory guard); the weights are created in {@code manager}.
     *
     * @param dir the folder
     * @param manager the manager the weights are created in
     * @return the config and the weights
     * @throws IOException if a file cannot be read or written
     */
    public static Loaded load(Path dir, NDManager manager) throws IOException {
        return load(dir, manager, LoadOptions.builder().optStorage(LoadOptions.Storage.F32)
                .optMemoryCheck(false).build());
    }

    /**
     * Loads config and weights in the form {@code options} asks for; resident weights are created in
     * {@code manager}, and weights at rest keep the checkpoint mapped until the model is closed.
     *
     * @param dir the folder
     * @param manager the manager the weights are created in
     * @param options the options
     * @return the config and the weights
     * @throws CheckpointException for a missing folder or config, an unsupported family, missing/misshapen tensors,
     *     or (memory guard) a form that does not fit in the available memory
     */
    public static Loaded load(Path dir, NDManager manager, LoadOptions options) throws IOException {
        requireDirectory(dir);
        HfConfig hf = HfConfig.read(dir);
        ModelFamily family = ModelFamilies.forModelType(hf.modelType());
        ModelConfig config = configOf(family, hf);
        ShardedCheckpoint checkpoint = ShardedCheckpoint.open(dir);
        try {
            MemoryGuard.Estimate estimate = MemoryGuard.estimate(config, checkpoint, options);
            LoadOptions.Storage storage = MemoryGuard.choose(options.storage(), estimate, options, dir);
            if (storage == LoadOptions.Storage.F32) {
                try (checkpoint) {
                    return new Loaded(config, loadResident(family, config, checkpoint, manager, options), storage);
                }
            }
            RestingWeights resting = new RestingWeights(family, config, checkpoint, manager);
            try {
                checkShapes(family, config, checkpoint, manager, options);
            } catch (IOException | RuntimeException e) {
                resting.close();
                throw e;
            }
            return new Loaded(config, TransformerWeights.supplied(resting), storage);
        } catch (IOException | RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    /**
     * Upcasts every weight into {@code manager}, then checks that no checkpoint tensor went unused; the weights are
     * closed with {@code manager} if that check fails.
     */
    private static TransformerWeights loadResident(ModelFamily family, ModelConfig config,
            ShardedCheckpoint checkpoint, NDManager manager, LoadOptions options) throws IOException {
        WeightLoader loader = WeightLoader.validating(checkpoint, manager, options.checkFinite());
        TransformerWeights weights = family.loadWeights(config, loader);
        UnusedTensors.check(checkpoint, loader.requested(), config.nLayers(), options.warnings());
        return weights;
    }

    /**
     * Runs the family's loading code once over every part with a loader that allocates but never touches memory
     * (libtorch's empty arrays are untouched pages), so missing, misshapen, non-finite (unless opted out) and
     * unused tensors are reported at load time rather than at the first forward pass.
     */
    private static void checkShapes(ModelFamily family, ModelConfig config, ShardedCheckpoint checkpoint,
            NDManager manager, LoadOptions options) throws IOException {
        try (NDManager probe = manager.newSubManager()) {
            WeightLoader shapesOnly = WeightLoader.shapesOnly(checkpoint, probe, options.checkFinite());
            family.loadEmbedding(config, shapesOnly);
            for (int l = 0; l < config.nLayers(); l++) {
                family.loadBlock(config, shapesOnly, l);
            }
            family.loadHead(config, shapesOnly, null);
            UnusedTensors.check(checkpoint, shapesOnly.requested(), config.nLayers(), options.warnings());
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
