package org.mechinterp.jacobian.fisher;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/** Symmetric eigendecomposition with EJML, eigenpairs sorted by eigenvalue descending. */
public final class DenseEigen {
    private DenseEigen() {}

    /**
     * All eigenpairs of the symmetric matrix {@code a} [n][n] (not modified).
     *
     * @param a a
     * @return all eigenpairs of the symmetric matrix {@code a} [n][n] (not modified)
     * @throws IllegalArgumentException if {@code a} is not square
     * @throws IllegalStateException if EJML fails to converge
     */
    public static EigenPairs symmetric(double[][] a) {
        int n = a.length;
        DMatrixRMaj m = new DMatrixRMaj(n, n);
        for (int i = 0; i < n; i++) {
            if (a[i].length != n) {
                throw new IllegalArgumentException("matrix is not square: row " + i + " has " + a[i].length
                        + " entries, expected " + n);
            }
            for (int j = 0; j < n; j++) {
                m.set(i, j, a[i][j]);
            }
        }
        return symmetric(m);
    }

    /** All eigenpairs of a symmetric EJML matrix (the matrix may be overwritten). */
    static EigenPairs symmetric(DMatrixRMaj m) {
        int n = m.numRows;
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, true, true);
        if (!eig.decompose(m)) {
            throw new IllegalStateException("symmetric eigendecomposition of a " + n + "x" + n
                    + " matrix did not converge");
        }
        Integer[] order = new Integer[n];
        double[] lambda = new double[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
            lambda[i] = eig.getEigenvalue(i).getReal();
        }
        Arrays.sort(order, (x, y) -> Double.compare(lambda[y], lambda[x]));
        double[] values = new double[n];
        double[][] vectors = new double[n][];
        for (int r = 0; r < n; r++) {
            values[r] = lambda[order[r]];
            DMatrixRMaj u = eig.getEigenVector(order[r]);
            double[] vec = new double[n];
            double norm = 0;
            for (int i = 0; i < n; i++) {
                vec[i] = u.get(i, 0);
                norm += vec[i] * vec[i];
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < n; i++) {
                vec[i] /= norm;
            }
            vectors[r] = vec;
        }
        return new EigenPairs(values, vectors, new double[n], 0);
    }
}
