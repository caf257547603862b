package org.mechinterp.jacobian;

/** How the Fisher Scope score tr(J_τᵀF_yJ_τ) is computed. */
public enum FisherMode {
    /**
     * Σ_{i≤k} λ_i‖u_iᵀJ_τ‖² with the top-k eigenpairs of F_y found matrix-free (Lanczos on products
     * F·v = W(p ⊙ (Wᵀv − μᵀv))), k directions in one backward pass.
     */
    RANK_K,
    /** The exact trace Σ over all D eigenpairs (dense eigendecomposition of F_y, D directions): small models. */
    EXACT,
    /**
     * Unbiased Hutchinson estimate with S Rademacher probes ζ ∈ {±1}^V: mean_s ‖(Cᵀζ_s)ᵀJ_τ‖², where F = CᵀC,
     * C = diag(√p)(W − 1μᵀ); no eigendecomposition.
     */
    HUTCHINSON
}
