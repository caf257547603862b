package org.mechinterp.jacobian.fisher;

/**
 * The Fisher information of a categorical prediction in hidden space, available only through products:
 * F_y = Σ_i p_i (w_i − μ)(w_i − μ)ᵀ = Σ_i p_i w_i w_iᵀ − μμᵀ (D×D) with w_i ∈ R^D the unembedding vector of
 * token i, p = softmax(logits) over the full vocabulary and μ = Σ_i p_i w_i. F is D×D, symmetric positive
 * semi-definite; it is never formed.
 *
 * <p>A product uses the centred form F·v = Σ_i p_i (a_i − ā) w_i with a_i = w_i·v and ā = Σ_i p_i a_i (which equals
 * μ·v), so it costs two passes over W (4·V·D flops) and avoids the cancellation between Σ p w wᵀ and μμᵀ when p is
 * peaked.
 *
 * <p>Implementations may hold native memory: close them.
 */
public interface FisherOperator extends AutoCloseable {
    /**
     * Hidden size D.
     *
     * @return hidden size D
     */
    int dimension();

    /**
     * Vocabulary size V.
     *
     * @return Vocabulary size V
     */
    int vocabularySize();

    /**
     * F·x for each row of {@code block}.
     *
     * @param block [b][D] vectors (not modified)
     * @return [b][D] products
     */
    double[][] apply(double[][] block);

    /**
     * Cᵀζ for each row of {@code zeta}, where C = diag(√p)(W − 1μᵀ) ∈ R^{V×D} is the factor with F = CᵀC: the
     * vector Σ_i ζ_i √p_i (w_i − μ). With ζ Rademacher, E[(Cᵀζ)(Cᵀζ)ᵀ] = F (used by Hutchinson estimates).
     *
     * @param zeta [b][V]
     * @return [b][D]
     */
    double[][] factorTranspose(double[][] zeta);

    /**
     * Relative accuracy of one product (about 1e-15 in double, 1e-6 in float): convergence tolerances below it
     * cannot be met.
     *
     * @return relative accuracy of one product (about 1e-15 in double, 1e-6 in float): convergence tolerances below it
     *     cannot be met
     */
    double relativePrecision();

    /**
     * F formed densely from D products with the unit vectors, [D][D] (for exact traces on small D).
     *
     * @return F formed densely from D products with the unit vectors, [D][D] (for exact traces on small D)
     */
    default double[][] dense() {
        int d = dimension();
        double[][] eye = new double[d][d];
        for (int i = 0; i < d; i++) {
            eye[i][i] = 1;
        }
        double[][] f = apply(eye);
        // F is symmetric; average away the rounding asymmetry of the product.
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < i; j++) {
                double s = 0.5 * (f[i][j] + f[j][i]);
                f[i][j] = s;
                f[j][i] = s;
            }
        }
        return f;
    }

    @Override
    void close();
}
