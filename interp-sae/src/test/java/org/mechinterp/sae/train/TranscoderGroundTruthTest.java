package org.mechinterp.sae.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;

/**
 * Ground truth for transcoders: a hidden sparse code c (m = 64 features, 3 active per row, magnitudes 1 + Exp(1))
 * is written into the input through one dictionary and into the output through another, x = c·D_in + ε,
 * y = c·D_out (+ A·x) + ε, with D_in [m, 24] and D_out [m, 20] independent random unit rows (m &gt; d: superposition
 * on both sides), A a random linear map and ε Gaussian noise σ = 0.01.
 *
 * <ul>
 *   <li>Without skip, a TopK transcoder (n = 128, k = 3) must recover D_out as its decoder rows: for each true
 *       feature the best decoder-row cosine; bar: mean ≥ 0.95 and ≥ 90% of features above 0.9 (measured: mean
 *       0.997, all above 0.9).</li>
 *   <li>With y = c·D_out + A·x the split between decoder and skip is not identifiable, so the test checks the learned
 *       map itself: for each feature the transcoder's response ŷ(2·D_in,i) − ŷ(0) against the true 2(D_out,i +
 *       A·D_in,i), cosine ≥ 0.9 for ≥ 90% of features (measured: all); and FVU on held-out rows ≤ 0.1 (measured
 *       0.068), less than a third of the FVU of the true linear part alone.</li>
 * </ul>
 * A random decoder scores a mean max-cosine of about 0.5 here; the map check of a transcoder with W_skip = A
 * alone (no latents) is far below the bar (checked below as a control).
 */
class TranscoderGroundTruthTest {
    static final int D_IN = 24;
    static final int D_OUT = 20;
    static final int M = 64;

    /** Hidden dictionaries and map. */
    record Truth(float[] dIn, float[] dOut, float[] a) {}

    static Truth truth(boolean withSkip) {
        float[] a = new float[D_OUT * D_IN];
        if (withSkip) {
            SplittableRandom r = new SplittableRandom(5);
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) ((r.nextDouble() - 0.5) * 0.6);
            }
        }
        return new Truth(new SyntheticSuperposition(D_IN, M, 3).features(),
                new SyntheticSuperposition(D_OUT, M, 4).features(), a);
    }

    /** Rows [x | y] (width D_IN + D_OUT). */
    static float[] sample(Truth t, int rows, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int w = D_IN + D_OUT;
        float[] out = new float[rows * w];
        double[] x = new double[D_IN];
        for (int b = 0; b < rows; b++) {
            Arrays.fill(x, 0);
            double[] y = new double[D_OUT];
            int[] chosen = new int[3];
            for (int q = 0; q < 3; q++) {
                int f;
                boolean repeat;
                do {
                    f = r.nextInt(M);
                    repeat = false;
                    for (int p = 0; p < q; p++) {
                        repeat |= chosen[p] == f;
                    }
                } while (repeat);
                chosen[q] = f;
                double c = 1 - Math.log(1 - r.nextDouble());
                for (int j = 0; j < D_IN; j++) {
                    x[j] += c * t.dIn()[f * D_IN + j];
                }
                for (int o = 0; o < D_OUT; o++) {
                    y[o] += c * t.dOut()[f * D_OUT + o];
                }
            }
            for (int j = 0; j < D_IN; j++) {
                x[j] += 0.01 * gaussian(r);
                out[b * w + j] = (float) x[j];
            }
            for (int o = 0; o < D_OUT; o++) {
                double s = y[o] + 0.01 * gaussian(r);
                for (int j = 0; j < D_IN; j++) {
                    s += t.a()[o * D_IN + j] * x[j];
                }
                out[b * w + D_IN + o] = (float) s;
            }
        }
        return out;
    }

    static Sae train(float[] xy, int rows, boolean skip) throws IOException {
        SaeConfig cfg = SaeConfig.builder().setArchitecture(Architecture.TOPK).setDims(D_IN, 2 * M).optK(3)
                .optTranscoder(D_OUT, skip).optOutputHook("blocks.0.hook_mlp_out").setSteps(1500).optBatchSize(256)
                .optLearningRate(3e-3).optWarmupSteps(50).optDeadWindow(100).optAuxK(16).optSeed(1)
                .optInitSampleRows(2048).build();
        try (InMemoryBatches data = new InMemoryBatches(xy, rows, D_IN + D_OUT, 9)) {
            return SaeTrainer.builder().setConfig(cfg).optProgress(false).build().train(data);
        }
    }

    @Test
    void topKTranscoderRecoversTheOutputDictionary() throws IOException {
        Truth t = truth(false);
        int rows = 60_000;
        Sae tc = train(sample(t, rows, 8), rows, false);
        double[] cos = new SyntheticSuperposition(D_OUT, M, 4).maxCosines(tc.wDec(), tc.dSae());
        double mean = Arrays.stream(cos).average().orElseThrow();
        double above = Arrays.stream(cos).filter(c -> c > 0.9).count() / (double) M;
        System.out.printf("transcoder ground truth: mean max-cosine %.4f, fraction > 0.9: %.3f%n", mean, above);
        assertTrue(mean >= 0.95, "mean max-cosine " + mean);
        assertTrue(above >= 0.9, "fraction of output features recovered above 0.9: " + above);
    }

    @Test
    void skipTranscoderRecoversTheInputToOutputMap() throws IOException {
        Truth t = truth(true);
        int rows = 60_000;
        Sae tc = train(sample(t, rows, 8), rows, true);
        double above = mapRecovery(tc, t);
        // a transcoder that is only the true linear part (W_skip = A, no latents) misses the sparse part
        Sae linearOnly = tc.toBuilder().setWDec(new float[tc.dSae() * D_OUT]).setBDec(new float[D_OUT])
                .optWSkip(t.a()).build();
        double control = mapRecovery(linearOnly, t);
        double fvu = heldOutFvu(tc, t);
        double controlFvu = heldOutFvu(linearOnly, t);
        System.out.printf("skip transcoder: map cosine > 0.9 for %.3f of features (linear-only control %.3f), "
                + "held-out FVU %.4f (linear-only control %.4f)%n", above, control, fvu, controlFvu);
        assertTrue(above >= 0.9, "fraction of feature responses recovered above 0.9: " + above);
        assertTrue(control < 0.5, "control should fail the bar: " + control);
        assertTrue(fvu <= 0.1, "held-out FVU " + fvu);
        assertTrue(controlFvu > 3 * fvu, "the latents must explain what the linear part cannot: " + controlFvu);
    }

    /** Fraction of features whose response ŷ(2·D_in,i) − ŷ(0) has cosine > 0.9 with 2(D_out,i + A·D_in,i). */
    static double mapRecovery(Sae tc, Truth t) {
        float[] probe = new float[(M + 1) * D_IN];
        for (int f = 0; f < M; f++) {
            for (int j = 0; j < D_IN; j++) {
                probe[f * D_IN + j] = 2f * t.dIn()[f * D_IN + j];
            }
        }
        float[] out = tc.reconstruct(probe, M + 1);
        int good = 0;
        for (int f = 0; f < M; f++) {
            double dot = 0;
            double nn = 0;
            double tt = 0;
            for (int o = 0; o < D_OUT; o++) {
                double truthV = t.dOut()[f * D_OUT + o];
                for (int j = 0; j < D_IN; j++) {
                    truthV += t.a()[o * D_IN + j] * t.dIn()[f * D_IN + j];
                }
                double resp = out[f * D_OUT + o] - out[M * D_OUT + o];
                dot += resp * truthV;
                nn += resp * resp;
                tt += truthV * truthV;
            }
            good += dot / Math.sqrt(nn * tt + 1e-30) > 0.9 ? 1 : 0;
        }
        return good / (double) M;
    }

    static double heldOutFvu(Sae tc, Truth t) {
        int rows = 2000;
        float[] xy = sample(t, rows, 99);
        int w = D_IN + D_OUT;
        float[] x = new float[rows * D_IN];
        for (int b = 0; b < rows; b++) {
            System.arraycopy(xy, b * w, x, b * D_IN, D_IN);
        }
        float[] yhat = tc.reconstruct(x, rows);
        double[] mean = new double[D_OUT];
        for (int b = 0; b < rows; b++) {
            for (int o = 0; o < D_OUT; o++) {
                mean[o] += xy[b * w + D_IN + o] / rows;
            }
        }
        double sse = 0;
        double var = 0;
        for (int b = 0; b < rows; b++) {
            for (int o = 0; o < D_OUT; o++) {
                double y = xy[b * w + D_IN + o];
                sse += (y - yhat[b * D_OUT + o]) * (y - yhat[b * D_OUT + o]);
                var += (y - mean[o]) * (y - mean[o]);
            }
        }
        return sse / var;
    }

    private static double gaussian(SplittableRandom r) {
        double u = 1.0 - r.nextDouble();
        double v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
