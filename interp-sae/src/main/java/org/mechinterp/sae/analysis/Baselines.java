package org.mechinterp.sae.analysis;

import java.util.SplittableRandom;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * The baseline feature families the SAE latents are compared against, all on the same read-out tokens: raw
 * residual dimensions ("neurons"), the top principal components of the discovery activations, and random unit
 * directions. (The fourth baseline, an SAE trained on scrambled sequences, is trained like the real one.)
 * Stateless.
 */
public final class Baselines {

    private Baselines() {
    }

    /**
     * Principal directions of the discovery rows: the top right singular vectors of the centred matrix (EJML SVD).
     *
     * @param x rows [n, d]
     * @param k number of components, 1..min(n, d)
     * @return {@code [k][d]} unit directions, by decreasing variance, each with its sign fixed so that its largest
     *     coordinate is positive (SVD signs are arbitrary)
     */
    public static double[][] principalDirections(FeatureMatrix x, int k) {
        int n = x.rows();
        int d = x.features();
        if (k < 1 || k > Math.min(n, d)) {
            throw new IllegalArgumentException("PCA components must be in 1.." + Math.min(n, d) + ", got " + k);
        }
        double[] mean = mean(x);
        DMatrixRMaj a = new DMatrixRMaj(n, d);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                a.set(i, j, x.get(i, j) - mean[j]);
            }
        }
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(n, d, false, true, true);
        if (!svd.decompose(a)) {
            throw new IllegalStateException("SVD of the " + n + "x" + d + " activation matrix did not converge");
        }
        double[] sv = svd.getSingularValues();
        DMatrixRMaj vt = svd.getV(null, true); // [min(n,d) or d, d], rows = right singular vectors
        Integer[] order = new Integer[sv.length];
        for (int i = 0; i < sv.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (p, q) -> Double.compare(sv[q], sv[p]));
        double[][] out = new double[k][d];
        for (int c = 0; c < k; c++) {
            int row = order[c];
            int arg = 0;
            for (int j = 0; j < d; j++) {
                out[c][j] = vt.get(row, j);
                if (Math.abs(out[c][j]) > Math.abs(out[c][arg])) {
                    arg = j;
                }
            }
            if (out[c][arg] < 0) {
                for (int j = 0; j < d; j++) {
                    out[c][j] = -out[c][j];
                }
            }
        }
        return out;
    }

    /**
     * @param x rows × features; not modified
     * @return column means of {@code x}, [d]
     */
    public static double[] mean(FeatureMatrix x) {
        int d = x.features();
        double[] m = new double[d];
        for (int i = 0; i < x.rows(); i++) {
            for (int j = 0; j < d; j++) {
                m[j] += x.get(i, j);
            }
        }
        for (int j = 0; j < d; j++) {
            m[j] /= x.rows();
        }
        return m;
    }

    /**
     * @param count number of directions
     * @param d dimension
     * @param seed seed
     * @return {@code [count][d]} directions uniform on the unit sphere (normalised Gaussians)
     */
    public static double[][] randomDirections(int count, int d, long seed) {
        if (count < 1 || d < 1) {
            throw new IllegalArgumentException("need count, d >= 1, got " + count + ", " + d);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] out = new double[count][d];
        for (double[] v : out) {
            double norm = 0;
            for (int j = 0; j < d; j++) {
                v[j] = gaussian(rng);
                norm += v[j] * v[j];
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < d; j++) {
                v[j] /= norm;
            }
        }
        return out;
    }

    private static double gaussian(SplittableRandom rng) {
        // Box–Muller; one of the pair is enough here.
        double u = 1 - rng.nextDouble();
        double w = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
    }
}
