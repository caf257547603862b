package org.mechinterp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.examples.EmbeddedModel;
import org.mechinterp.jacobian.AttributionRequest;
import org.mechinterp.jacobian.Attributor;
import org.mechinterp.jacobian.Method;

class ScopesCommandTest {
    @TempDir
    Path tmp;

    static final String TOKENS = "1,403,407,261,378,395,261,271,256";

    @Test
    void semanticJsonHasTheContractFieldsAndMatchesTheLibrary() throws Exception {
        InterpCliTest.Result r = InterpCliTest.run("scopes", "--tokens", TOKENS, "--scope", "semantic",
                "--position", "6", "--json", "--html", tmp.resolve("s.html").toString());
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        for (String field : List.of("scope", "position", "target", "tokens", "scores")) {
            assertTrue(o.has(field), field);
        }
        assertEquals("semantic", o.get("scope").getAsString());
        assertEquals(6, o.get("position").getAsInt());
        JsonArray scores = o.getAsJsonArray("scores");
        assertEquals(9, scores.size());
        assertEquals(0.0, scores.get(7).getAsDouble());
        assertEquals(0.0, scores.get(8).getAsDouble());
        int[] ids = java.util.Arrays.stream(TOKENS.split(",")).mapToInt(Integer::parseInt).toArray();
        try (HookedTransformer model = HookedTransformer.load(EmbeddedModel.path())) {
            var expected = Attributor.builder().setModel(model).build().attribute(Method.SEMANTIC,
                    AttributionRequest.builder().setTokens(ids).optPosition(6).build());
            assertEquals(expected.target().intValue(), o.get("target").getAsInt());
            for (int i = 0; i < ids.length; i++) {
                assertEquals(expected.score(i), scores.get(i).getAsDouble(), 1e-6 * (1 + expected.score(i)));
            }
        }
        String html = Files.readString(tmp.resolve("s.html"));
        assertTrue(html.contains("semantic") && html.contains("<span"));
        assertTrue(html.contains("model: ") && html.contains("target: &#39;"), "model and target token on the page");
    }

    @Test
    void temperatureAndFisherHaveNullTargetAndFisherOptionsWork() {
        InterpCliTest.Result t = InterpCliTest.run("scopes", "--prompt", "Once upon a time", "--scope", "temperature",
                "--json");
        assertEquals(0, t.code(), t.err());
        JsonObject o = JsonParser.parseString(t.out()).getAsJsonObject();
        assertTrue(o.get("target").isJsonNull());
        assertEquals(o.getAsJsonArray("tokens").size(), o.getAsJsonArray("scores").size());
        InterpCliTest.Result f = InterpCliTest.run("scopes", "--tokens", TOKENS, "--scope", "fisher",
                "--fisher-rank", "3", "--json", "--png", tmp.resolve("f.png").toString(), "--svg",
                tmp.resolve("f.svg").toString());
        assertEquals(0, f.code(), f.err());
        JsonObject fo = JsonParser.parseString(f.out()).getAsJsonObject();
        assertEquals(3, fo.get("fisher_rank").getAsInt());
        assertEquals(3, fo.getAsJsonArray("eigenvalues").size());
        assertTrue(Files.isRegularFile(tmp.resolve("f.png")) && Files.isRegularFile(tmp.resolve("f.svg")));
        InterpCliTest.Result e = InterpCliTest.run("scopes", "--tokens", TOKENS, "--scope", "fisher",
                "--fisher-exact", "--json");
        assertEquals(0, e.code(), e.err());
        JsonObject eo = JsonParser.parseString(e.out()).getAsJsonObject();
        assertTrue(eo.get("fisher_exact").getAsBoolean());
        // exact trace ≥ rank-3 partial sum at every position
        for (int i = 0; i < 9; i++) {
            assertTrue(eo.getAsJsonArray("scores").get(i).getAsDouble()
                    >= fo.getAsJsonArray("scores").get(i).getAsDouble() * (1 - 1e-5));
        }
        InterpCliTest.Result text = InterpCliTest.run("scopes", "--tokens", TOKENS, "--scope", "ig");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("scope: ig"), text.out());
    }

    @Test
    void badInputExitsWithTwoAndOneLine() {
        String[][] cases = {
            {"scopes", "--tokens", TOKENS, "--scope", "saliency"},
            {"scopes", "--tokens", TOKENS, "--scope", "semantic", "--position", "9"},
            {"scopes", "--tokens", TOKENS, "--scope", "semantic", "--target", "512"},
            {"scopes", "--tokens", TOKENS, "--scope", "temperature", "--target", "5"},
            {"scopes", "--tokens", TOKENS, "--scope", "fisher", "--fisher-rank", "65"},
            {"scopes", "--tokens", TOKENS, "--scope", "semantic", "--fisher-exact"},
            {"scopes", "--tokens", "1,9999", "--scope", "semantic"},
            {"scopes", "--tokens", TOKENS, "--scope", "semantic", "--exclude", "12"},
            {"scopes", "--tokens", TOKENS, "--scope", "semantic", "--html", "/nonexistent/dir/x.html"},
            {"scopes", "--tokens", TOKENS},
        };
        for (String[] args : cases) {
            InterpCliTest.Result r = InterpCliTest.run(args);
            assertEquals(2, r.code(), String.join(" ", args) + " -> " + r.err());
            assertTrue(r.err().startsWith("error: ") && r.err().strip().lines().count() == 1, r.err());
        }
    }

    /** Before the bound, 10⁸ steps spent minutes computing quadrature nodes before any output. */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void absurdIntegratedGradientsStepsAreRefusedAtOnce() {
        InterpCliTest.Result r = InterpCliTest.run("scopes", "--tokens", TOKENS, "--scope", "ig", "--ig-steps",
                "100000000");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--ig-steps must be in 1..4096, got 100000000"), r.err());
    }
}
