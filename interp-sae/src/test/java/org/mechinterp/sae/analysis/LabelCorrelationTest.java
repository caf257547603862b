package org.mechinterp.sae.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.store.LabeledStoreFixture;
import org.mechinterp.sae.store.StoreReader;

/**
 * Latents vs labels on a store with a planted code: 40 prompts of 10 tokens, d = 6 autocorrelated noise dimensions
 * except dimension 2 = 1 + e, where e is the prompt's "energy" (constant within a prompt). The SAE is the ReLU SAE
 * with W_enc = [I, −I] (latent j = ReLU(x_j), latent 6 + j = ReLU(−x_j)), so latent 2 is exactly 1 + e. Labels:
 * {@code energy} = e (NaN at position 0), {@code noise} independent of everything, {@code sel} = 1 at even positions.
 */
class LabelCorrelationTest {
    static final int PROMPTS = 40;
    static final int LEN = 10;
    static final int D = 6;

    @TempDir
    static Path tmp;
    static Path store;
    static float[] acts;
    static float[] labels;

    @BeforeAll
    static void writeStore() throws Exception {
        SplittableRandom rng = new SplittableRandom(11);
        int rows = PROMPTS * LEN;
        acts = new float[rows * D];
        labels = new float[rows * 3];
        long[] prompts = new long[rows];
        for (int p = 0; p < PROMPTS; p++) {
            double e = 0.5 + 2 * rng.nextDouble();
            for (int s = 0; s < LEN; s++) {
                int r = p * LEN + s;
                prompts[r] = 100 + p;
                for (int j = 0; j < D; j++) {
                    double prev = s == 0 ? 0 : acts[(r - 1) * D + j];
                    acts[r * D + j] = (float) (0.6 * prev + SyntheticFeatures.gaussian(rng));
                }
                acts[r * D + 2] = (float) (1 + e);
                labels[r * 3] = s == 0 ? Float.NaN : (float) e;
                labels[r * 3 + 1] = (float) SyntheticFeatures.gaussian(rng);
                labels[r * 3 + 2] = s % 2 == 0 ? 1 : 0;
            }
        }
        store = tmp.resolve("store");
        LabeledStoreFixture.write(store, "h", acts, D, prompts, List.of("energy", "noise", "sel"), labels);
    }

    static Sae identitySae() {
        float[] wEnc = new float[D * 2 * D]; // [d, n]
        float[] wDec = new float[2 * D * D]; // [n, d]
        for (int j = 0; j < D; j++) {
            wEnc[j * 2 * D + j] = 1;
            wEnc[j * 2 * D + D + j] = -1;
            wDec[j * D + j] = 1;
            wDec[(D + j) * D + j] = -1;
        }
        return Sae.builder().setArchitecture(Architecture.RELU).setDims(D, 2 * D).setWEnc(wEnc, D, 2 * D)
                .setBEnc(new float[2 * D]).setWDec(wDec).setBDec(new float[D]).build();
    }

    @Test
    void rowsAreSelectedAndSplitByPrompt() throws Exception {
        LabeledRows rows;
        try (StoreReader r = StoreReader.open(store)) {
            rows = LabeledRows.read(r, "h", List.of("energy", "noise"), "sel", 0.25, 100_000, 5);
        }
        // positions 2, 4, 6, 8 (position 0 has no energy, odd positions are not selected)
        assertEquals(PROMPTS * 4, rows.discovery().rows() + rows.heldOut().rows());
        assertEquals(10, rows.heldOut().groupCount());
        assertEquals(30, rows.discovery().groupCount());
        Set<Long> discPrompts = new HashSet<>();
        for (long idx : rows.discoveryRows()) {
            discPrompts.add(idx / LEN);
        }
        for (long idx : rows.heldOutRows()) {
            assertTrue(!discPrompts.contains(idx / LEN), "prompt " + idx / LEN + " on both sides");
        }
        // every row's activations and labels are the ones written at its store row
        for (int i = 0; i < rows.heldOut().rows(); i++) {
            int r = (int) rows.heldOutRows()[i];
            assertTrue(r % LEN % 2 == 0 && r % LEN != 0, "row " + r);
            for (int j = 0; j < D; j++) {
                assertEquals(acts[r * D + j], rows.heldOut().get(i, j), 0.0);
            }
            assertEquals(labels[r * 3], rows.values().get("energy")[1][i], 0.0);
            assertEquals(labels[r * 3 + 1], rows.values().get("noise")[1][i], 0.0);
        }
        assertEquals(0, rows.unpermutedDiscoveryPrompts());
    }

    @Test
    void thePlantedLatentIsFoundSignificantAndTheNoiseLabelIsNot() throws Exception {
        LabeledRows rows;
        try (StoreReader r = StoreReader.open(store)) {
            rows = LabeledRows.read(r, "h", List.of("energy", "noise"), null, 0.33, 100_000, 5);
        }
        LabelCorrelation.Result res = LabelCorrelation.builder().optPermutations(100).optTop(3).build()
                .analyse(identitySae(), null, rows);
        LabelCorrelation.LabelResult energy = res.labels().get(0);
        LabelCorrelation.TopLatent best = energy.top().get(0);
        assertEquals(2, best.latent());
        // r = 1 up to the float32 GEMM; the held-out r against a float64 Pearson of the same rows
        assertEquals(1.0, best.discoveryR(), 1e-5);
        double[] latentHeld = FeatureFamilies.encode(identitySae(), rows.heldOut()).column(2);
        assertEquals(Stats.pearson(latentHeld, rows.values().get("energy")[1]), best.heldOutR(), 1e-5);
        assertTrue(best.q() < 1e-3, "q " + best.q());
        assertEquals(2, energy.families().get(FeatureFamilies.RAW).bestFeature());
        assertTrue(energy.families().get(FeatureFamilies.SAE).selectionP() <= 2.0 / 101, "selection p");
        assertTrue(energy.probe().heldOutR2() > 0.99, "probe R² " + energy.probe().heldOutR2());
        assertEquals(List.of("sae", "raw_dims", "pca", "random_dirs"), List.copyOf(energy.families().keySet()));

        LabelCorrelation.LabelResult noise = res.labels().get(1);
        assertTrue(noise.top().get(0).q() > 0.05, "noise q " + noise.top().get(0).q());
        assertTrue(noise.probe().heldOutR2() < 0.1, "noise probe R² " + noise.probe().heldOutR2());
        // top latents are sorted by |r| and their q values are the family's BH values
        for (int i = 1; i < noise.top().size(); i++) {
            assertTrue(Math.abs(noise.top().get(i - 1).discoveryR()) >= Math.abs(noise.top().get(i).discoveryR()));
        }
        JsonObject json = res.toJson();
        assertEquals(2, json.getAsJsonObject("labels").getAsJsonObject("energy").getAsJsonArray("top_latents").get(0)
                .getAsJsonObject().get("latent").getAsInt());
        String html = CorrelationHtml.render(res);
        assertTrue(html.contains("<h2>energy</h2>") && html.contains("<h2>noise</h2>"), html);
    }

    @Test
    void unknownLabelsAndHooksAreNamed() throws Exception {
        try (StoreReader r = StoreReader.open(store)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LabeledRows.read(r, "h", List.of("mass"), null, 0.3, 1000, 1));
            assertTrue(e.getMessage().contains("'mass'") && e.getMessage().contains("energy"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> LabeledRows.read(r, "x", List.of("energy"), null, 0.3, 1000, 1));
            assertTrue(e.getMessage().contains("'x'"), e.getMessage());
        }
    }
}
