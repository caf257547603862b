package org.mechinterp.sae.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.model.SaeMetadata;
import org.mechinterp.sae.train.InMemoryBatches;

/**
 * Metrics against a brute-force double-precision computation; CE loss recovered and KL on the real stories260K
 * model with SAEs whose answers are known: an exact SAE (x = ReLU(x) − ReLU(−x)) recovers 1 with KL 0, an SAE
 * that outputs 0 recovers 0; the density histogram PNG.
 */
class EvaluationTest {
    static final int D = 8;
    static final int N = 20;
    static final int K = 3;

    static Sae randomTopK(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] enc = new float[N * D];
        float[] dec = new float[N * D];
        float[] be = new float[N];
        float[] bd = new float[D];
        for (int i = 0; i < enc.length; i++) {
            enc[i] = (float) (r.nextDouble() - 0.5);
            dec[i] = (float) (r.nextDouble() - 0.5);
        }
        for (int i = 0; i < N; i++) {
            be[i] = i < 4 ? -100f : (float) (r.nextDouble() * 0.2); // 4 latents can never fire: dead
        }
        for (int j = 0; j < D; j++) {
            bd[j] = (float) (r.nextDouble() * 0.2);
        }
        be[5] = 50f; // fires on every row: dense
        return Sae.builder().setArchitecture(Architecture.TOPK).setDims(D, N).optK(K).setEncoderRows(enc).setBEnc(be)
                .setWDec(dec).setBDec(bd).build();
    }

    /** A NaN in the decoder makes the MSE NaN; the cosine and shrinkage must not report finite values beside it. */
    @Test
    void nonFiniteReconstructionsMakeEveryReconstructionMetricNaN() throws IOException {
        Sae good = randomTopK(1);
        float[] dec = good.wDec().clone();
        java.util.Arrays.fill(dec, Float.NaN);
        Sae sae = Sae.builder().setArchitecture(Architecture.TOPK).setDims(D, N).optK(K)
                .setEncoderRows(good.encoderRows()).setBEnc(good.bEnc()).setWDec(dec).setBDec(good.bDec()).build();
        float[] x = new float[10 * D];
        Arrays.fill(x, 1f);
        EvalResult res;
        try (InMemoryBatches data = new InMemoryBatches(x, 10, D, 3)) {
            res = SaeEvaluator.evaluate(sae, data, 10, 4);
        }
        assertTrue(Double.isNaN(res.mse()), "mse " + res.mse());
        assertTrue(Double.isNaN(res.cosine()), "cosine " + res.cosine());
        assertTrue(Double.isNaN(res.shrinkage()), "shrinkage " + res.shrinkage());
    }

    @Test
    void metricsMatchBruteForce() throws IOException {
        Sae sae = randomTopK(1);
        int rows = 300;
        SplittableRandom r = new SplittableRandom(2);
        float[] x = new float[rows * D];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 3 + (i % D == 0 ? 2 : 0));
        }
        EvalResult res;
        try (InMemoryBatches data = new InMemoryBatches(x, rows, D, 3)) {
            res = SaeEvaluator.evaluate(sae, data, rows, 64); // one epoch: every row exactly once
        }
        float[] enc = sae.encoderRows();
        float[] dec = sae.wDec();
        float[] be = sae.bEnc();
        float[] bd = sae.bDec();
        double sse = 0;
        double cos = 0;
        double shrink = 0;
        double l0 = 0;
        long[] fires = new long[N];
        double[] mean = new double[D];
        for (int b = 0; b < rows; b++) {
            for (int j = 0; j < D; j++) {
                mean[j] += x[b * D + j] / (double) rows;
            }
        }
        double var = 0;
        for (int b = 0; b < rows; b++) {
            double[] z = new double[N];
            Integer[] order = new Integer[N];
            for (int i = 0; i < N; i++) {
                order[i] = i;
                z[i] = be[i];
                for (int j = 0; j < D; j++) {
                    z[i] += (x[b * D + j] - bd[j]) * (double) enc[i * D + j];
                }
            }
            Arrays.sort(order, (p, q) -> Double.compare(z[q], z[p]));
            double[] xhat = new double[D];
            for (int j = 0; j < D; j++) {
                xhat[j] = bd[j];
            }
            for (int t = 0; t < K; t++) {
                int i = order[t];
                if (z[i] > 0) {
                    fires[i]++;
                    l0++;
                    for (int j = 0; j < D; j++) {
                        xhat[j] += z[i] * dec[i * D + j];
                    }
                }
            }
            double xx = 0;
            double hh = 0;
            double xh = 0;
            for (int j = 0; j < D; j++) {
                double xv = x[b * D + j];
                sse += (xv - xhat[j]) * (xv - xhat[j]);
                var += (xv - mean[j]) * (xv - mean[j]);
                xx += xv * xv;
                hh += xhat[j] * xhat[j];
                xh += xv * xhat[j];
            }
            cos += xh / Math.sqrt(xx * hh);
            shrink += Math.sqrt(hh / xx);
        }
        int dead = 0;
        int dense = 0;
        for (long f : fires) {
            dead += f == 0 ? 1 : 0;
            dense += f > 0.1 * rows ? 1 : 0;
        }
        assertEquals(rows, res.tokens());
        assertEquals(l0 / rows, res.l0(), 1e-9);
        assertEquals(sse / (rows * D), res.mse(), 1e-5 * sse / (rows * D));
        assertEquals(sse / var, res.fvu(), 1e-5 * sse / var);
        assertEquals(1 - sse / var, res.explainedVariance(), 1e-5);
        assertEquals(cos / rows, res.cosine(), 1e-5);
        assertEquals(shrink / rows, res.shrinkage(), 1e-5);
        assertEquals(dead / (double) N, res.deadFraction(), 0);
        assertEquals(dense / (double) N, res.denseFraction(), 0);
        assertTrue(dead >= 4 && dense >= 1, "fixture should have dead and dense latents: " + dead + ", " + dense);
        assertEquals(1.0, res.density()[5], 0);
    }

    @Test
    void densityHistogramPng(@TempDir Path tmp) throws IOException {
        double[] density = {0, 0, 0, 1e-3, 1e-3, 0.5, 1.0};
        long[] counts = DensityHistogram.counts(density);
        assertEquals(3, counts[0]);
        assertEquals(density.length, Arrays.stream(counts).sum());
        assertEquals(2, counts[(int) Math.floor((-3 + 10) / 10.0 * DensityHistogram.BINS)]);
        Path png = tmp.resolve("density.png");
        DensityHistogram.writePng(density, png, "test");
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img);
        assertEquals(900, img.getWidth());
        try (var s = Files.list(tmp)) {
            assertEquals(1, s.count(), "no temporary file left behind");
        }
    }

    static Path stories() {
        String shared = System.getProperty("interp.shared.dir");
        for (String c : new String[] {shared, "../shared", "../../shared"}) {
            if (c != null && Files.isDirectory(Path.of(c, "fixtures", "stories260K-llama"))) {
                return Path.of(c, "fixtures", "stories260K-llama");
            }
        }
        throw new IllegalStateException("shared fixtures not found (interp.shared.dir=" + shared + ")");
    }

    @Test
    void ceLossRecoveredAndKlOnARealModel() throws IOException {
        try (HookedTransformer model = HookedTransformer.load(stories());
                Tokenizer tok = Tokenizer.load(stories())) {
            int d = model.config().dModel();
            String hook = "blocks.2.hook_resid_post";
            // exact: latents e_j and −e_j, so x̂ = ReLU(x) − ReLU(−x) = x
            float[] enc = new float[2 * d * d];
            for (int j = 0; j < d; j++) {
                enc[j * d + j] = 1f;
                enc[(d + j) * d + j] = -1f;
            }
            Sae exact = Sae.builder().setArchitecture(Architecture.RELU).setDims(d, 2 * d).setEncoderRows(enc)
                    .setBEnc(new float[2 * d]).setWDec(enc).setBDec(new float[d])
                    .optMetadata(new SaeMetadata("stories260K", hook, 0, true)).build();
            Sae nothing = exact.toBuilder().setWDec(new float[2 * d * d]).build();
            List<int[]> prompts = List.of(tok.encode("Once upon a time, there was a little girl named Lily."),
                    tok.encode("The dog was happy. He ran to the park"));
            int expectedPositions = prompts.get(0).length + prompts.get(1).length - 2;
            SpliceEvaluator.Result a = SpliceEvaluator.evaluate(model, exact, hook, prompts);
            SpliceEvaluator.Result z = SpliceEvaluator.evaluate(model, nothing, hook, prompts);
            System.out.printf("CE clean %.4f, zero-ablated %.4f; exact SAE: recovered %.6f, KL %.2e%n", a.ceClean(),
                    a.ceZero(), a.ceLossRecovered(), a.klDiv());
            assertEquals(expectedPositions, a.positions());
            assertTrue(a.ceZero() > a.ceClean() + 0.5, "zero ablation must hurt: " + a);
            assertEquals(1.0, a.ceLossRecovered(), 1e-4);
            assertEquals(0.0, a.klDiv(), 1e-6);
            assertEquals(0.0, z.ceLossRecovered(), 1e-4);
            assertEquals(z.ceZero(), z.ceSae(), 1e-5);
            assertTrue(z.klDiv() > 0.1, "KL of a useless SAE must be large: " + z.klDiv());
        }
    }

    @Test
    void promptsAreRebuiltFromStoreRows() {
        long[] pid = {7, 7, 9, 7, 9, 11};
        int[] pos = {0, 1, 1, 2, 0, 1};
        int[] tok = {1, 5, 6, 8, 2, 3};
        List<int[]> p = SpliceEvaluator.promptsFromRows(pid, pos, tok, 6, 10);
        assertEquals(2, p.size(), "prompt 11 lacks position 0 and is dropped");
        assertTrue(Arrays.equals(new int[] {1, 5, 8}, p.get(0)));
        assertTrue(Arrays.equals(new int[] {2, 6}, p.get(1)));
    }
}
