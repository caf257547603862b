package org.mechinterp.jacobian;

/**
 * Quadrature rules on [0,1] for Integrated Gradients: nodes α_j and weights w_j with Σ w_j = 1, so that
 * ∫₀¹ g(α) dα ≈ Σ_j w_j g(α_j).
 */
public enum IntegrationRule {
    /** Midpoint Riemann sum: α_j = (j + ½)/m, w_j = 1/m (error O(1/m²)). */
    MIDPOINT,
    /** Gauss–Legendre: exact for polynomials of degree 2m−1 (the Captum default). */
    GAUSS_LEGENDRE;

    /**
     * @param steps m ≥ 1
     * @return {nodes, weights}, each of length m
     */
    public double[][] nodesAndWeights(int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("integration steps must be at least 1, got " + steps);
        }
        double[] x = new double[steps];
        double[] w = new double[steps];
        if (this == MIDPOINT) {
            for (int j = 0; j < steps; j++) {
                x[j] = (j + 0.5) / steps;
                w[j] = 1.0 / steps;
            }
            return new double[][] {x, w};
        }
        // Newton's method on the Legendre polynomial P_m from Chebyshev starting points, then map [-1,1] → [0,1].
        for (int i = 0; i < steps; i++) {
            double z = Math.cos(Math.PI * (i + 0.75) / (steps + 0.5));
            double dp = 0;
            for (int iter = 0; iter < 100; iter++) {
                double p0 = 1;
                double p1 = z;
                for (int k = 2; k <= steps; k++) {
                    double p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
                    p0 = p1;
                    p1 = p2;
                }
                dp = steps * (z * p1 - p0) / (z * z - 1);
                double dz = p1 / dp;
                z -= dz;
                if (Math.abs(dz) < 1e-15) {
                    break;
                }
            }
            // recompute P'_m at the converged root for the weight
            double p0 = 1;
            double p1 = z;
            for (int k = 2; k <= steps; k++) {
                double p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
                p0 = p1;
                p1 = p2;
            }
            dp = steps * (z * p1 - p0) / (z * z - 1);
            x[steps - 1 - i] = (1 + z) / 2;
            w[steps - 1 - i] = 1 / ((1 - z * z) * dp * dp); // 2/((1−z²)P'²) on [-1,1], halved for [0,1]
        }
        return new double[][] {x, w};
    }
}
