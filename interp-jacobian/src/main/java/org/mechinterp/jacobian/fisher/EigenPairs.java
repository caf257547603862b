package org.mechinterp.jacobian.fisher;

/**
 * Eigenpairs of a symmetric matrix, by eigenvalue descending: {@code values[i]} with unit eigenvector
 * {@code vectors[i]} (length D). Arrays are shared, not copied: treat them as read-only.
 *
 * @param values λ_1 ≥ λ_2 ≥ ...
 * @param vectors u_i, orthonormal
 * @param residuals ‖F·u_i − λ_i·u_i‖ estimates (0 for dense decompositions)
 * @param products operator products spent to find them (0 for dense decompositions)
 */
public record EigenPairs(double[] values, double[][] vectors, double[] residuals, int products) {
    /**
     * The number of eigenpairs.
     *
     * @return the number of eigenvalues
     */
    public int size() {
        return values.length;
    }

    /**
     * Σ λ_i.
     *
     * @return Σ λ_i
     */
    public double valueSum() {
        double s = 0;
        for (double l : values) {
            s += l;
        }
        return s;
    }

    /**
     * The largest residual relative to λ_1 (0 when λ_1 is 0).
     *
     * @return the largest residual relative to λ_1 (0 when λ_1 is 0)
     */
    public double maxRelativeResidual() {
        double top = values.length == 0 ? 0 : Math.abs(values[0]);
        double worst = 0;
        for (double r : residuals) {
            worst = Math.max(worst, r);
        }
        return top == 0 ? 0 : worst / top;
    }
}
