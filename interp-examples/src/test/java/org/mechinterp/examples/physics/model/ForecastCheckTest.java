package org.mechinterp.examples.physics.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.RandomWeights;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.examples.physics.prompt.SerializedSeries;

/** The forecast check's baselines and its batched greedy decoding against independent computations. */
class ForecastCheckTest {
    @Test
    void parrotingIsExactOnAPeriodicSeries() {
        long[][] codes = new long[30][2];
        for (int t = 0; t < codes.length; t++) {
            codes[t][0] = 500 + Math.round(300 * Math.sin(2 * Math.PI * t / 7.0));
            codes[t][1] = 500 + Math.round(200 * Math.cos(2 * Math.PI * t / 7.0));
        }
        for (int c = 10; c < 30; c++) {
            assertArrayEquals(codes[c], ForecastCheck.parrot(codes, c), "context " + c);
        }
        // the last three steps (1, 2, 3) occurred before, followed by 4: parroting predicts 4, not 50 or 3
        long[][] motif = {{1}, {2}, {3}, {4}, {50}, {1}, {2}, {3}};
        assertArrayEquals(new long[] {4}, ForecastCheck.parrot(motif, 8));
    }

    @Test
    void batchedGreedyForecastEqualsOneSequenceAtATimeDecoding() {
        PhysicsDataRecipe recipe = PhysicsDataRecipe.builder().optContextTokens(64).build();
        try (HookedTransformer model = RandomWeights.model(PhysicsModelTraining.modelConfig(16, 1, 2, 32, 64), 4)) {
            SplittableRandom r = new SplittableRandom(2);
            List<SerializedSeries> series = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                series.add(recipe.sample("mass-spring", r.split()).series());
            }
            int c = 5;
            long[][] batched = ForecastCheck.forecast(model, series, c, 2);
            for (int i = 0; i < series.size(); i++) {
                String text = series.get(i).text();
                int[] ids = DigitVocabulary.encode(text.substring(0, 8 * c), true);
                StringBuilder generated = new StringBuilder();
                try (NDManager m = NDManager.newBaseManager()) {
                    for (int k = 0; k < 7; k++) {
                        if (k == 3) {
                            generated.append(',');
                            ids = append(ids, DigitVocabulary.COMMA);
                            continue;
                        }
                        float[] logits = model.forward(m, TokenBatch.of(ids)).get(0, ids.length - 1).toFloatArray();
                        int best = DigitVocabulary.DIGIT0;
                        for (int id = DigitVocabulary.DIGIT0; id < DigitVocabulary.DIGIT0 + 10; id++) {
                            if (logits[id] > logits[best]) {
                                best = id;
                            }
                        }
                        generated.append(DigitVocabulary.text(best));
                        ids = append(ids, best);
                    }
                }
                String[] parts = generated.toString().split(",");
                assertArrayEquals(new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])}, batched[i],
                        "series " + i);
            }
        }
    }

    @Test
    void runReportsBaselinesAndRejectsContextsThatDoNotFit() {
        PhysicsDataRecipe recipe = PhysicsDataRecipe.builder().optContextTokens(64).build();
        try (HookedTransformer model = RandomWeights.model(PhysicsModelTraining.modelConfig(16, 1, 2, 32, 64), 4)) {
            List<ForecastCheck.Row> rows = ForecastCheck.run(model, recipe, "mass-spring", 4, new int[] {2, 6}, 1);
            assertEquals(2, rows.size());
            for (ForecastCheck.Row row : rows) {
                assertTrue(Double.isFinite(row.modelRmse()) && row.lastRmse() > 0, row.toString());
            }
            assertThrows(IllegalArgumentException.class,
                    () -> ForecastCheck.run(model, recipe, "mass-spring", 2, new int[] {8}, 1));
        }
    }

    private static int[] append(int[] a, int v) {
        int[] out = Arrays.copyOf(a, a.length + 1);
        out[a.length] = v;
        return out;
    }
}
