package org.mechinterp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.examples.EmbeddedModel;
import org.mechinterp.sae.io.SaeLensFormat;
import org.mechinterp.sae.model.Sae;

/** {@code interp sae train} and {@code interp sae eval}: contract flags and JSON fields, resume, exit codes. */
class SaeCommandTest {
    @TempDir
    Path tmp;

    static final String HOOK = "blocks.2.hook_resid_post";

    private Path store() throws IOException {
        Path corpus = tmp.resolve("c.txt");
        Files.writeString(corpus, String.join("\n",
                "Once upon a time there was a little girl named Lily. She loved to play outside.",
                "The dog ran to the big park and found a red ball under a tree.",
                "Tom and his mom went to the store to buy some milk and bread.",
                "She was happy with her new toy and showed it to all her friends.",
                "One day, a bird flew into the garden and sang a pretty song.") + "\n", StandardCharsets.UTF_8);
        Path out = tmp.resolve("store");
        InterpCliTest.Result r = InterpCliTest.run("capture", "--corpus", corpus.toString(), "--hooks", HOOK, "--out",
                out.toString());
        assertEquals(0, r.code(), r.err());
        return out;
    }

    @Test
    void trainThenEvalWithModel() throws IOException {
        Path store = store();
        Path out = tmp.resolve("sae");
        InterpCliTest.Result r = InterpCliTest.run("sae", "train", "--store", store.toString(), "--arch", "topk",
                "--d-sae", "128", "--k", "8", "--steps", "40", "--batch", "32", "--lr", "0.002", "--seed", "3",
                "--out", out.toString(), "--quiet", "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject t = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(HOOK, t.get("hook").getAsString());
        assertEquals(64, t.get("d_in").getAsInt());
        assertTrue(Files.isRegularFile(out.resolve("cfg.json")) && Files.isRegularFile(out.resolve(
                "sae_weights.safetensors")));
        Sae sae = SaeLensFormat.load(out);
        assertEquals(8, sae.k());
        assertEquals(HOOK, sae.metadata().hookName());
        assertEquals(3, sae.provenance().get("seed").getAsLong());

        // the same command again finds the finished checkpoint and produces the same SAE
        r = InterpCliTest.run("sae", "train", "--store", store.toString(), "--arch", "topk", "--d-sae", "128", "--k",
                "8", "--steps", "40", "--batch", "32", "--lr", "0.002", "--seed", "3", "--out", out.toString(),
                "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("already complete"), r.out());
        assertArrayEquals(sae.wDec(), SaeLensFormat.load(out).wDec(), 0f);

        Path png = tmp.resolve("density.png");
        r = InterpCliTest.run("sae", "eval", "--sae", out.toString(), "--store", store.toString(), "--model",
                EmbeddedModel.path().toString(), "--histogram", png.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject e = JsonParser.parseString(r.out()).getAsJsonObject();
        for (String key : new String[] {"l0", "mse", "fvu", "explained_variance", "dead_fraction", "dense_fraction",
                "ce_loss_recovered", "kl_div"}) {
            assertTrue(e.has(key) && Double.isFinite(e.get(key).getAsDouble()), key + " in " + e);
        }
        assertTrue(e.get("l0").getAsDouble() <= 8.0 + 1e-9, e.toString());
        assertEquals(1 - e.get("fvu").getAsDouble(), e.get("explained_variance").getAsDouble(), 1e-12);
        assertTrue(e.get("kl_div").getAsDouble() >= 0, e.toString());
        assertTrue(Files.size(png) > 1000);

        r = InterpCliTest.run("sae", "eval", "--sae", out.toString(), "--store", store.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(!JsonParser.parseString(r.out()).getAsJsonObject().has("ce_loss_recovered"));
    }

    /**
     * A skip transcoder from ln2.hook_normalized to hook_mlp_out through the CLI: the saved layout, eval against the
     * output hook (eval's FVU equals 1 − explained variance; CE/KL finite) and a Matryoshka SAE; flags that do not
     * fit the architecture are usage errors.
     */
    @Test
    void transcoderAndMatryoshkaTrainThenEval() throws IOException {
        String in = "blocks.2.ln2.hook_normalized";
        String outHook = "blocks.2.hook_mlp_out";
        Path corpus = tmp.resolve("c2.txt");
        Files.writeString(corpus, String.join("\n",
                "Once upon a time there was a little girl named Lily. She loved to play outside.",
                "The dog ran to the big park and found a red ball under a tree.",
                "Tom and his mom went to the store to buy some milk and bread.") + "\n", StandardCharsets.UTF_8);
        Path store = tmp.resolve("pairs");
        InterpCliTest.Result r = InterpCliTest.run("capture", "--corpus", corpus.toString(), "--hooks",
                in + "," + outHook, "--out", store.toString());
        assertEquals(0, r.code(), r.err());
        Path tc = tmp.resolve("tc");
        r = InterpCliTest.run("sae", "train", "--store", store.toString(), "--hook", in, "--target-hook", outHook,
                "--skip", "--arch", "topk", "--d-sae", "64", "--k", "4", "--steps", "30", "--batch", "16", "--out",
                tc.toString(), "--quiet", "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject t = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(outHook, t.get("target_hook").getAsString());
        assertTrue(t.get("skip").getAsBoolean());
        Sae sae = SaeLensFormat.load(tc);
        assertTrue(sae.isTranscoder() && sae.hasSkip());
        assertEquals(in, sae.metadata().hookName());
        assertEquals(outHook, sae.outputHook());
        JsonObject cfg = JsonParser.parseString(Files.readString(tc.resolve("cfg.json"))).getAsJsonObject();
        assertEquals("topk_skip_transcoder", cfg.get("architecture").getAsString());
        r = InterpCliTest.run("sae", "eval", "--sae", tc.toString(), "--store", store.toString(), "--model",
                EmbeddedModel.path().toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject e = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(outHook, e.get("target_hook").getAsString());
        for (String key : new String[] {"fvu", "ce_loss_recovered", "kl_div", "ce_loss_zero_ablation"}) {
            assertTrue(e.has(key) && Double.isFinite(e.get(key).getAsDouble()), key + " in " + e);
        }
        assertEquals(1 - e.get("fvu").getAsDouble(), e.get("explained_variance").getAsDouble(), 1e-12);

        Path ms = tmp.resolve("ms");
        r = InterpCliTest.run("sae", "train", "--store", store.toString(), "--hook", outHook, "--arch", "matryoshka",
                "--group-sizes", "8,24,32", "--d-sae", "64", "--k", "4", "--steps", "20", "--batch", "16", "--out",
                ms.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertEquals("jumprelu", SaeLensFormat.load(ms).architecture().saeLensName());
        r = InterpCliTest.run("sae", "train", "--store", store.toString(), "--hook", outHook, "--arch", "matryoshka",
                "--d-sae", "64", "--k", "4", "--out", tmp.resolve("x").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--group-sizes"), r.err());
        r = InterpCliTest.run("sae", "train", "--store", store.toString(), "--hook", outHook, "--arch", "topk",
                "--skip", "--d-sae", "64", "--k", "4", "--out", tmp.resolve("y").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--target-hook"), r.err());
    }

    @Test
    void badInputIsAUsageError() throws IOException {
        Path out = tmp.resolve("sae");
        InterpCliTest.Result r = InterpCliTest.run("sae", "train", "--store", tmp.resolve("nope").toString(),
                "--arch", "topk", "--d-sae", "16", "--k", "2", "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("does not exist"), r.err());
        Path store = store();
        r = InterpCliTest.run("sae", "train", "--store", store.toString(), "--arch", "topk", "--d-sae", "16",
                "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("needs --k"), r.err());
        r = InterpCliTest.run("sae", "train", "--store", store.toString(), "--arch", "gated", "--d-sae", "16",
                "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown SAE architecture 'gated'"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        r = InterpCliTest.run("sae", "eval", "--sae", tmp.resolve("none").toString(), "--store", store.toString(),
                "--json");
        assertEquals(2, r.code());
    }

    /** Settings that used to be ignored or silently degraded training are refused with the fix. */
    @Test
    void ignoredOrDegradingSettingsAreRefused() throws IOException {
        Path store = store();
        Path out = tmp.resolve("sae");
        InterpCliTest.Result r = InterpCliTest.run("sae", "train", "--store", store.toString(), "--arch", "relu",
                "--d-sae", "16", "--k", "4", "--batch", "8", "--out", out.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--k applies to topk, batchtopk and matryoshka only"), r.err());
        r = InterpCliTest.run("sae", "train", "--store", store.toString(), "--arch", "topk", "--d-sae", "16", "--k",
                "4", "--batch", "100000", "--out", out.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--batch 100000 exceeds the"), r.err());

        // extending a finished run names the differing keys and the way forward
        r = InterpCliTest.run("sae", "train", "--store", store.toString(), "--arch", "topk", "--d-sae", "16", "--k",
                "4", "--batch", "8", "--steps", "6", "--quiet", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        r = InterpCliTest.run("sae", "train", "--store", store.toString(), "--arch", "topk", "--d-sae", "16", "--k",
                "4", "--batch", "8", "--steps", "8", "--quiet", "--out", out.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("steps 6 in the checkpoint vs 8 now") && r.err().contains("new output folder"),
                r.err());

        Path manifest = store.resolve("manifest.json");
        String text = Files.readString(manifest);
        assertTrue(text.contains("\"complete\": true"), "fixture assumption: " + text);
        Files.writeString(manifest, text.replace("\"complete\": true", "\"complete\": false"));
        r = InterpCliTest.run("sae", "train", "--store", store.toString(), "--arch", "topk", "--d-sae", "16", "--k",
                "4", "--batch", "8", "--out", tmp.resolve("sae2").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("is incomplete"), r.err());
    }
}
