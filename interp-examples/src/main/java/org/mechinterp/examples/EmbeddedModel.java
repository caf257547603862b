package org.mechinterp.examples;

import java.nio.file.Path;
import java.util.List;

/**
 * The bundled stories260K model; moved to {@link org.mechinterp.models.EmbeddedModel} in the {@code interp-models}
 * module (which needs only {@code interp-core}, not the command line's libraries).
 *
 * @deprecated use {@link org.mechinterp.models.EmbeddedModel}; this delegating class will be removed in the next
 *     minor release.
 */
@Deprecated(since = "0.1.0", forRemoval = true)
public final class EmbeddedModel {
    /** Name of the bundled model. */
    public static final String NAME = org.mechinterp.models.EmbeddedModel.NAME;

    /** Files of the model folder. */
    static final List<String> FILES = org.mechinterp.models.EmbeddedModel.FILES;

    private EmbeddedModel() {}

    /**
     * The folder holding the bundled model; see {@link org.mechinterp.models.EmbeddedModel#path()}.
     *
     * @return the extracted model folder
     */
    public static Path path() {
        return org.mechinterp.models.EmbeddedModel.path();
    }
}
