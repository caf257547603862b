package org.mechinterp.core.model;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * Components of the residual stream stacked along a new leading axis, with one label per component (TransformerLens
 * labels: {@code embed}, {@code pos_embed}, {@code 0_attn_out}, {@code 0_mlp_out}, {@code 3_pre}, {@code 3_mid},
 * {@code final_post}, {@code L2H5}).
 *
 * @param labels one per component, in stack order
 * @param stack [C,B,T,D], owned by the {@link ActivationCache} it came from (freed with it)
 */
public record ResidualStack(List<String> labels, NDArray stack) {
    /**
     * Checks the components.
     *
     * @param labels one per component, in stack order
     * @param stack [C,B,T,D], owned by the {@link ActivationCache} it came from (freed with it)
     */
    public ResidualStack {
        labels = List.copyOf(labels);
        if (stack.getShape().get(0) != labels.size()) {
            throw new IllegalArgumentException(labels.size() + " labels for " + stack.getShape().get(0)
                    + " components");
        }
    }

    /**
     * Number of components C.
     *
     * @return number of components C
     */
    public int size() {
        return labels.size();
    }

    /**
     * Index of the component labelled {@code label}.
     *
     * @param label the label
     * @return index of the component labelled {@code label}
     */
    public int indexOf(String label) {
        int i = labels.indexOf(label);
        if (i < 0) {
            throw new IllegalArgumentException("no component '" + label + "' (have " + labels + ")");
        }
        return i;
    }
}
