package org.mechinterp.sae.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import org.mechinterp.core.Interp;

/**
 * Training steps written with dense [B, n] matrices in libtorch (explicit gradient formulas, no autograd):
 * the ReLU + L1 and JumpReLU families, whose codes are not structurally sparse, and the dense formulation of the
 * TopK step that the sparse kernels ({@link TopKKernels}) replace (the reference in tests and benchmarks).
 *
 * <p>Each call opens and closes its own NDManager; gradients are written (overwritten) into {@code grad}; the
 * parameters and inputs are not modified. With r = x − x̂, G = −(2/B) r, δ = ∂loss/∂z:
 * ∂W_dec = fᵀG (+ penalty terms), ∂encT = δᵀ xc, ∂b_enc = Σ_b δ, ∂b_dec = Σ_b G − Σ_b δ·encT.
 */
public final class DenseKernels {
    private DenseKernels() {}

    /**
     * Losses and statistics of a dense step.
     *
     * @param mse (1/B) Σ‖r_b‖²
     * @param sparsity the sparsity loss (with its coefficient)
     * @param fvu Σ‖r‖² / Σ‖x − x̄‖²
     * @param l0 mean active latents per row
     * @param fires per latent, the number of rows in which it was active [n]
     */
    public record Result(double mse, double sparsity, double fvu, double l0, long[] fires) {}

    /**
     * ReLU SAE with the decoder-norm-weighted L1 penalty (λ/B) Σ_b Σ_i f_bi ‖W_dec,i‖.
     *
     * @param x input rows [rows, d]; not modified
     * @param rows batch size B
     * @param p parameters (no threshold); not modified
     * @param l1 λ of the L1 penalty at this step
     * @param grad receives the gradients (overwritten)
     * @return the losses, L0 and per-latent fire counts of the batch
     */
    public static Result reluStep(float[] x, int rows, SaeParameters p, double l1, SaeParameters grad) {
        Interp.configureDjl();
        int d = p.dIn();
        int n = p.dSae();
        try (NDManager m = NDManager.newBaseManager()) {
            Tensors t = new Tensors(m, x, null, rows, p);
            NDArray z = t.z();
            NDArray act = z.gt(0f).toType(DataType.FLOAT32, false);
            NDArray f = z.mul(act);
            NDArray r = t.x.sub(f.matMul(t.dec).add(t.bDec));
            NDArray g = r.mul(-2f / rows);
            NDArray norms = t.dec.square().sum(new int[] {1}).sqrt();
            NDArray fSum = f.sum(new int[] {0});
            float c = (float) (l1 / rows);
            double sparsity = c * fSum.mul(norms).sum().getFloat();
            NDArray delta = g.matMul(t.dec.transpose()).add(norms.mul(c)).mul(act);
            NDArray gDec = f.transpose().matMul(g)
                    .add(t.dec.mul(fSum.div(norms.maximum(1e-12f)).mul(c).reshape(n, 1)));
            write(grad, delta, gDec, g, t);
            return result(t, r, sparsity, act, rows, d);
        }
    }

    /**
     * JumpReLU SAE, f = z ⊙ H(z − θ), θ = exp(logθ), with straight-through pseudo-derivatives (rectangle kernel
     * K(u) = 1[|u| &lt; ½], bandwidth ε): ∂f/∂θ = −(θ/ε)K((z−θ)/ε), ∂H/∂θ = −(1/ε)K((z−θ)/ε), ∂H/∂z = 0. Sparsity
     * loss λ·L0 (targetL0 = 0) or λ(L0/targetL0 − 1)², L0 = (1/B) Σ_b Σ_i H(z_bi − θ_i). The gradient for the
     * threshold is written as ∂/∂logθ = θ·∂/∂θ.
     *
     * @param x input rows [rows, d]; not modified
     * @param rows batch size B
     * @param p parameters with log θ; not modified
     * @param bandwidth ε &gt; 0 of the rectangle kernel
     * @param l0Coefficient λ of the sparsity term
     * @param targetL0 target mean active latents per row, or 0 for the plain λ·L0 penalty
     * @param grad receives the gradients, including ∂/∂logθ (overwritten)
     * @return the losses, L0 and per-latent fire counts of the batch
     */
    public static Result jumpReluStep(float[] x, int rows, SaeParameters p, double bandwidth, double l0Coefficient,
            double targetL0, SaeParameters grad) {
        return jumpReluStep(x, null, rows, p, bandwidth, l0Coefficient, targetL0, grad);
    }

    /**
     * The JumpReLU step of an SAE ({@code y == null}) or of a transcoder from x [B, d_in] to y [B, d_out] (encoder on
     * the raw x, ŷ = f·W_dec + b_dec + x·W_skipᵀ when the parameters have a skip; ∂W_skip = Gᵀx).
     *
     * @param x encoder input rows [rows, d_in]; not modified
     * @param y transcoder targets [rows, d_out], or null for an SAE (target x); not modified
     * @param rows batch size B
     * @param p parameters with log θ (and W_skip for a skip transcoder); not modified
     * @param bandwidth ε &gt; 0 of the rectangle kernel
     * @param l0Coefficient λ of the sparsity term
     * @param targetL0 target mean active latents per row, or 0 for the plain λ·L0 penalty
     * @param grad receives the gradients (overwritten)
     * @return the losses, L0 and per-latent fire counts of the batch
     */
    public static Result jumpReluStep(float[] x, float[] y, int rows, SaeParameters p, double bandwidth,
            double l0Coefficient, double targetL0, SaeParameters grad) {
        Interp.configureDjl();
        int d = p.dOut();
        try (NDManager m = NDManager.newBaseManager()) {
            Tensors t = new Tensors(m, x, y, rows, p);
            NDArray z = t.z();
            NDArray theta = m.create(p.logThreshold).exp();
            NDArray act = z.gt(theta).toType(DataType.FLOAT32, false);
            NDArray f = z.mul(act);
            NDArray r = t.residual(f);
            NDArray g = r.mul(-2f / rows);
            NDArray kernel = z.sub(theta).div((float) bandwidth).abs().lt(0.5f).toType(DataType.FLOAT32, false);
            NDArray df = g.matMul(t.dec.transpose());
            NDArray delta = df.mul(act);
            double l0 = act.sum().getFloat() / rows;
            double sparsity;
            double coef;
            if (targetL0 > 0) {
                double ratio = l0 / targetL0 - 1;
                sparsity = l0Coefficient * ratio * ratio;
                coef = l0Coefficient * 2 * ratio / targetL0;
            } else {
                sparsity = l0Coefficient * l0;
                coef = l0Coefficient;
            }
            NDArray dThetaRecon = df.mul(kernel).sum(new int[] {0}).mul(theta).mul((float) (-1 / bandwidth));
            NDArray dThetaSparse = kernel.sum(new int[] {0}).mul((float) (-coef / (rows * bandwidth)));
            NDArray dLogTheta = dThetaRecon.add(dThetaSparse).mul(theta);
            NDArray gDec = f.transpose().matMul(g);
            write(grad, delta, gDec, g, t);
            copy(dLogTheta, grad.logThreshold);
            return result(t, r, sparsity, act, rows, d);
        }
    }

    /**
     * The dense formulation of the TopK step (reconstruction loss only, no AuxK): the same loss and gradients as
     * {@link TopKKernels#forwardBackward} with {@code aux = null}, computed with four more dense B×d×n GEMMs and a
     * dense mask. Ties at the k-th value keep all tied latents.
     *
     * @param x input rows [rows, d]; not modified
     * @param rows batch size B
     * @param p parameters; not modified
     * @param k latents kept per row
     * @param grad receives the gradients (overwritten)
     * @return the losses (sparsity 0), L0 and per-latent fire counts of the batch
     */
    public static Result topKStep(float[] x, int rows, SaeParameters p, int k, SaeParameters grad) {
        return topKStep(x, null, rows, p, k, grad);
    }

    /**
     * {@link #topKStep(float[], int, SaeParameters, int, SaeParameters)} of an SAE or (y given) a transcoder.
     *
     * @param x encoder input rows [rows, d_in]; not modified
     * @param y transcoder targets [rows, d_out], or null for an SAE; not modified
     * @param rows batch size B
     * @param p parameters; not modified
     * @param k latents kept per row
     * @param grad receives the gradients (overwritten)
     * @return the losses (sparsity 0), L0 and per-latent fire counts of the batch
     */
    public static Result topKStep(float[] x, float[] y, int rows, SaeParameters p, int k, SaeParameters grad) {
        Interp.configureDjl();
        int d = p.dOut();
        try (NDManager m = NDManager.newBaseManager()) {
            Tensors t = new Tensors(m, x, y, rows, p);
            NDArray z = t.z();
            NDList top = z.topK(k, 1, true, true);
            NDArray kth = top.get(0).get(":, -1:");
            NDArray act = z.gte(kth).logicalAnd(z.gt(0f)).toType(DataType.FLOAT32, false);
            NDArray f = z.mul(act);
            NDArray r = t.residual(f);
            NDArray g = r.mul(-2f / rows);
            NDArray delta = g.matMul(t.dec.transpose()).mul(act);
            NDArray gDec = f.transpose().matMul(g);
            write(grad, delta, gDec, g, t);
            return result(t, r, 0, act, rows, d);
        }
    }

    /**
     * The inputs and parameters as NDArrays in one manager. SAE (no y): target x, encoder input x − b_dec.
     * Transcoder: target y, encoder input x, skip x·W_skipᵀ when the parameters have one.
     */
    private static final class Tensors {
        final NDArray x;
        final NDArray target;
        final NDArray xc;
        final NDArray enc;
        final NDArray dec;
        final NDArray bEnc;
        final NDArray bDec;
        final NDArray skip;
        final boolean centred;

        Tensors(NDManager m, float[] xs, float[] ys, int rows, SaeParameters p) {
            int dIn = p.dIn();
            int dOut = p.dOut();
            int n = p.dSae();
            x = m.create(FloatBuffer.wrap(xs, 0, rows * dIn), new Shape(rows, dIn));
            enc = m.create(FloatBuffer.wrap(p.encT), new Shape(n, dIn));
            dec = m.create(FloatBuffer.wrap(p.wDec), new Shape(n, dOut));
            bEnc = m.create(p.bEnc);
            bDec = m.create(p.bDec);
            centred = ys == null;
            target = centred ? x : m.create(FloatBuffer.wrap(ys, 0, rows * dOut), new Shape(rows, dOut));
            xc = centred ? x.sub(bDec) : x;
            skip = p.wSkip.length > 0 ? m.create(FloatBuffer.wrap(p.wSkip), new Shape(dOut, dIn)) : null;
        }

        NDArray z() {
            return xc.matMul(enc.transpose()).add(bEnc);
        }

        /** r = target − ŷ with ŷ = f·W_dec + b_dec (+ x·W_skipᵀ). */
        NDArray residual(NDArray f) {
            NDArray yhat = f.matMul(dec).add(bDec);
            if (skip != null) {
                yhat = yhat.add(x.matMul(skip.transpose()));
            }
            return target.sub(yhat);
        }
    }

    private static void write(SaeParameters grad, NDArray delta, NDArray gDec, NDArray g, Tensors t) {
        copy(delta.transpose().matMul(t.xc), grad.encT);
        copy(delta.sum(new int[] {0}), grad.bEnc);
        copy(gDec, grad.wDec);
        NDArray gb = g.sum(new int[] {0});
        copy(t.centred ? gb.sub(delta.matMul(t.enc).sum(new int[] {0})) : gb, grad.bDec);
        if (t.skip != null) {
            copy(g.transpose().matMul(t.x), grad.wSkip);
        }
    }

    private static Result result(Tensors t, NDArray r, double sparsity, NDArray act, int rows, int d) {
        double sse = r.square().sum().getFloat();
        float[] xs = t.target.toFloatArray();
        double tv = TopKKernels.totalVariance(xs, rows, d);
        float[] counts = act.sum(new int[] {0}).toFloatArray();
        long[] fires = new long[counts.length];
        double total = 0;
        for (int i = 0; i < counts.length; i++) {
            fires[i] = Math.round(counts[i]);
            total += fires[i];
        }
        return new Result(sse / rows, sparsity, sse / tv, total / rows, fires);
    }

    private static void copy(NDArray a, float[] dst) {
        float[] v = a.toFloatArray();
        if (v.length != dst.length) {
            throw new IllegalStateException("gradient has " + v.length + " values, expected " + dst.length);
        }
        System.arraycopy(v, 0, dst, 0, v.length);
    }
}
