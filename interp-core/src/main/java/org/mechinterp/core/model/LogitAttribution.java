package org.mechinterp.core.model;

import java.util.List;

/**
 * Direct logit attribution: the part of one logit (or logit difference) that each residual component writes directly,
 * read through the final norm with its scale frozen at the cached value. {@code sum(contributions) + constant} is the
 * model's logit before any soft-cap (exactly, up to float rounding, when the components decompose the final
 * residual).
 *
 * @param labels component labels
 * @param contributions per component, in logit units
 * @param constant what no component writes: the final LayerNorm bias and b_U read through the unembedding (0 for
 *     RMSNorm models without b_U)
 */
public record LogitAttribution(List<String> labels, double[] contributions, double constant) {
    /**
     * Checks the components.
     *
     * @param labels component labels
     * @param contributions per component, in logit units
     * @param constant what no component writes: the final LayerNorm bias and b_U read through the unembedding (0 for
     *     RMSNorm models without b_U)
     */
    public LogitAttribution {
        labels = List.copyOf(labels);
        contributions = contributions.clone();
    }

    /**
     * Σ contributions + constant.
     *
     * @return Σ contributions + constant
     */
    public double total() {
        double s = constant;
        for (double c : contributions) {
            s += c;
        }
        return s;
    }

    /**
     * Per component, in logit units.
     *
     * @return per component, in logit units
     */
    @Override
    public double[] contributions() {
        return contributions.clone();
    }
}
