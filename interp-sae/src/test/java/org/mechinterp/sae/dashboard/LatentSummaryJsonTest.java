package org.mechinterp.sae.dashboard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Summaries written as dashboard JSON and read back are the same summaries, field for field and bit for bit
 * (a latent that never fired and undefined label r included), and a malformed file is refused naming the field.
 */
class LatentSummaryJsonTest {
    @Test
    void writtenSummariesReadBackExactly(@TempDir Path tmp) throws IOException {
        LatentStatsAccumulator acc = LatentStatsAccumulatorTest.feed(LatentStatsAccumulatorTest.corpus(40, 5));
        DashboardWriter w = new DashboardWriter(id -> "t" + id, null, "test");
        // a dashboard over the accumulator, its dashboard.json read back
        List<LatentSummary> want = new java.util.ArrayList<>();
        for (int i = 0; i < LatentStatsAccumulatorTest.LATENTS; i++) {
            want.add(acc.summary(i));
        }
        LatentStatsAccumulator silent = new LatentStatsAccumulator(new int[] {7}, 3, 1, 1, 2, 0, List.of("a"));
        silent.add(1, new int[] {1, 2}, new float[] {0, 0}, new float[] {0.5f, 1f});
        want.add(silent.summary(0)); // never fired: NaN label r written as null
        w.write(tmp.resolve("dash"), want, java.util.Map.of());
        List<LatentSummary> got = LatentSummaryJson.read(tmp.resolve("dash").resolve("dashboard.json"));
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            LatentSummary a = want.get(i);
            LatentSummary b = got.get(i);
            assertEquals(a.latent(), b.latent());
            assertEquals(a.tokens(), b.tokens());
            assertEquals(a.fired(), b.fired());
            assertEquals(a.meanWhenFired(), b.meanWhenFired(), 0.0);
            assertEquals(a.sdWhenFired(), b.sdWhenFired(), 0.0);
            assertEquals(a.max(), b.max(), 0f);
            assertArrayEquals(a.histogram(), b.histogram());
            assertEquals(a.labelNames(), b.labelNames());
            assertArrayEquals(a.labelR(), b.labelR(), 0.0);
            assertEquals(keys(a.top()), keys(b.top()));
            assertEquals(a.samples().size(), b.samples().size());
            for (int s = 0; s < a.samples().size(); s++) {
                assertEquals(keys(a.samples().get(s)), keys(b.samples().get(s)), "sample bin " + s);
            }
        }
        assertTrue(Double.isNaN(got.get(want.size() - 1).labelR()[0]));
        assertTrue(got.get(0).samples().stream().filter(l -> !l.isEmpty()).count() > 2, "several sample bins");
    }

    @Test
    void malformedFileIsRefusedNamingTheField(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("bad.json");
        JsonObject root = new JsonObject();
        JsonArray latents = new JsonArray();
        JsonObject l = new JsonObject();
        l.addProperty("latent", 3);
        latents.add(l);
        root.add("latents", latents);
        Files.writeString(f, root.toString());
        IOException e = assertThrows(IOException.class, () -> LatentSummaryJson.read(f));
        assertTrue(e.getMessage().contains("latents[0]") && e.getMessage().contains("'histogram'"), e.getMessage());
        Files.writeString(f, "{\"rows\": 3}");
        e = assertThrows(IOException.class, () -> LatentSummaryJson.read(f));
        assertTrue(e.getMessage().contains("'latents'"), e.getMessage());
    }

    private static List<String> keys(List<LatentContext> cs) {
        return cs.stream().map(c -> c.doc() + ":" + c.position() + ":" + c.activation() + ":" + c.start() + ":"
                + Arrays.toString(c.tokens()) + Arrays.toString(c.activations())).toList();
    }
}
