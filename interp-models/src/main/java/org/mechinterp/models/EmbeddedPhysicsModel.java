package org.mechinterp.models;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The small physics model bundled with the library: a Qwen3-layout decoder (digit-level vocabulary) trained by
 * this project's own {@code interp train-physics-model} on simulated trajectories of mass–spring systems (and a mix
 * of other oscillators) with random parameters per sequence, so it forecasts in context. Its recipe, command line,
 * hyper-parameters and losses are in {@code provenance.json} and {@code README.md} on the class path
 * ({@code org/mechinterp/models/physics/}, this module's resources). Needs only {@code interp-core}.
 *
 * <p>{@link #path()} extracts the files once into a cache folder named after a hash of their content (see
 * {@link EmbeddedResources}).
 */
public final class EmbeddedPhysicsModel {
    /** Name of the bundled model. */
    public static final String NAME = "physics";

    /** Files of the model folder, all present in {@link #path()}. */
    public static final List<String> FILES = List.of("config.json", "model.safetensors", "tokenizer.json", "provenance.json",
            "training_curve.json", "training_curve.png", "README.md", "LICENSE");

    private static final String RESOURCE_DIR = NAME + "/";

    private static volatile Path extracted;

    private EmbeddedPhysicsModel() {}

    /**
     * The folder holding the bundled physics model, extracted on first use (per JVM and per content hash).
     *
     * @return a folder with {@code config.json}, {@code model.safetensors}, {@code tokenizer.json},
     *     {@code provenance.json}, {@code training_curve.json}, {@code training_curve.png}, {@code README.md} and {@code LICENSE} (Apache-2.0)
     * @throws UncheckedIOException if the resources are missing or the folder cannot be written
     */
    public static Path path() {
        Path p = extracted;
        if (p == null) {
            synchronized (EmbeddedPhysicsModel.class) {
                p = extracted;
                if (p == null) {
                    try {
                        p = EmbeddedResources.extract(EmbeddedPhysicsModel.class, NAME, RESOURCE_DIR, FILES);
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot extract the embedded " + NAME + " model: "
                                + e.getMessage(), e);
                    }
                    extracted = p;
                }
            }
        }
        return p;
    }
}
