package org.mechinterp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.examples.EmbeddedModel;
import org.mechinterp.jacobian.AttributionRequest;
import org.mechinterp.jacobian.AttributionResult;
import org.mechinterp.jacobian.Attributor;
import org.mechinterp.jacobian.Method;

/** {@code scopes --prompts FILE --out FILE.jsonl}: contents against the library, resume after a kill, HTML. */
class ScopesBatchCommandTest {
    @TempDir
    Path tmp;

    static final List<String> PROMPTS = List.of("Once upon a time", "The cat sat on the mat and",
            "Lily", "She went to the park and saw a big dog", "Tom liked to play with his");

    @Test
    void everyPromptMatchesTheLibraryAndAKilledRunResumes() throws Exception {
        Path prompts = tmp.resolve("p.txt");
        Files.writeString(prompts, PROMPTS.get(0) + "\n\n" + String.join("\n", PROMPTS.subList(1, 5)) + "\n");
        Path out = tmp.resolve("o.jsonl");
        Path html = tmp.resolve("pages");
        InterpCliTest.Result r = InterpCliTest.run("scopes", "--prompts", prompts.toString(), "--scope",
                "semantic", "--batch", "2", "--out", out.toString(), "--html", html.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("5 prompts attributed, 0 already"), r.out());
        assertTrue(r.err().contains("scopes: 5/5 prompts"), r.err());
        List<JsonObject> full = records(out);
        assertEquals(5, full.size());
        assertAgreesWithLibrary(full);
        assertEquals(3, full.get(1).get("line").getAsInt(), "the blank line is skipped, lines keep their numbers");
        String index = Files.readString(html.resolve("index.html"));
        for (int i = 0; i < 5; i++) {
            assertTrue(index.contains("href=\"prompt-00000" + i + ".html\""), "index links prompt " + i);
            assertTrue(Files.readString(html.resolve("prompt-00000" + i + ".html")).contains("<span"));
        }

        // a kill in the middle of writing record 2: two complete lines and half of the third
        byte[] bytes = Files.readAllBytes(out);
        int cut = nthNewline(bytes, 2) + 1 + 40;
        Files.write(out, java.util.Arrays.copyOf(bytes, cut));
        Files.delete(html.resolve("index.html"));
        InterpCliTest.Result resumed = InterpCliTest.run("scopes", "--prompts", prompts.toString(), "--scope",
                "semantic", "--batch", "2", "--out", out.toString(), "--html", html.toString());
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("3 prompts attributed, 2 already"), resumed.out());
        List<JsonObject> again = records(out);
        assertEquals(5, again.size());
        for (int i = 0; i < 5; i++) {
            assertEquals(i, again.get(i).get("index").getAsInt());
            assertEquals(full.get(i).get("scores"), again.get(i).get("scores"), "record " + i + " as before");
        }
        assertTrue(Files.readString(html.resolve("index.html")).contains("prompt-000001.html"),
                "the index lists resumed records too");

        InterpCliTest.Result done = InterpCliTest.run("scopes", "--prompts", prompts.toString(), "--scope",
                "semantic", "--out", out.toString());
        assertEquals(0, done.code(), done.err());
        assertTrue(done.out().contains("0 prompts attributed, 5 already"), done.out());
        assertEquals(5, records(out).size());

        InterpCliTest.Result other = InterpCliTest.run("scopes", "--prompts", prompts.toString(), "--scope",
                "temperature", "--out", out.toString());
        assertEquals(2, other.code());
        assertTrue(other.err().contains("another prompt file or scope"), other.err());
    }

    @Test
    void jsonlPromptsCarryPositionTargetAndIds() throws Exception {
        Path prompts = tmp.resolve("p.jsonl");
        Files.writeString(prompts, "{\"text\": \"Once upon a time\", \"position\": -2, \"target\": 403}\n"
                + "{\"tokens\": [1, 403, 407, 261]}\n");
        Path out = tmp.resolve("o.jsonl");
        InterpCliTest.Result r = InterpCliTest.run("scopes", "--prompts", prompts.toString(), "--scope",
                "fisher", "--fisher-rank", "2", "--out", out.toString(), "--exclude", "0");
        assertEquals(0, r.code(), r.err());
        List<JsonObject> recs = records(out);
        assertEquals(2, recs.size());
        JsonObject first = recs.get(0);
        int t = first.getAsJsonArray("tokens").size();
        assertEquals(t - 2, first.get("position").getAsInt());
        assertTrue(first.get("target").isJsonNull(), "fisher has no target");
        assertEquals(0.0, first.getAsJsonArray("scores").get(0).getAsDouble(), "--exclude 0 applies to all");
        assertEquals(2, first.get("fisher_rank").getAsInt());
        assertTrue(recs.get(1).get("prompt").isJsonNull());
        assertEquals("[1,403,407,261]", recs.get(1).get("tokens").toString());

        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"text\": \"hi\"}\n{\"text\": \"a\", \"tokens\": [1]}\n");
        InterpCliTest.Result e = InterpCliTest.run("scopes", "--prompts", bad.toString(), "--scope", "semantic",
                "--out", tmp.resolve("x.jsonl").toString());
        assertEquals(2, e.code());
        assertTrue(e.err().contains("line 2") && e.err().contains("exactly one of"), e.err());
        InterpCliTest.Result noOut = InterpCliTest.run("scopes", "--prompts", bad.toString(), "--scope",
                "semantic");
        assertEquals(2, noOut.code());
        assertTrue(noOut.err().contains("--out"), noOut.err());
        InterpCliTest.Result run = InterpCliTest.run("run", "--prompts", bad.toString());
        assertEquals(2, run.code());
        assertTrue(run.err().contains("only by scopes"), run.err());
    }

    private static void assertAgreesWithLibrary(List<JsonObject> records) throws Exception {
        Path dir = EmbeddedModel.path();
        try (HookedTransformer model = HookedTransformer.load(dir); Tokenizer tok = Tokenizer.load(dir)) {
            Attributor a = Attributor.builder().setModel(model).build();
            for (int i = 0; i < PROMPTS.size(); i++) {
                JsonObject o = records.get(i);
                assertEquals(i, o.get("index").getAsInt());
                assertEquals(PROMPTS.get(i), o.get("prompt").getAsString());
                assertEquals("semantic", o.get("scope").getAsString());
                AttributionResult alone = a.attribute(Method.SEMANTIC, AttributionRequest.of(tok.encode(
                        PROMPTS.get(i))));
                assertEquals(alone.target().intValue(), o.get("target").getAsInt());
                JsonArray scores = o.getAsJsonArray("scores");
                double max = java.util.Arrays.stream(alone.scores()).max().orElseThrow();
                assertEquals(alone.scores().length, scores.size());
                for (int t = 0; t < scores.size(); t++) {
                    assertEquals(alone.score(t), scores.get(t).getAsDouble(), 1e-5 * max, "prompt " + i + " at " + t);
                }
            }
        }
    }

    private static List<JsonObject> records(Path file) throws Exception {
        List<JsonObject> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            out.add(JsonParser.parseString(line).getAsJsonObject());
        }
        return out;
    }

    private static int nthNewline(byte[] bytes, int n) {
        for (int i = 0, seen = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n' && ++seen == n) {
                return i;
            }
        }
        throw new AssertionError("fewer than " + n + " lines");
    }
}
