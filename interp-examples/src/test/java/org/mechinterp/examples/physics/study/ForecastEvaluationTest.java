package org.mechinterp.examples.physics.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.Interp;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.examples.physics.Trajectory;
import org.mechinterp.examples.physics.prompt.IntegerGrid;

/** Forecast evaluation on the stories260K fixture (digit-per-token SentencePiece): plumbing and baselines. */
public class ForecastEvaluationTest {
    static HookedTransformer model;
    static Tokenizer tok;

    /** The fixture folder as a string, for command-line tests. */
    public static String fixtureDir() {
        return fixture().toString();
    }

    public static Path fixture() {
        for (String base : new String[] {System.getProperty("interp.shared.dir", "../shared"), "../shared",
            "../../shared"}) {
            Path p = Path.of(base, "fixtures", "stories260K-llama");
            if (Files.isDirectory(p)) {
                return p;
            }
        }
        throw new IllegalStateException("stories260K-llama fixture not found");
    }

    @BeforeAll
    static void load() throws Exception {
        Interp.configureDjl();
        model = HookedTransformer.load(fixture());
        tok = Tokenizer.load(fixture());
    }

    @AfterAll
    static void close() {
        model.close();
        tok.close();
    }

    /** x1 = sin, x2 = cos with an integer period: exactly periodic states. */
    static Trajectory periodic(int steps, int period, double phase) {
        double[][] s = new double[steps][2];
        double[] e = new double[steps];
        for (int t = 0; t < steps; t++) {
            s[t][0] = Math.sin(2 * Math.PI * t / period + phase);
            s[t][1] = 0.7 * Math.cos(2 * Math.PI * t / period + phase);
            e[t] = 1;
        }
        return Trajectory.builder().setSystem("test").setComponents(List.of("x1", "x2")).setDt(0.1).setStates(s)
                .optQuantity("E", e).build();
    }

    @Test
    void digitTokensOfTheFixture() {
        int[] ids = DigitTokens.of(tok);
        for (int d = 0; d < 10; d++) {
            assertEquals(String.valueOf(d), tok.decode(new int[] {ids[d]}));
        }
    }

    @Test
    void digitLogitsMatchTheFullSoftmax() {
        int[] digits = DigitTokens.of(tok);
        EncodedTrajectory et = EncodedTrajectory.encode(0, periodic(6, 5, 0.3), IntegerGrid.builder().build(), tok);
        int[] ids = et.ids();
        double[][] dl = ForecastEvaluation.digitLogits(model, ids, digits);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = model.forward(m, TokenBatch.of(ids));
            for (int pos : new int[] {1, 7, ids.length - 1}) {
                float[] row = logits.get(0, pos).toFloatArray();
                double max = Double.NEGATIVE_INFINITY;
                for (float v : row) {
                    max = Math.max(max, v);
                }
                double z = 0;
                for (float v : row) {
                    z += Math.exp(v - max);
                }
                double digitMass = 0;
                double[] p = new double[10];
                for (int d = 0; d < 10; d++) {
                    p[d] = Math.exp(row[digits[d]] - max) / z;
                    digitMass += p[d];
                }
                double[] got = ForecastEvaluation.softmax(dl[pos]);
                for (int d = 0; d < 10; d++) {
                    assertEquals(p[d] / digitMass, got[d], 1e-5, "position " + pos + " digit " + d);
                }
                assertEquals(digitMass, got[10], 1e-5);
            }
        }
    }

    @Test
    void parrotingHitsTheQuantisationFloorOnPeriodicSeries() {
        List<EncodedTrajectory> held = new ArrayList<>();
        for (int j = 0; j < 4; j++) {
            held.add(EncodedTrajectory.encode(j, periodic(24, 6, 0.4 * j), IntegerGrid.builder().build(), tok));
        }
        ForecastResult r = ForecastEvaluation.builder().optContexts(2, 4, 9, 12, 20).optMotif(3).optResamples(200)
                .build().evaluate(model, held, DigitTokens.of(tok), null);
        // From context period + motif = 9 on, parroting copies the exact code: its error is the floor's.
        for (int i = 2; i < 5; i++) {
            assertEquals(r.floorRmse()[i], r.parrotRmse()[i], 1e-15, "context " + r.contexts()[i]);
            assertTrue(r.lastRmse()[i] > 10 * r.floorRmse()[i], "repeat-last should be far worse on a sine");
        }
        // Rounding to integer codes on [150, 850]: the floor is at most half a code, 0.0005 in u units.
        for (double f : r.floorRmse()) {
            assertTrue(f > 0 && f <= 0.0005, "floor " + f);
        }
        for (int i = 0; i < 5; i++) {
            assertTrue(r.modelRmse()[i] > 0 && r.modelRmse()[i] < 1, "model RMSE " + r.modelRmse()[i]);
            assertTrue(r.modelLo()[i] <= r.modelRmse()[i] + 1e-12 && r.modelRmse()[i] <= r.modelHi()[i] + 1e-12);
        }
        assertTrue(r.digitMass() > 0 && r.digitMass() <= 1);
        assertNull(r.bhattacharyya(), "deterministic: no Bhattacharyya distance");
        assertTrue(Double.isFinite(r.exponent()));
    }

    @Test
    void logGridAndBadSettings() {
        assertArrayEquals(new int[] {1, 2, 3, 4, 6, 8, 11, 16, 23, 32}, ForecastEvaluation.logGrid(32));
        assertThrows(IllegalArgumentException.class, () -> ForecastEvaluation.builder().optContexts(1, 2).build());
        assertThrows(IllegalArgumentException.class, () -> ForecastEvaluation.builder().optContexts(1, 4, 3).build());
        List<EncodedTrajectory> shortOnes = List.of(
                EncodedTrajectory.encode(0, periodic(5, 4, 0), IntegerGrid.builder().build(), tok),
                EncodedTrajectory.encode(1, periodic(5, 4, 1), IntegerGrid.builder().build(), tok));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ForecastEvaluation.builder()
                .optContexts(1, 2, 8).build().evaluate(model, shortOnes, DigitTokens.of(tok), null));
        assertTrue(e.getMessage().contains("context 8"), e.getMessage());
    }
}
