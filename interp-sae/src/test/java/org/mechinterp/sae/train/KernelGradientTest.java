package org.mechinterp.sae.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.Interp;
import org.mechinterp.sae.model.SparseCodes;

/**
 * The training kernels against independent references: the sparse TopK/BatchTopK/AuxK kernels against DJL
 * autograd on the dense formulation, the explicit dense kernels (ReLU, TopK) against autograd, and the JumpReLU
 * straight-through gradients against a brute-force double-precision loop implementation of the published
 * pseudo-derivatives. Tolerance: every gradient entry within 2e-4 × (largest |entry| of that reference tensor).
 */
class KernelGradientTest {
    static final int B = 24;
    static final int D = 8;
    static final int N = 32;

    @BeforeAll
    static void djl() {
        Interp.configureDjl();
    }

    static SaeParameters randomParams(long seed, boolean threshold) {
        SplittableRandom r = new SplittableRandom(seed);
        SaeParameters p = new SaeParameters(D, N, threshold);
        for (float[] a : p.arrays()) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (r.nextDouble() * 2 - 1) * 0.5f;
            }
        }
        for (int i = 0; i < p.bEnc.length; i++) {
            p.bEnc[i] = (float) (r.nextDouble() * 0.4 - 0.1);
        }
        return p;
    }

    static float[] randomX(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[B * D];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 4 - 2);
        }
        return x;
    }

    /** Dense mask [B, n] of the entries with a positive value. */
    static float[] mask(SparseCodes c) {
        float[] m = new float[B * N];
        if (c == null) {
            return m;
        }
        for (int b = 0; b < B; b++) {
            for (int e = c.rowStart()[b]; e < c.rowStart()[b + 1]; e++) {
                if (c.value()[e] > 0) {
                    m[b * N + c.index()[e]] = 1f;
                }
            }
        }
        return m;
    }

    /** Autograd on the dense formulation with fixed selection masks; returns {loss, grads...}. */
    static Object[] autograd(float[] x, SaeParameters p, float[] mainMask, float[] auxMask, double alpha,
            double l1) {
        try (NDManager m = NDManager.newBaseManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray enc = leaf(m, p.encT, N, D);
            NDArray bEnc = leaf(m, p.bEnc, N);
            NDArray dec = leaf(m, p.wDec, N, D);
            NDArray bDec = leaf(m, p.bDec, D);
            NDArray xs = m.create(FloatBuffer.wrap(x), new Shape(B, D));
            NDArray xc = xs.sub(bDec);
            NDArray z = xc.matMul(enc.transpose()).add(bEnc);
            NDArray f = mainMask == null ? z.maximum(0f) : z.maximum(0f).mul(m.create(mainMask, new Shape(B, N)));
            NDArray r = xs.sub(f.matMul(dec).add(bDec));
            NDArray loss = r.square().sum().div(B);
            if (l1 > 0) {
                NDArray norms = dec.square().sum(new int[] {1}).sqrt();
                loss = loss.add(f.sum(new int[] {0}).mul(norms).sum().mul((float) (l1 / B)));
            }
            if (auxMask != null) {
                double tv = TopKKernels.totalVariance(x, B, D);
                NDArray fa = z.maximum(0f).mul(m.create(auxMask, new Shape(B, N)));
                NDArray ehat = fa.matMul(dec);
                NDArray aux = ehat.sub(r.stopGradient()).square().sum().div((float) tv);
                loss = loss.add(aux.mul((float) alpha));
            }
            gc.backward(loss);
            return new Object[] {(double) loss.getFloat(), enc.getGradient().toFloatArray(),
                    bEnc.getGradient().toFloatArray(), dec.getGradient().toFloatArray(),
                    bDec.getGradient().toFloatArray()};
        }
    }

    static NDArray leaf(NDManager m, float[] v, int... shape) {
        long[] s = Arrays.stream(shape).asLongStream().toArray();
        NDArray a = m.create(FloatBuffer.wrap(v.clone()), new Shape(s));
        a.setRequiresGradient(true);
        return a;
    }

    static void assertClose(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + " length");
        double scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertTrue(scale > 0, what + ": reference gradient is all zeros (test would be vacuous)");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 2e-4 * scale, what + "[" + i + "]");
        }
    }

    static void assertGradients(Object[] ref, SaeParameters g) {
        assertClose("encT", (float[]) ref[1], g.encT);
        assertClose("b_enc", (float[]) ref[2], g.bEnc);
        assertClose("W_dec", (float[]) ref[3], g.wDec);
        assertClose("b_dec", (float[]) ref[4], g.bDec);
    }

    @Test
    void sparseTopKWithAuxKMatchesAutogradOfDenseFormulation() {
        float[] x = randomX(1);
        SaeParameters p = randomParams(2, false);
        float[] xc = TopKKernels.centre(x, B, p.bDec);
        SparseCodes codes;
        SparseCodes aux;
        boolean[] dead = new boolean[N];
        for (int i = 0; i < N; i += 3) {
            dead[i] = true;
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray z = TopKKernels.preActivations(m, xc, B, p);
            float[] zJava = z.toFloatArray();
            codes = TopKKernels.selectTopK(z, 4);
            aux = TopKKernels.selectAux(m, z, dead, 5);
            assertSelectionIsTopK(zJava, codes, 4, null);
            assertSelectionIsTopK(zJava, aux, 5, dead);
        }
        assertNotNull(aux);
        SaeParameters g = p.zerosLike();
        TopKKernels.Losses losses = TopKKernels.forwardBackward(x, xc, B, p, codes, aux, 1.0 / 32, g);
        Object[] ref = autograd(x, p, mask(codes), mask(aux), 1.0 / 32, 0);
        assertEquals((double) ref[0], losses.mse() + losses.aux() / 32, 1e-4 * (double) ref[0]);
        assertGradients(ref, g);
    }

    @Test
    void sparseBatchTopKMatchesAutograd() {
        float[] x = randomX(3);
        SaeParameters p = randomParams(4, false);
        float[] xc = TopKKernels.centre(x, B, p.bDec);
        SparseCodes codes;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray z = TopKKernels.preActivations(m, xc, B, p);
            float[] zJava = z.toFloatArray();
            codes = TopKKernels.selectBatchTopK(z, B * 3);
            // the B·k kept entries are the B·k largest ReLU(z) of the batch: every kept value >= every dropped one
            float[] kept = mask(codes);
            float minKept = Float.MAX_VALUE;
            float maxDropped = 0;
            for (int i = 0; i < zJava.length; i++) {
                float v = Math.max(0, zJava[i]);
                if (kept[i] > 0) {
                    minKept = Math.min(minKept, v);
                } else {
                    maxDropped = Math.max(maxDropped, v);
                }
            }
            assertTrue(minKept >= maxDropped, "BatchTopK kept " + minKept + " but dropped " + maxDropped);
            int rowsWithOtherCount = 0;
            for (int b = 0; b < B; b++) {
                rowsWithOtherCount += codes.activeCount(b) != 3 ? 1 : 0;
            }
            assertTrue(rowsWithOtherCount > 0, "BatchTopK should vary the per-row count on random data");
        }
        SaeParameters g = p.zerosLike();
        TopKKernels.Losses losses = TopKKernels.forwardBackward(x, xc, B, p, codes, null, 0, g);
        Object[] ref = autograd(x, p, mask(codes), null, 0, 0);
        assertEquals((double) ref[0], losses.mse(), 1e-4 * (double) ref[0]);
        assertGradients(ref, g);
    }

    @Test
    void batchTopKSelectionIsExactWhenOneRowDominates() {
        // row 0 holds the 20 largest values of the batch: more than the per-row candidate cap (4·k = 8), so the
        // exact fallback must be taken; compare with a brute-force sort of all entries
        SplittableRandom r = new SplittableRandom(12);
        float[] z = new float[B * N];
        for (int i = 0; i < z.length; i++) {
            z[i] = (float) (r.nextDouble() * 2 - 1);
        }
        for (int i = 0; i < 20; i++) {
            z[i] = 5f + i;
        }
        int total = B * 2;
        try (NDManager m = NDManager.newBaseManager()) {
            SparseCodes codes = TopKKernels.selectBatchTopK(m.create(z, new Shape(B, N)), total);
            float[] sorted = z.clone();
            Arrays.sort(sorted);
            float cut = sorted[sorted.length - total];
            float[] kept = mask(codes);
            int count = 0;
            for (int i = 0; i < z.length; i++) {
                boolean expected = z[i] >= cut && z[i] > 0;
                assertEquals(expected, kept[i] > 0, "entry " + i + " (z=" + z[i] + ", cut=" + cut + ")");
                count += kept[i] > 0 ? 1 : 0;
            }
            assertEquals(total, count);
            assertTrue(codes.activeCount(0) >= 20, "row 0 keeps its 20 dominant entries (cap is 8)");
        }
    }

    @Test
    void denseTopKReferenceAgreesWithSparseKernel() {
        float[] x = randomX(5);
        SaeParameters p = randomParams(6, false);
        float[] xc = TopKKernels.centre(x, B, p.bDec);
        SparseCodes codes;
        try (NDManager m = NDManager.newBaseManager()) {
            codes = TopKKernels.selectTopK(TopKKernels.preActivations(m, xc, B, p), 5);
        }
        SaeParameters sparse = p.zerosLike();
        TopKKernels.Losses l = TopKKernels.forwardBackward(x, xc, B, p, codes, null, 0, sparse);
        SaeParameters dense = p.zerosLike();
        DenseKernels.Result r = DenseKernels.topKStep(x, B, p, 5, dense);
        assertEquals(r.mse(), l.mse(), 1e-4 * r.mse());
        assertClose("encT", dense.encT, sparse.encT);
        assertClose("b_enc", dense.bEnc, sparse.bEnc);
        assertClose("W_dec", dense.wDec, sparse.wDec);
        assertClose("b_dec", dense.bDec, sparse.bDec);
    }

    @Test
    void reluL1MatchesAutograd() {
        float[] x = randomX(7);
        SaeParameters p = randomParams(8, false);
        SaeParameters g = p.zerosLike();
        DenseKernels.Result r = DenseKernels.reluStep(x, B, p, 0.7, g);
        Object[] ref = autograd(x, p, null, null, 0, 0.7);
        assertEquals((double) ref[0], r.mse() + r.sparsity(), 1e-4 * (double) ref[0]);
        assertGradients(ref, g);
    }

    @Test
    void jumpReluMatchesBruteForcePseudoDerivatives() {
        float[] x = randomX(9);
        SaeParameters p = randomParams(10, true);
        // thresholds near typical z so that the rectangle kernel is hit: θ in [0.05, 0.45], ε = 0.3
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < N; i++) {
            p.logThreshold[i] = (float) Math.log(0.05 + 0.4 * r.nextDouble());
        }
        for (double target : new double[] {0, 5}) {
            SaeParameters g = p.zerosLike();
            DenseKernels.Result res = DenseKernels.jumpReluStep(x, B, p, 0.3, 0.05, target, g);
            double[][] ref = bruteForceJumpRelu(x, p, 0.3, 0.05, target);
            assertEquals(ref[5][0], res.mse() + res.sparsity(), 1e-4 * ref[5][0]);
            assertClose("encT", toFloat(ref[0]), g.encT);
            assertClose("b_enc", toFloat(ref[1]), g.bEnc);
            assertClose("W_dec", toFloat(ref[2]), g.wDec);
            assertClose("b_dec", toFloat(ref[3]), g.bDec);
            assertClose("log_threshold", toFloat(ref[4]), g.logThreshold);
        }
    }

    /** Loops in double: the JumpReLU loss and its straight-through gradients, written from the paper's formulas. */
    static double[][] bruteForceJumpRelu(float[] x, SaeParameters p, double eps, double lambda, double target) {
        double[] gEnc = new double[N * D];
        double[] gBEnc = new double[N];
        double[] gDec = new double[N * D];
        double[] gBDec = new double[D];
        double[] gLog = new double[N];
        double[] theta = new double[N];
        for (int i = 0; i < N; i++) {
            theta[i] = Math.exp(p.logThreshold[i]);
        }
        double sse = 0;
        double l0 = 0;
        double[][] z = new double[B][N];
        double[][] xc = new double[B][D];
        double[][] gx = new double[B][D];
        double[] kernelSum = new double[N];
        for (int b = 0; b < B; b++) {
            for (int j = 0; j < D; j++) {
                xc[b][j] = x[b * D + j] - p.bDec[j];
            }
            double[] xhat = new double[D];
            for (int j = 0; j < D; j++) {
                xhat[j] = p.bDec[j];
            }
            for (int i = 0; i < N; i++) {
                double s = p.bEnc[i];
                for (int j = 0; j < D; j++) {
                    s += xc[b][j] * p.encT[i * D + j];
                }
                z[b][i] = s;
                if (s > theta[i]) {
                    l0 += 1.0 / B;
                    for (int j = 0; j < D; j++) {
                        xhat[j] += s * p.wDec[i * D + j];
                    }
                }
                if (Math.abs((s - theta[i]) / eps) < 0.5) {
                    kernelSum[i] += 1;
                }
            }
            for (int j = 0; j < D; j++) {
                double rj = x[b * D + j] - xhat[j];
                sse += rj * rj;
                gx[b][j] = -2 * rj / B;
            }
        }
        double sparsity = target > 0 ? lambda * Math.pow(l0 / target - 1, 2) : lambda * l0;
        double coef = target > 0 ? lambda * 2 * (l0 / target - 1) / target : lambda;
        for (int b = 0; b < B; b++) {
            for (int j = 0; j < D; j++) {
                gBDec[j] += gx[b][j];
            }
            for (int i = 0; i < N; i++) {
                double df = 0;
                for (int j = 0; j < D; j++) {
                    df += gx[b][j] * p.wDec[i * D + j];
                }
                boolean on = z[b][i] > theta[i];
                double k = Math.abs((z[b][i] - theta[i]) / eps) < 0.5 ? 1 : 0;
                // ∂f/∂θ = −(θ/ε)K, ∂logθ = θ ∂θ
                gLog[i] += theta[i] * df * (-(theta[i] / eps) * k);
                if (on) {
                    for (int j = 0; j < D; j++) {
                        gDec[i * D + j] += z[b][i] * gx[b][j];
                        gEnc[i * D + j] += df * xc[b][j];
                        gBDec[j] -= df * p.encT[i * D + j];
                    }
                    gBEnc[i] += df;
                }
            }
        }
        for (int i = 0; i < N; i++) {
            gLog[i] += theta[i] * coef * (-(1 / eps) * kernelSum[i] / B);
        }
        return new double[][] {gEnc, gBEnc, gDec, gBDec, gLog, {sse / B + sparsity}};
    }

    static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    // ------------------------------------------------------------------ transcoders and Matryoshka

    static final int D_OUT = 6;

    static SaeParameters randomTranscoder(long seed, boolean threshold, boolean skip) {
        SplittableRandom r = new SplittableRandom(seed);
        SaeParameters p = new SaeParameters(D, D_OUT, N, threshold, skip);
        for (float[] a : p.arrays()) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (r.nextDouble() * 2 - 1) * 0.5f;
            }
        }
        for (int i = 0; i < p.bEnc.length; i++) {
            p.bEnc[i] = (float) (r.nextDouble() * 0.4 - 0.1);
        }
        return p;
    }

    static float[] randomY(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] y = new float[B * D_OUT];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) (r.nextDouble() * 4 - 2);
        }
        return y;
    }

    /**
     * Autograd of the general loss with fixed selection masks: z = xc·W_encᵀ + b_enc (xc = x − b_dec for an SAE,
     * x for a transcoder), f = ReLU(z)·mask, for every level end w: ŷ_w = f[:, :w]·W_dec[:w] + b_dec (+ x·W_skipᵀ),
     * loss = Σ_w ‖y − ŷ_w‖²/B + α‖ê − r.detach()‖²/TV(y) with r the full residual. Returns {loss, encT, b_enc,
     * W_dec, b_dec, W_skip or null}.
     */
    static Object[] autogradLevels(float[] x, float[] y, SaeParameters p, float[] mainMask, float[] auxMask,
            double alpha, int[] ends) {
        int dOut = p.dOut();
        boolean tc = y != null;
        try (NDManager m = NDManager.newBaseManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray enc = leaf(m, p.encT, N, D);
            NDArray bEnc = leaf(m, p.bEnc, N);
            NDArray dec = leaf(m, p.wDec, N, dOut);
            NDArray bDec = leaf(m, p.bDec, dOut);
            NDArray skip = p.wSkip.length > 0 ? leaf(m, p.wSkip, dOut, D) : null;
            NDArray xs = m.create(FloatBuffer.wrap(x), new Shape(B, D));
            NDArray ys = tc ? m.create(FloatBuffer.wrap(y), new Shape(B, dOut)) : xs;
            NDArray xc = tc ? xs : xs.sub(bDec);
            NDArray z = xc.matMul(enc.transpose()).add(bEnc);
            NDArray f = z.maximum(0f).mul(m.create(mainMask, new Shape(B, N)));
            NDArray base = skip == null ? bDec : xs.matMul(skip.transpose()).add(bDec);
            NDArray loss = null;
            NDArray r = null;
            for (int w : ends) {
                NDArray part = f.get(":, 0:" + w).matMul(dec.get("0:" + w + ", :"));
                r = ys.sub(part.add(base));
                NDArray l = r.square().sum().div(B);
                loss = loss == null ? l : loss.add(l);
            }
            if (auxMask != null) {
                double tv = TopKKernels.totalVariance(tc ? y : x, B, dOut);
                NDArray fa = z.maximum(0f).mul(m.create(auxMask, new Shape(B, N)));
                NDArray aux = fa.matMul(dec).sub(r.stopGradient()).square().sum().div((float) tv);
                loss = loss.add(aux.mul((float) alpha));
            }
            gc.backward(loss);
            return new Object[] {(double) loss.getFloat(), enc.getGradient().toFloatArray(),
                    bEnc.getGradient().toFloatArray(), dec.getGradient().toFloatArray(),
                    bDec.getGradient().toFloatArray(), skip == null ? null : skip.getGradient().toFloatArray()};
        }
    }

    /** The sparse transcoder step as TrainingRun runs it (skip target, sparse kernel, skip gradient). */
    static TopKKernels.Losses sparseTranscoderStep(float[] x, float[] y, SaeParameters p, SparseCodes codes,
            SparseCodes aux, double alpha, int[] ends, SaeParameters g) {
        float[] target = y;
        if (p.wSkip.length > 0) {
            try (NDManager m = NDManager.newBaseManager()) {
                target = SkipConnection.subtract(m, y, x, B, p);
            }
        }
        float[] gOut = p.wSkip.length > 0 ? new float[B * p.dOut()] : null;
        TopKKernels.Losses l = TopKKernels.forwardBackward(target, x, B, p, codes, aux, alpha,
                new TopKKernels.Options(ends, false, TopKKernels.totalVariance(y, B, p.dOut()), gOut), g);
        if (gOut != null) {
            SkipConnection.addGradient(gOut, x, B, p, g);
        }
        return l;
    }

    @Test
    void sparseSkipTranscoderWithAuxKMatchesAutograd() {
        float[] x = randomX(21);
        float[] y = randomY(22);
        SaeParameters p = randomTranscoder(23, false, true);
        boolean[] dead = new boolean[N];
        for (int i = 1; i < N; i += 4) {
            dead[i] = true;
        }
        SparseCodes codes;
        SparseCodes aux;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray z = TopKKernels.preActivations(m, x, B, p);
            codes = TopKKernels.selectTopK(z, 4);
            aux = TopKKernels.selectAux(m, z, dead, 3);
        }
        SaeParameters g = p.zerosLike();
        TopKKernels.Losses l = sparseTranscoderStep(x, y, p, codes, aux, 1.0 / 32, null, g);
        Object[] ref = autogradLevels(x, y, p, mask(codes), mask(aux), 1.0 / 32, new int[] {N});
        assertEquals((double) ref[0], l.mse() + l.aux() / 32, 1e-4 * (double) ref[0]);
        assertGradients(ref, g);
        assertClose("W_skip", (float[]) ref[5], g.wSkip);
    }

    @Test
    void matryoshkaPrefixLossesMatchAutograd() {
        float[] x = randomX(31);
        SaeParameters p = randomParams(32, false);
        float[] xc = TopKKernels.centre(x, B, p.bDec);
        int[] ends = {4, 12, N};
        SparseCodes codes;
        try (NDManager m = NDManager.newBaseManager()) {
            codes = TopKKernels.selectBatchTopK(TopKKernels.preActivations(m, xc, B, p), B * 5);
        }
        SaeParameters g = p.zerosLike();
        TopKKernels.Losses l = TopKKernels.forwardBackward(x, xc, B, p, codes, null, 0,
                new TopKKernels.Options(ends, true, Double.NaN, null), g);
        Object[] ref = autogradLevels(x, null, p, mask(codes), null, 0, ends);
        assertEquals((double) ref[0], l.mse() + l.inner(), 1e-4 * (double) ref[0]);
        assertTrue(l.inner() > l.mse(), "inner prefixes reconstruct worse than the whole dictionary");
        assertGradients(ref, g);
    }

    @Test
    void matryoshkaSkipTranscoderMatchesAutograd() {
        float[] x = randomX(41);
        float[] y = randomY(42);
        SaeParameters p = randomTranscoder(43, false, true);
        int[] ends = {8, N};
        SparseCodes codes;
        try (NDManager m = NDManager.newBaseManager()) {
            codes = TopKKernels.selectBatchTopK(TopKKernels.preActivations(m, x, B, p), B * 4);
        }
        SaeParameters g = p.zerosLike();
        TopKKernels.Losses l = sparseTranscoderStep(x, y, p, codes, null, 0, ends, g);
        Object[] ref = autogradLevels(x, y, p, mask(codes), null, 0, ends);
        assertEquals((double) ref[0], l.mse() + l.inner(), 1e-4 * (double) ref[0]);
        assertGradients(ref, g);
        assertClose("W_skip", (float[]) ref[5], g.wSkip);
    }

    @Test
    void denseTranscoderStepsMatchAutograd() {
        float[] x = randomX(51);
        float[] y = randomY(52);
        SaeParameters p = randomTranscoder(53, true, true);
        // TopK: the dense reference formulation
        SparseCodes codes;
        try (NDManager m = NDManager.newBaseManager()) {
            codes = TopKKernels.selectTopK(TopKKernels.preActivations(m, x, B, p), 5);
        }
        SaeParameters dense = p.zerosLike();
        DenseKernels.Result r = DenseKernels.topKStep(x, y, B, p, 5, dense);
        Object[] ref = autogradLevels(x, y, p, mask(codes), null, 0, new int[] {N});
        assertEquals((double) ref[0], r.mse(), 1e-4 * (double) ref[0]);
        assertGradients(ref, dense);
        assertClose("W_skip", (float[]) ref[5], dense.wSkip);
        // JumpReLU without sparsity loss: the parameter gradients (not θ's) are those of the fixed mask z > θ
        SplittableRandom rng = new SplittableRandom(54);
        for (int i = 0; i < N; i++) {
            p.logThreshold[i] = (float) Math.log(0.05 + 0.4 * rng.nextDouble());
        }
        float[] jumpMask = new float[B * N];
        try (NDManager m = NDManager.newBaseManager()) {
            float[] z = TopKKernels.preActivations(m, x, B, p).toFloatArray();
            for (int b = 0; b < B; b++) {
                for (int i = 0; i < N; i++) {
                    jumpMask[b * N + i] = z[b * N + i] > Math.exp(p.logThreshold[i]) ? 1f : 0f;
                }
            }
        }
        SaeParameters gj = p.zerosLike();
        DenseKernels.Result rj = DenseKernels.jumpReluStep(x, y, B, p, 0.01, 0, 0, gj);
        Object[] refJ = autogradLevels(x, y, p, jumpMask, null, 0, new int[] {N});
        assertEquals((double) refJ[0], rj.mse(), 1e-4 * (double) refJ[0]);
        assertGradients(refJ, gj);
        assertClose("W_skip", (float[]) refJ[5], gj.wSkip);
    }

    // ------------------------------------------------------------------ fused step = unfused step, bit for bit

    /**
     * The fused kernels (one pass over the rows; decoder-gradient projection inside the scatter; clipping factor and
     * W_dec renormalisation inside Adam) give exactly the bits of the step as it was before (TopKKernelsReference,
     * then Adam.projectDecoderGradient, Adam.scale, Adam.update, Adam.normalizeDecoderRows), at a size where the kernels run in
     * parallel over several chunks (B = 512, d = 256, n = 1024, k = 8, AuxK on a third of the latents).
     */
    @Test
    void fusedStepIsBitIdenticalToTheUnfusedStep() {
        int b = 512;
        int d = 256;
        int n = 1024;
        SplittableRandom r = new SplittableRandom(61);
        SaeParameters p = new SaeParameters(d, n, false);
        for (float[] a : p.arrays()) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (r.nextDouble() * 2 - 1);
            }
        }
        Adam.normalizeDecoderRows(p);
        float[] x = new float[b * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 4 - 2);
        }
        boolean[] dead = new boolean[n];
        for (int i = 0; i < n; i += 3) {
            dead[i] = true;
        }
        float[] xc = TopKKernels.centre(x, b, p.bDec);
        SparseCodes codes;
        SparseCodes aux;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray z = TopKKernels.preActivations(m, xc, b, p);
            codes = TopKKernels.selectTopK(z, 8);
            aux = TopKKernels.selectAux(m, z, dead, 16);
        }
        SaeParameters before = p.copy();
        SaeParameters g1 = p.zerosLike();
        double[] l1 = TopKKernelsReference.forwardBackward(x, xc, b, p, codes, aux, 1.0 / 32, g1);
        Adam.projectDecoderGradient(p, g1);
        SaeParameters g2 = p.zerosLike();
        TopKKernels.Losses l2 = TopKKernels.forwardBackward(x, xc, b, p, codes, aux, 1.0 / 32,
                new TopKKernels.Options(null, true, Double.NaN, null, true), g2);
        assertEquals(l1[0], l2.mse(), 0);
        assertEquals(l1[1], l2.aux(), 0);
        assertEquals(l1[2], l2.fvu(), 0);
        float[][] a1 = g1.arrays();
        float[][] a2 = g2.arrays();
        for (int i = 0; i < a1.length; i++) {
            assertTrue(Arrays.equals(a1[i], a2[i]), SaeParameters.names()[i] + " gradient differs");
        }
        Adam unfused = new Adam(p, 0.9, 0.999, 1e-8);
        Adam fused = new Adam(p, 0.9, 0.999, 1e-8);
        SaeParameters q = p.copy();
        for (int t = 1; t <= 2; t++) {
            float clip = t == 1 ? 0.37f : 1f; // gradient clipping's factor, then none
            if (clip != 1f) {
                Adam.scale(g1, clip);
            }
            unfused.update(p, g1, 1e-3, t);
            Adam.normalizeDecoderRows(p);
            fused.update(q, g2, 1e-3, t, true, clip);
        }
        for (int i = 0; i < a1.length; i++) {
            assertTrue(Arrays.equals(p.arrays()[i], q.arrays()[i]), SaeParameters.names()[i] + " after Adam differs");
        }
        assertTrue(!Arrays.equals(before.wDec, q.wDec), "the update must have changed the decoder");
    }

    /** Each row's selection is the k largest z (among allowed latents), checked by brute force. */
    static void assertSelectionIsTopK(float[] z, SparseCodes codes, int k, boolean[] allowed) {
        for (int b = 0; b < B; b++) {
            int start = codes.rowStart()[b];
            assertEquals(k, codes.rowStart()[b + 1] - start, "row " + b + " entries");
            float minSel = Float.MAX_VALUE;
            boolean[] sel = new boolean[N];
            for (int e = start; e < start + k; e++) {
                int i = codes.index()[e];
                sel[i] = true;
                if (allowed != null) {
                    assertTrue(allowed[i], "selected latent " + i + " is not allowed");
                }
                minSel = Math.min(minSel, z[b * N + i]);
                assertEquals(Math.max(0, z[b * N + i]), codes.value()[e], 0f);
            }
            for (int i = 0; i < N; i++) {
                if (!sel[i] && (allowed == null || allowed[i])) {
                    assertTrue(z[b * N + i] <= minSel, "row " + b + ": unselected " + i + " beats the selection");
                }
            }
        }
    }
}
