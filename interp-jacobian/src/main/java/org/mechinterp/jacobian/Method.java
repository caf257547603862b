package org.mechinterp.jacobian;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Token attribution methods. Scores are raw, unsigned and unnormalised; higher means more influence on the
 * prediction at ℓ. With x_τ the embedding of token τ, y the final-norm output at ℓ, J_τ = ∂y/∂x_τ, W_U the
 * unembedding and p = softmax(logits at ℓ):
 * <ul>
 *   <li>{@link #SEMANTIC}: ‖w_targetᵀJ_τ‖₂ = ‖∇_{x_τ} z_target‖₂ (raw logit);</li>
 *   <li>{@link #TEMPERATURE}: ‖ŷᵀJ_τ‖₂ = ‖∇_{x_τ}‖y‖‖₂ with ŷ = y/‖y‖ detached;</li>
 *   <li>{@link #FISHER}: tr(J_τᵀF_yJ_τ) (exact) or Σ_{i≤k} λ_i‖u_iᵀJ_τ‖₂² (rank k), F_y = W(diag p − ppᵀ)Wᵀ;</li>
 *   <li>{@link #INPUT_X_GRADIENT}: ‖∇_{x_τ}(−log p_target) ⊙ x_τ‖₂;</li>
 *   <li>{@link #INTEGRATED_GRADIENTS}: ‖(∫₀¹ ∇f(αx)|_τ dα) ⊙ x_τ‖₂, f = log p_target, zero baseline;</li>
 *   <li>{@link #ATTENTION}: the attention weight from ℓ to τ averaged over layers and heads;</li>
 *   <li>{@link #LEAVE_ONE_OUT}: KL(p ‖ p with x_τ zeroed);</li>
 *   <li>{@link #RANDOM}: uniform random scores (a seeded baseline ranking).</li>
 * </ul>
 */
public enum Method {
    /** Semantic Scope: the norm of the target logit's gradient at each input embedding. */
    SEMANTIC("semantic", true, TokenGroups.Aggregation.ROOT_SUM_OF_SQUARES),
    /** Temperature Scope: the gradient of the final-norm output's norm at each input embedding (target-free). */
    TEMPERATURE("temperature", false, TokenGroups.Aggregation.ROOT_SUM_OF_SQUARES),
    /** Fisher Scope: the Fisher information of the next-token distribution pulled back to each embedding. */
    FISHER("fisher", false, TokenGroups.Aggregation.SUM),
    /** Input × gradient of the target log-probability (baseline). */
    INPUT_X_GRADIENT("inputxgrad", true, TokenGroups.Aggregation.ROOT_SUM_OF_SQUARES),
    /** Integrated gradients from a zero baseline (baseline). */
    INTEGRATED_GRADIENTS("ig", true, TokenGroups.Aggregation.ROOT_SUM_OF_SQUARES),
    /** Attention weight averaged over layers and heads (baseline). */
    ATTENTION("attention", false, TokenGroups.Aggregation.SUM),
    /** Leave-one-out: KL divergence when the token's embedding is zeroed (baseline). */
    LEAVE_ONE_OUT("loo", false, TokenGroups.Aggregation.SUM),
    /** Seeded uniform random scores (control). */
    RANDOM("random", false, TokenGroups.Aggregation.SUM);

    private final String id;
    private final boolean usesTarget;
    private final TokenGroups.Aggregation aggregation;

    Method(String id, boolean usesTarget, TokenGroups.Aggregation aggregation) {
        this.id = id;
        this.usesTarget = usesTarget;
        this.aggregation = aggregation;
    }

    /**
     * The name used on the command line and in JSON ({@code semantic}, {@code inputxgrad}, {@code ig}, ...).
     *
     * @return the name used on the command line and in JSON ({@code semantic}, {@code inputxgrad}, {@code ig}, ...)
     */
    public String id() {
        return id;
    }

    /**
     * Whether the scores depend on the target token (otherwise the result's target is null).
     *
     * @return whether the scores depend on the target token (otherwise the result's target is null)
     */
    public boolean usesTarget() {
        return usesTarget;
    }

    /**
     * How scores of several tokens of one word combine: root of the sum of squares for norm scores (the norm of the
     * concatenated gradient), plain sum for scores that are already squared norms (Fisher) or additive.
     *
     * @return how scores of several tokens of one word combine: root of the sum of squares for norm scores (the norm of
     *     the concatenated gradient), plain sum for scores that are already squared norms (Fisher) or additive
     */
    public TokenGroups.Aggregation aggregation() {
        return aggregation;
    }

    /**
     * The method with a command-line id.
     *
     * @param id an id of {@link #id()} (case-insensitive)
     * @return the method
     * @throws IllegalArgumentException naming the valid ids
     */
    public static Method fromId(String id) {
        String key = id == null ? "" : id.strip().toLowerCase(Locale.ROOT);
        for (Method m : values()) {
            if (m.id.equals(key)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown attribution method '" + id + "'; expected one of "
                + Arrays.stream(values()).map(Method::id).collect(Collectors.joining(", ")));
    }
}
