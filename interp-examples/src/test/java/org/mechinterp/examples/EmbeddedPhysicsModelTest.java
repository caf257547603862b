package org.mechinterp.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.examples.physics.model.DigitVocabulary;
import org.mechinterp.examples.physics.model.ForecastCheck;
import org.mechinterp.examples.physics.model.PhysicsDataRecipe;

/**
 * The bundled physics model: it extracts, loads with its tokenizer, and on trajectories it has never seen (a seed
 * used neither in training nor in its evaluation) it predicts digits far better than chance and forecasts
 * mass-spring trajectories better than repeating the last value.
 */
class EmbeddedPhysicsModelTest {
    @Test
    void extractsAndLoads() throws IOException {
        Path dir = EmbeddedPhysicsModel.path();
        for (String f : EmbeddedPhysicsModel.FILES) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        assertEquals(dir, EmbeddedPhysicsModel.path());
        try (HookedTransformer model = HookedTransformer.load(dir); Tokenizer tok = Tokenizer.load(dir)) {
            assertEquals("qwen3", model.config().modelType());
            assertEquals(DigitVocabulary.SIZE, model.config().vocabSize());
            assertEquals(DigitVocabulary.SIZE, tok.vocabSize());
            String text = "500,500;";
            int[] ids = tok.encode(text);
            assertEquals(List.of(1, 8, 3, 3, 13, 8, 3, 3, 14),
                    java.util.Arrays.stream(ids).boxed().toList());
        }
        JsonObject p = JsonParser.parseString(Files.readString(dir.resolve("provenance.json"))).getAsJsonObject();
        assertTrue(p.get("command_line").getAsString().startsWith("interp train-physics-model"), p.toString());
    }

    @Test
    void predictsHeldOutTrajectories() throws IOException {
        Path dir = EmbeddedPhysicsModel.path();
        try (HookedTransformer model = HookedTransformer.load(dir); NDManager m = NDManager.newBaseManager()) {
            int context = model.config().maxPositions();
            PhysicsDataRecipe recipe = PhysicsDataRecipe.builder().optContextTokens(context).build();
            SplittableRandom r = new SplittableRandom(777);
            int n = 4;
            int[][] inputs = new int[n][];
            int[][] targets = new int[n][];
            for (int i = 0; i < n; i++) {
                int[] tokens = recipe.sample("mass-spring", r.split()).sequence().tokens();
                inputs[i] = java.util.Arrays.copyOf(tokens, context);
                targets[i] = java.util.Arrays.copyOfRange(tokens, 1, context + 1);
            }
            NDArray logp = model.forward(m, TokenBatch.of(inputs)).logSoftmax(-1);
            float[] lp = logp.toFloatArray();
            int v = model.config().vocabSize();
            double nll = 0;
            int digits = 0;
            for (int i = 0; i < n; i++) {
                for (int t = context / 2; t < context; t++) { // second half: plenty of context
                    if (DigitVocabulary.isDigit(targets[i][t])) {
                        nll -= lp[(i * context + t) * v + targets[i][t]];
                        digits++;
                    }
                }
            }
            double perDigit = nll / digits;
            // chance is ln(10) = 2.30 nats per digit
            assertTrue(perDigit < DIGIT_NLL_BOUND, "held-out mass-spring digit loss " + perDigit);

            List<ForecastCheck.Row> rows = ForecastCheck.run(model, recipe, "mass-spring", 8, new int[] {32}, 4242);
            ForecastCheck.Row row = rows.get(0);
            assertTrue(row.modelRmse() < row.lastRmse(), "one-step forecast RMSE " + row.modelRmse()
                    + " codes vs repeating the last value " + row.lastRmse());
        }
    }

    /** Set from the trained model's held-out figures with a margin (see models/physics/README.md). */
    static final double DIGIT_NLL_BOUND = 1.0;
}
