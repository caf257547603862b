package org.mechinterp.examples.physics.study;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.examples.EmbeddedPhysicsModel;

/**
 * The physics study's numbers are unchanged by refactoring: a small deterministic configuration of the whole
 * pipeline (embedded physics model, 6 + 3 trajectories of 12 steps, layers 0 and 1, 64-latent SAEs trained for 20
 * steps, 20 permutations) must reproduce, bit for bit, every number of {@code golden-study-results.json}. The golden
 * was written by {@code ./interp physics --discovery 6 --heldout 3 --steps 12 --layers 0,1 --sae-steps 20
 * --permutations 20 --sae-width 64} at commit 0379300, before the correlation code moved to
 * {@code org.mechinterp.sae.analysis} (its {@code model} path and {@code timings_s} removed).
 *
 * <p>Comparison: every number of the golden must occur in the new {@code results.json} with the same IEEE bits, as
 * a multiset over the whole file (keys are ignored so that a renamed or regrouped field in the presentation does not
 * break the check; the values are distinctive doubles, so a changed computation cannot hide).
 */
class PhysicsStudyGoldenTest {

    @Test
    void smallStudyReproducesTheGoldenNumbersExactly(@TempDir Path out) throws Exception {
        PhysicsStudy.builder().setModel(EmbeddedPhysicsModel.path()).setOut(out).optTrajectories(6, 3).optSteps(12)
                .optLayers(0, 1).optSae(64, 8, 20, 256).optPermutations(20).optSeed(2025)
                .optLog(new PrintWriter(PrintWriter.nullWriter())).build().run();
        JsonElement actual = JsonParser.parseString(Files.readString(out.resolve("results.json")));
        JsonElement golden;
        try (InputStream in = getClass().getResourceAsStream("golden-study-results.json")) {
            assertNotNull(in, "golden-study-results.json is missing from the test resources");
            golden = JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        }
        Map<Long, Integer> have = new HashMap<>();
        List<String> actualPaths = new ArrayList<>();
        flatten(actual, "", (path, v) -> {
            if (!path.startsWith("/timings_s")) {
                have.merge(Double.doubleToLongBits(v), 1, Integer::sum);
                actualPaths.add(path);
            }
        });
        List<String> missing = new ArrayList<>();
        int[] count = {0};
        flatten(golden, "", (path, v) -> {
            count[0]++;
            Integer n = have.get(Double.doubleToLongBits(v));
            if (n == null || n == 0) {
                missing.add(path + " = " + v);
            } else {
                have.put(Double.doubleToLongBits(v), n - 1);
            }
        });
        assertTrue(count[0] > 500, "the golden holds only " + count[0] + " numbers");
        assertTrue(missing.isEmpty(), missing.size() + " of " + count[0] + " golden numbers are not reproduced, e.g. "
                + missing.subList(0, Math.min(10, missing.size())));
    }

    private interface NumberSink {
        void accept(String path, double value);
    }

    private static void flatten(JsonElement e, String path, NumberSink sink) {
        if (e.isJsonObject()) {
            e.getAsJsonObject().entrySet().forEach(en -> flatten(en.getValue(), path + "/" + en.getKey(), sink));
        } else if (e.isJsonArray()) {
            for (int i = 0; i < e.getAsJsonArray().size(); i++) {
                flatten(e.getAsJsonArray().get(i), path + "/" + i, sink);
            }
        } else if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            sink.accept(path, e.getAsDouble());
        } else if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            String s = e.getAsString();
            // NaN and infinities are written as strings by some writers; compare them too
            if (s.equals("NaN") || s.equals("Infinity") || s.equals("-Infinity")) {
                sink.accept(path, Double.parseDouble(s));
            }
        }
    }
}
