package org.mechinterp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.examples.EmbeddedModel;

/**
 * {@code interp sae correlate} and {@code interp sae dashboard} end to end on the embedded stories260K model: a
 * labeled .jsonl corpus captured into a store, a small TopK SAE trained on it for a few steps, then both commands.
 */
class SaeAnalysisCommandTest {
    static final String HOOK = "blocks.2.hook_resid_post";
    static final List<String> TEXTS = List.of(
            "Once upon a time there was a little girl named Lily. She loved to play outside.",
            "The dog ran to the big park and found a red ball under a tree.",
            "Tom and his mom went to the store to buy some milk and bread.",
            "She was happy with her new toy and showed it to all her friends.",
            "One day, a bird flew into the garden and sang a pretty song.",
            "The cat sat on the mat and looked at the sun.");

    @TempDir
    static Path tmp;
    static Path corpus;
    static Path store;
    static Path sae;

    /** 12 prompts with labels "position" (null at BOS) and "parity" = position mod 2. */
    @BeforeAll
    static void storeAndSae() throws IOException {
        corpus = tmp.resolve("c.jsonl");
        StringBuilder sb = new StringBuilder();
        try (Tokenizer tok = Tokenizer.load(EmbeddedModel.path())) {
            for (int i = 0; i < 12; i++) {
                int[] ids = tok.encode(TEXTS.get(i % TEXTS.size()) + (i >= 6 ? " The end." : ""));
                JsonObject o = new JsonObject();
                JsonArray t = new JsonArray();
                JsonArray pos = new JsonArray();
                JsonArray par = new JsonArray();
                for (int p = 0; p < ids.length; p++) {
                    t.add(ids[p]);
                    if (p == 0) {
                        pos.add((Number) null);
                    } else {
                        pos.add(p);
                    }
                    par.add(p % 2);
                }
                JsonObject labels = new JsonObject();
                labels.add("position", pos);
                labels.add("parity", par);
                o.add("tokens", t);
                o.add("labels", labels);
                sb.append(o).append('\n');
            }
        }
        Files.writeString(corpus, sb.toString(), StandardCharsets.UTF_8);
        store = tmp.resolve("store");
        InterpCliTest.Result r = InterpCliTest.run("capture", "--corpus", corpus.toString(), "--hooks", HOOK, "--out",
                store.toString());
        assertEquals(0, r.code(), r.err());
        sae = tmp.resolve("sae");
        r = InterpCliTest.run("sae", "train", "--store", store.toString(), "--arch", "topk", "--d-sae", "64", "--k",
                "8", "--steps", "30", "--batch", "32", "--lr", "0.002", "--seed", "3", "--out", sae.toString(),
                "--quiet");
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void correlatePrintsTopLatentsBaselinesAndProbe() throws IOException {
        Path html = tmp.resolve("corr.html");
        InterpCliTest.Result r = InterpCliTest.run("sae", "correlate", "--sae", sae.toString(), "--store",
                store.toString(), "--labels", "position", "--permutations", "40", "--top", "4", "--json", "--html",
                html.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(HOOK, o.get("hook").getAsString());
        assertEquals(12, o.get("discovery_prompts").getAsInt() + o.get("heldout_prompts").getAsInt());
        JsonObject pos = o.getAsJsonObject("labels").getAsJsonObject("position");
        assertEquals(4, pos.getAsJsonArray("top_latents").size());
        for (String f : List.of("sae", "raw_dims", "pca", "random_dirs")) {
            assertTrue(pos.getAsJsonObject("families").has(f), f);
        }
        // position is partly linearly readable from the residual stream, even from ~100 training rows (0.48 measured)
        double r2 = pos.getAsJsonObject("probe").get("heldout_r2").getAsDouble();
        assertTrue(r2 > 0.2, "probe R² for position " + r2);
        assertTrue(Files.readString(html).contains("<h2>position</h2>"));

        r = InterpCliTest.run("sae", "correlate", "--sae", sae.toString(), "--store", store.toString(), "--labels",
                "mass");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no label 'mass'") && r.err().contains("position"), r.err());
    }

    @Test
    void dashboardWritesPagesAndJsonPerLatent() throws IOException {
        Path out = tmp.resolve("dash");
        InterpCliTest.Result r = InterpCliTest.run("sae", "dashboard", "--sae", sae.toString(), "--model",
                EmbeddedModel.path().toString(), "--corpus", corpus.toString(), "--latents", "0-3,10", "--out",
                out.toString(), "--top", "5", "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(12, o.get("prompts").getAsInt());
        assertTrue(o.get("logit_effects").getAsBoolean());
        assertTrue(Files.isRegularFile(out.resolve("index.html")));
        JsonArray all = JsonParser.parseString(Files.readString(out.resolve("dashboard.json"))).getAsJsonObject()
                .getAsJsonArray("latents");
        assertEquals(5, all.size());
        long tokens = all.get(0).getAsJsonObject().get("tokens").getAsLong();
        assertEquals(o.get("tokens").getAsLong(), tokens);
        int withContexts = 0;
        for (int l : new int[] {0, 1, 2, 3, 10}) {
            JsonObject j = JsonParser.parseString(Files.readString(out.resolve("latent-" + l + ".json")))
                    .getAsJsonObject();
            assertEquals(l, j.get("latent").getAsInt());
            assertEquals(10, j.getAsJsonArray("logits_positive").size());
            assertTrue(j.getAsJsonObject("label_r").has("position"));
            int n = j.getAsJsonArray("top_contexts").size();
            assertEquals(Math.min(5, j.get("fired").getAsLong()), n);
            withContexts += n > 0 ? 1 : 0;
            String page = Files.readString(out.resolve("latent-" + l + ".html"));
            assertTrue(page.contains("id=\"logits\"") && page.contains("id=\"labels\""));
        }
        assertTrue(withContexts >= 3, "most latents fire on the corpus");

        // re-rendered from the statistics alone (--stats): the same per-latent data, byte for byte; without
        // --model the bundled model is used, as by every other command
        Path again = tmp.resolve("dash-from-stats");
        r = InterpCliTest.run("sae", "dashboard", "--sae", sae.toString(),
                "--stats", out.resolve("dashboard.json").toString(), "--latents", "0-3,10", "--out", again.toString(),
                "--json");
        assertEquals(0, r.code(), r.err());
        for (int l : new int[] {0, 1, 2, 3, 10}) {
            assertEquals(Files.readString(out.resolve("latent-" + l + ".json")),
                    Files.readString(again.resolve("latent-" + l + ".json")), "latent " + l);
        }
        r = InterpCliTest.run("sae", "dashboard", "--sae", sae.toString(), "--model", EmbeddedModel.path().toString(),
                "--stats", out.resolve("dashboard.json").toString(), "--corpus", corpus.toString(), "--out",
                again.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("either --corpus or --stats"), r.err());

        r = InterpCliTest.run("sae", "dashboard", "--sae", sae.toString(), "--model", EmbeddedModel.path().toString(),
                "--corpus", corpus.toString(), "--latents", "64-70", "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("outside the SAE's 0..63"), r.err());
    }
}
