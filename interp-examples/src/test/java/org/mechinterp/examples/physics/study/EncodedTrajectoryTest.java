package org.mechinterp.examples.physics.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.examples.physics.Systems;
import org.mechinterp.examples.physics.Trajectory;
import org.mechinterp.examples.physics.prompt.IntegerGrid;

class EncodedTrajectoryTest {
    @TempDir
    Path tmp;

    @Test
    void readoutIsTheStepSeparatorAndTheCorpusLabelsEveryToken() throws Exception {
        Trajectory t = Systems.sample(Systems.create("mass-spring"), 1, 6, 3).get(0);
        try (Tokenizer tok = Tokenizer.load(ForecastEvaluationTest.fixture())) {
            EncodedTrajectory et = EncodedTrajectory.encode(0, t, IntegerGrid.builder().build(), tok);
            String text = et.series().text();
            int[] r = et.readout();
            assertEquals(6, r.length);
            for (int s = 0; s < 6; s++) {
                // "ddd,ddd;" per step after BOS and the SentencePiece space token: closing token is ';'
                assertEquals(";", tok.decode(new int[] {et.ids()[r[s]]}), "step " + s + " of " + text);
                assertEquals(s, et.alignment().token(r[s]).step());
            }
            Path corpus = tmp.resolve("c.jsonl");
            PhysicsStudy.writeCorpus(corpus, List.of(et), t.quantityNames());
            JsonObject o = JsonParser.parseString(Files.readAllLines(corpus).get(0)).getAsJsonObject();
            JsonObject labels = o.getAsJsonObject("labels");
            assertEquals(et.length(), o.getAsJsonArray("tokens").size());
            JsonArray e = labels.getAsJsonArray("E");
            JsonArray readout = labels.getAsJsonArray("readout");
            assertTrue(e.get(0).isJsonNull(), "BOS has no step");
            int ones = 0;
            for (int i = 0; i < et.length(); i++) {
                ones += readout.get(i).getAsInt();
                int step = et.alignment().token(i).step();
                if (step >= 0) {
                    assertEquals(t.quantity("E", step), e.get(i).getAsDouble(), 1e-12);
                    assertEquals(step, labels.getAsJsonArray("step").get(i).getAsInt());
                }
            }
            assertEquals(6, ones);
        }
    }

    @Test
    void scramblingPermutesWholeSteps() {
        Trajectory t = Systems.sample(Systems.create("mass-spring"), 1, 30, 5).get(0);
        Trajectory s = EncodedTrajectory.scrambled(t, new SplittableRandom(1));
        double[][] a = t.states();
        double[][] b = s.states();
        assertEquals(a.length, b.length);
        boolean moved = false;
        for (int i = 0; i < b.length; i++) {
            // every scrambled step is some original step, with its own quantities
            int src = -1;
            for (int j = 0; j < a.length; j++) {
                if (Arrays.equals(a[j], b[i])) {
                    src = j;
                }
            }
            assertTrue(src >= 0, "step " + i + " is not an original state");
            assertEquals(t.quantity("E1", src), s.quantity("E1", i), 0);
            moved |= src != i;
        }
        assertTrue(moved);
        double[] sortedA = t.quantity("E2");
        double[] sortedB = s.quantity("E2");
        Arrays.sort(sortedA);
        Arrays.sort(sortedB);
        assertArrayEquals(sortedA, sortedB, 0);
    }
}
