package org.mechinterp.core.family;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.TreeSet;

/** Finds the {@link ModelFamily} for a {@code model_type} among those registered with ServiceLoader. */
public final class ModelFamilies {
    private ModelFamilies() {}

    /**
     * Every registered family.
     *
     * @return every registered family
     */
    public static List<ModelFamily> all() {
        List<ModelFamily> families = new ArrayList<>();
        ServiceLoader.load(ModelFamily.class, ModelFamily.class.getClassLoader()).forEach(families::add);
        return families;
    }

    /**
     * The family reading {@code modelType}.
     *
     * @param modelType the Hugging Face model_type
     * @return the family reading {@code modelType}
     * @throws CheckpointException "unsupported model_type" listing the supported ones
     */
    public static ModelFamily forModelType(String modelType) throws CheckpointException {
        TreeSet<String> supported = new TreeSet<>();
        for (ModelFamily family : all()) {
            if (family.modelTypes().contains(modelType)) {
                return family;
            }
            supported.addAll(family.modelTypes());
        }
        throw new CheckpointException("unsupported model_type '" + modelType + "' (supported: "
                + String.join(", ", supported) + ")");
    }
}
