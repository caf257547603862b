package org.mechinterp.sae.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;

/**
 * The linear skip of a skip transcoder, ŷ = … + x·W_skipᵀ with W_skip [d_out, d_in] (SAELens' SkipTranscoder):
 * its forward part and its weight gradient, two dense GEMMs in libtorch (B×d_in×d_out each). Stateless.
 */
final class SkipConnection {
    private SkipConnection() {}

    /**
     * t = y − x·W_skipᵀ [B, d_out]: the part of the target the sparse latents and b_dec must explain.
     *
     * @param m a manager for the temporaries (the result is a Java array)
     * @param y target [B, d_out]; x input [B, d_in]; neither is modified
     */
    static float[] subtract(NDManager m, float[] y, float[] x, int rows, SaeParameters p) {
        int dIn = p.dIn();
        int dOut = p.dOut();
        try (NDManager local = m.newSubManager()) {
            NDArray xs = local.create(FloatBuffer.wrap(x, 0, rows * dIn), new Shape(rows, dIn));
            NDArray ys = local.create(FloatBuffer.wrap(y, 0, rows * dOut), new Shape(rows, dOut));
            NDArray skip = local.create(FloatBuffer.wrap(p.wSkip), new Shape(dOut, dIn));
            return ys.sub(xs.matMul(skip.transpose())).toFloatArray();
        }
    }

    /**
     * grad.W_skip += Gᵀx, where G = ∂loss/∂ŷ [B, d_out] and x [B, d_in] (neither modified).
     */
    static void addGradient(float[] g, float[] x, int rows, SaeParameters p, SaeParameters grad) {
        int dIn = p.dIn();
        int dOut = p.dOut();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray xs = m.create(FloatBuffer.wrap(x, 0, rows * dIn), new Shape(rows, dIn));
            NDArray gs = m.create(FloatBuffer.wrap(g, 0, rows * dOut), new Shape(rows, dOut));
            float[] gw = gs.transpose().matMul(xs).toFloatArray();
            for (int i = 0; i < gw.length; i++) {
                grad.wSkip[i] += gw[i];
            }
        }
    }
}
