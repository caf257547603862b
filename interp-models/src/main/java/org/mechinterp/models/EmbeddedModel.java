package org.mechinterp.models;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The small model bundled with the library: llama2.c's {@code stories260K} (a 260K-parameter Llama trained on
 * TinyStories, MIT licence; 5 layers, d_model 64, 8 query / 4 key-value heads, vocab 512) in Hugging Face layout.
 * See {@code org/mechinterp/models/stories260K/README.md} on the class path (this module's resources). Needs only
 * {@code interp-core}: load it with {@code HookedTransformer.load(EmbeddedModel.path())}.
 *
 * <p>The files live on the class path (in the jar or in {@code target/classes}); {@link #path()} copies them once
 * into a cache folder named after a hash of their content (see {@link EmbeddedResources} for the cache location
 * and the atomic extraction).
 */
public final class EmbeddedModel {
    /** Name of the bundled model. */
    public static final String NAME = "stories260K";

    /** Files of the model folder, all present in {@link #path()}. */
    public static final List<String> FILES = List.of(
            "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "LICENSE", "README.md");

    private static final String RESOURCE_DIR = NAME + "/";

    private static volatile Path extracted;

    private EmbeddedModel() {}

    /**
     * The folder holding the bundled model, extracted on first use (per JVM and per content hash).
     *
     * @return a folder with {@code config.json}, {@code model.safetensors}, {@code tokenizer.json},
     *     {@code tokenizer_config.json}, {@code LICENSE} and {@code README.md}
     * @throws UncheckedIOException if the resources are missing or the folder cannot be written
     */
    public static Path path() {
        Path p = extracted;
        if (p == null) {
            synchronized (EmbeddedModel.class) {
                p = extracted;
                if (p == null) {
                    try {
                        p = EmbeddedResources.extract(EmbeddedModel.class, NAME, RESOURCE_DIR, FILES);
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
