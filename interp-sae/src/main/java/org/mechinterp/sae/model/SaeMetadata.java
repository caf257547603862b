package org.mechinterp.sae.model;

import java.util.Objects;

/**
 * Where an SAE's inputs come from, as SAELens records it in {@code cfg.json → metadata}.
 *
 * @param modelName model the activations were taken from (a path or hub id; may be empty when unknown)
 * @param hookName TransformerLens hook point name, e.g. {@code blocks.2.hook_resid_post} (may be empty)
 * @param contextSize tokens per sequence used when collecting activations (0 when unknown)
 * @param prependBos whether sequences started with BOS
 */
public record SaeMetadata(String modelName, String hookName, int contextSize, boolean prependBos) {
    /**
     * Checks the components.
     *
     * @param modelName model name or path, not null (may be empty)
     * @param hookName hook point name, not null (may be empty)
     * @param contextSize tokens per sequence, ≥ 0
     * @param prependBos whether sequences started with BOS
     * @throws IllegalArgumentException if {@code contextSize} is negative
     * @throws NullPointerException if {@code modelName} or {@code hookName} is null
     */
    public SaeMetadata {
        Objects.requireNonNull(modelName, "modelName");
        Objects.requireNonNull(hookName, "hookName");
        if (contextSize < 0) {
            throw new IllegalArgumentException("contextSize must be >= 0, got " + contextSize);
        }
    }

    /**
     * Metadata with nothing known.
     *
     * @return metadata with empty model and hook names, context size 0 and {@code prependBos} true
     */
    public static SaeMetadata unknown() {
        return new SaeMetadata("", "", 0, true);
    }
}
