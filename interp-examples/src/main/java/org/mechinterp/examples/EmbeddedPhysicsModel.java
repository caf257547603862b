package org.mechinterp.examples;

import java.nio.file.Path;
import java.util.List;

/**
 * The bundled physics model; moved to {@link org.mechinterp.models.EmbeddedPhysicsModel} in the
 * {@code interp-models} module (which needs only {@code interp-core}, not the command line's libraries).
 *
 * @deprecated use {@link org.mechinterp.models.EmbeddedPhysicsModel}; this delegating class will be removed in the
 *     next minor release.
 */
@Deprecated(since = "0.1.0", forRemoval = true)
public final class EmbeddedPhysicsModel {
    /** Name of the bundled model. */
    public static final String NAME = org.mechinterp.models.EmbeddedPhysicsModel.NAME;

    /** Files of the model folder. */
    static final List<String> FILES = org.mechinterp.models.EmbeddedPhysicsModel.FILES;

    private EmbeddedPhysicsModel() {}

    /**
     * The folder holding the bundled physics model; see {@link org.mechinterp.models.EmbeddedPhysicsModel#path()}.
     *
     * @return the extracted model folder
     */
    public static Path path() {
        return org.mechinterp.models.EmbeddedPhysicsModel.path();
    }
}
