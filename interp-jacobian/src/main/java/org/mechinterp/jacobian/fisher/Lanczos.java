package org.mechinterp.jacobian.fisher;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;

/**
 * The top-k eigenpairs of a symmetric positive semi-definite operator from matrix–vector products only: Lanczos
 * with full re-orthogonalisation (classical Gram–Schmidt applied twice), a tridiagonal eigensolve with EJML after
 * each step, and Ritz vectors u_i = Q·s_i.
 *
 * <p>Stops when the k wanted Ritz pairs have residual estimates β_m·|s_{m,i}| ≤ tol·λ_1 (the exact residual norm
 * ‖F·u_i − θ_i·u_i‖ in exact arithmetic), when the Krylov space reaches D, or after {@code maxIterations} products.
 * An invariant subspace found early (β ≈ 0) is extended with a fresh random vector orthogonal to it, so k up to D is
 * exact. Eigenvector errors are about residual / spectral gap.
 *
 * <p>Build with {@link #builder()}; immutable and reusable. The start vector is drawn from a seeded
 * {@link SplittableRandom}, so results are reproducible.
 */
public final class Lanczos {
    private final int rank;
    private final int maxIterations;
    private final double tolerance;
    private final long seed;

    private Lanczos(int rank, int maxIterations, double tolerance, long seed) {
        this.rank = rank;
        this.maxIterations = maxIterations;
        this.tolerance = tolerance;
        this.seed = seed;
    }

    /**
     * A new builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * How many eigenpairs are computed.
     *
     * @return the rank k
     */
    public int rank() {
        return rank;
    }

    /**
     * The top {@code rank} eigenpairs of {@code op}.
     *
     * @param op the op
     * @return the top {@code rank} eigenpairs of {@code op}
     * @throws IllegalArgumentException if the rank exceeds the operator's dimension
     */
    public EigenPairs top(FisherOperator op) {
        int n = op.dimension();
        if (rank > n) {
            throw new IllegalArgumentException("rank " + rank + " exceeds the hidden size " + n);
        }
        int limit = Math.min(n, maxIterations > 0 ? Math.max(maxIterations, rank) : Math.max(2 * rank + 20,
                Math.min(n, 3 * rank + 40)));
        double tol = Math.max(tolerance, 10 * op.relativePrecision());
        SplittableRandom random = new SplittableRandom(seed);
        List<double[]> q = new ArrayList<>();
        double[] alpha = new double[limit];
        double[] beta = new double[limit];
        double[] current = randomUnit(random, n, q);
        int products = 0;
        Ritz ritz = null;
        for (int j = 0; j < limit; j++) {
            q.add(current);
            double[] w = op.apply(new double[][] {current})[0];
            products++;
            alpha[j] = dot(current, w);
            reorthogonalise(w, q);
            double b = norm(w);
            int m = j + 1;
            ritz = Ritz.of(alpha, beta, m, b);
            double top = Math.abs(ritz.values[0]);
            boolean converged = m >= rank;
            for (int i = 0; i < Math.min(rank, m) && converged; i++) {
                converged = ritz.residuals[i] <= tol * top;
            }
            if (converged || m == limit) {
                break;
            }
            if (b <= 1e-12 * Math.max(top, Double.MIN_NORMAL)) {
                // invariant subspace: continue in its orthogonal complement (T decouples: β_j = 0)
                beta[j] = 0;
                current = randomUnit(random, n, q);
            } else {
                beta[j] = b;
                for (int i = 0; i < n; i++) {
                    w[i] /= b;
                }
                current = w;
            }
        }
        int k = Math.min(rank, ritz.values.length);
        double[] values = new double[k];
        double[][] vectors = new double[k][];
        double[] residuals = new double[k];
        for (int i = 0; i < k; i++) {
            values[i] = ritz.values[i];
            residuals[i] = ritz.residuals[i];
            double[] u = new double[n];
            for (int c = 0; c < ritz.values.length; c++) {
                double s = ritz.vectors[i][c];
                double[] qc = q.get(c);
                for (int r = 0; r < n; r++) {
                    u[r] += s * qc[r];
                }
            }
            double nu = norm(u);
            for (int r = 0; r < n; r++) {
                u[r] /= nu;
            }
            vectors[i] = u;
        }
        return new EigenPairs(values, vectors, residuals, products);
    }

    /** Eigenpairs of the m×m tridiagonal T (α on the diagonal, β off it) and the residual estimates β_m|s_m,i|. */
    private record Ritz(double[] values, double[][] vectors, double[] residuals) {
        static Ritz of(double[] alpha, double[] beta, int m, double nextBeta) {
            DMatrixRMaj t = new DMatrixRMaj(m, m);
            for (int i = 0; i < m; i++) {
                t.set(i, i, alpha[i]);
                if (i + 1 < m) {
                    t.set(i, i + 1, beta[i]);
                    t.set(i + 1, i, beta[i]);
                }
            }
            EigenPairs e = DenseEigen.symmetric(t);
            double[] res = new double[m];
            for (int i = 0; i < m; i++) {
                res[i] = Math.abs(nextBeta * e.vectors()[i][m - 1]);
            }
            return new Ritz(e.values(), e.vectors(), res);
        }
    }

    private static double[] randomUnit(SplittableRandom random, int n, List<double[]> basis) {
        for (int attempt = 0; attempt < 10; attempt++) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = random.nextDouble(-1, 1);
            }
            reorthogonalise(v, basis);
            double nv = norm(v);
            if (nv > 1e-8) {
                for (int i = 0; i < n; i++) {
                    v[i] /= nv;
                }
                return v;
            }
        }
        throw new IllegalStateException("could not find a start vector orthogonal to " + basis.size()
                + " Lanczos vectors in dimension " + n);
    }

    /** w ← (I − QQᵀ)² w: classical Gram–Schmidt twice keeps Q orthonormal to rounding. */
    private static void reorthogonalise(double[] w, List<double[]> q) {
        for (int pass = 0; pass < 2; pass++) {
            for (double[] qi : q) {
                double c = dot(qi, w);
                for (int r = 0; r < w.length; r++) {
                    w[r] -= c * qi[r];
                }
            }
        }
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    /** Builder: {@code setRank} is required. */
    public static final class Builder {
        private int rank;
        private int maxIterations;
        private double tolerance = 1e-10;
        private long seed = 0x5EEDL;

        private Builder() {}

        /**
         * Number of eigenpairs k ≥ 1.
         *
         * @param k Number of eigenpairs k ≥ 1
         * @return this builder
         */
        public Builder setRank(int k) {
            this.rank = k;
            return this;
        }

        /**
         * Most products (default 0 = automatic: max(2k+20, min(D, 3k+40)), capped at D). Convergence usually stops
         * far earlier.
         *
         * @param m most products (default 0 = automatic: max(2k+20, min(D, 3k+40)), capped at D)
         * @return this builder
         */
        public Builder optMaxIterations(int m) {
            this.maxIterations = m;
            return this;
        }

        /**
         * Relative residual tolerance (default 1e-10; raised to 10× the operator's precision).
         *
         * @param tol Relative residual tolerance (default 1e-10; raised to 10× the operator's precision)
         * @return this builder
         */
        public Builder optTolerance(double tol) {
            this.tolerance = tol;
            return this;
        }

        /**
         * Seed of the start vector (default fixed).
         *
         * @param s Seed of the start vector (default fixed)
         * @return this builder
         */
        public Builder optSeed(long s) {
            this.seed = s;
            return this;
        }

        /**
         * @return the configured solver
         * @throws IllegalArgumentException for rank &lt; 1, negative iterations or a non-positive tolerance
         */
        public Lanczos build() {
            if (rank < 1) {
                throw new IllegalArgumentException("Fisher rank must be at least 1, got " + rank);
            }
            if (maxIterations < 0) {
                throw new IllegalArgumentException("maxIterations must be non-negative, got " + maxIterations);
            }
            if (!(tolerance > 0)) {
                throw new IllegalArgumentException("tolerance must be positive, got " + tolerance);
            }
            return new Lanczos(rank, maxIterations, tolerance, seed);
        }
    }
}
