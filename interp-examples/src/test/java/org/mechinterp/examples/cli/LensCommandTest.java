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
import org.mechinterp.core.model.Generation;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.examples.EmbeddedModel;

class LensCommandTest {
    @TempDir
    Path tmp;

    static final String TOKENS = "1,403,407,261,378";

    @Test
    void jsonHasTheContractFieldsAndTheLastLayerIsTheModelsPrediction() throws Exception {
        Path html = tmp.resolve("lens.html");
        InterpCliTest.Result r = InterpCliTest.run("lens", "--tokens", TOKENS, "--position", "2", "--top-k", "4",
                "--json", "--html", html.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        for (String f : List.of("model", "tokens", "token_texts", "position", "target", "layers", "top_k",
                "target_rank", "target_prob", "heatmap")) {
            assertTrue(o.has(f), f);
        }
        JsonArray layers = o.getAsJsonArray("layers");
        assertEquals("0_pre", layers.get(0).getAsString());
        assertEquals("final_post", layers.get(layers.size() - 1).getAsString());
        int last = layers.size() - 1;
        JsonArray finalTop = o.getAsJsonArray("top_k").get(last).getAsJsonArray().get(2).getAsJsonArray();
        assertEquals(4, finalTop.size());
        int[] prefix = {1, 403, 407};
        try (HookedTransformer model = HookedTransformer.load(EmbeddedModel.path())) {
            float[] logits = Generation.lastLogits(model, prefix);
            RunCommand.Candidate[] want = RunCommand.topK(logits, 4);
            for (int i = 0; i < 4; i++) {
                assertEquals(want[i].id(), finalTop.get(i).getAsJsonObject().get("id").getAsInt());
                assertEquals(want[i].prob(), finalTop.get(i).getAsJsonObject().get("prob").getAsDouble(), 1e-5);
            }
            // without --target the tracked token is the final top-1: rank 1 at the last layer
            assertEquals(want[0].id(), o.get("target").getAsInt());
        }
        assertEquals(1, o.getAsJsonArray("target_rank").get(last).getAsInt());
        assertEquals(layers.size(), o.getAsJsonObject("heatmap").getAsJsonArray("prob").size());
        String page = Files.readString(html);
        assertTrue(page.contains("<table") && page.contains("final_post") && !page.contains("<script"));
    }

    @Test
    void targetIsTrackedPerLayerAndTextOutputWorks() {
        InterpCliTest.Result r = InterpCliTest.run("lens", "--prompt", "Once upon a time", "--target", "261");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("final_post") && r.out().contains("target:   261"), r.out());
        InterpCliTest.Result j = InterpCliTest.run("lens", "--tokens", TOKENS, "--target", "261", "--json");
        JsonObject o = JsonParser.parseString(j.out()).getAsJsonObject();
        assertEquals(261, o.get("target").getAsInt());
        for (var p : o.getAsJsonArray("target_prob")) {
            assertTrue(p.getAsDouble() >= 0 && p.getAsDouble() <= 1);
        }
    }

    @Test
    void newFamilyCheckpointRunsWithoutATokenizer() {
        Path gemma = Path.of("..").resolve("interp-core/src/test/resources/families/gemma2");
        InterpCliTest.Result r = InterpCliTest.run("lens", "--model", gemma.toString(), "--tokens", "5,17,3,42",
                "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(List.of("0_pre", "1_pre", "2_pre", "final_post"),
                o.getAsJsonArray("layers").asList().stream().map(e -> e.getAsString()).toList());
    }

    @Test
    void badPositionIsAUsageError() {
        InterpCliTest.Result r = InterpCliTest.run("lens", "--tokens", TOKENS, "--position", "9");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--position 9"), r.err());
    }
}
