package org.mechinterp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.examples.EmbeddedModel;
import org.mechinterp.sae.io.SaeLensFormat;
import org.mechinterp.sae.model.Sae;

/**
 * A NaN weight is refused at load naming the tensor (exit 1) unless {@code --allow-non-finite}; with it, and for an
 * SAE with NaN weights, every {@code --json} output stays valid JSON (non-finite numbers as null), read here by a
 * strict parser.
 */
class NonFiniteOutputTest {
    private static final String TENSOR = "model.layers.1.self_attn.q_proj.weight";

    @TempDir
    Path tmp;
    private Path model;

    @BeforeEach
    void modelWithOneNaN() throws IOException {
        model = tmp.resolve("model");
        Files.createDirectories(model);
        try (var files = Files.list(EmbeddedModel.path())) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, model.resolve(f.getFileName()));
            }
        }
        Path file = model.resolve("model.safetensors");
        long at;
        try (SafetensorsFile f = SafetensorsFile.open(file); FileChannel ch = FileChannel.open(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            assertEquals("F32", f.info(TENSOR).dtype().name());
            at = 8 + len.getLong(0) + f.info(TENSOR).dataBegin() + 4 * 10;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, Float.NaN), at);
        }
    }

    /** Parses with Gson's strict reader, which rejects bare NaN and Infinity (JsonParser would be lenient). */
    static JsonObject strict(String json) throws IOException {
        JsonReader reader = new JsonReader(new StringReader(json));
        reader.setStrictness(Strictness.STRICT);
        JsonElement e = new Gson().getAdapter(JsonElement.class).read(reader);
        return e.getAsJsonObject();
    }

    @Test
    void nanWeightIsRefusedNamingTheTensorAndTheOptOut() {
        InterpCliTest.Result r = InterpCliTest.run("run", "--model", model.toString(), "--tokens", "1,2,3");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains(TENSOR) && r.err().contains("NaN") && r.err().contains("--allow-non-finite"),
                r.err());
        r = InterpCliTest.run("run", "--model", model.toString(), "--tokens", "1,2,3", "--dtype", "stored");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains(TENSOR), r.err());
    }

    @Test
    void runAndScopesJsonStayValidWithNaNLogits() throws IOException {
        InterpCliTest.Result r = InterpCliTest.run("run", "--model", model.toString(), "--tokens", "1,2,3",
                "--allow-non-finite", "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = strict(r.out());
        JsonObject first = o.getAsJsonArray("top_k").get(0).getAsJsonObject();
        assertTrue(first.get("logit").isJsonNull(), o.toString());

        r = InterpCliTest.run("scopes", "--model", model.toString(), "--tokens", "1,2,3", "--scope", "semantic",
                "--allow-non-finite", "--json");
        assertEquals(0, r.code(), r.err());
        strict(r.out());
    }

    @Test
    void saeEvalJsonOfAnSaeWithNaNWeightsIsValidAndConsistent() throws IOException {
        Path corpus = tmp.resolve("c.txt");
        Files.writeString(corpus, "Once upon a time there was a little girl named Lily.\nThe dog ran to the park.\n",
                StandardCharsets.UTF_8);
        Path store = tmp.resolve("store");
        Path trained = tmp.resolve("sae");
        String hook = SaeCommandTest.HOOK;
        assertEquals(0, InterpCliTest.run("capture", "--corpus", corpus.toString(), "--hooks", hook, "--out",
                store.toString()).code());
        assertEquals(0, InterpCliTest.run("sae", "train", "--store", store.toString(), "--arch", "topk", "--d-sae",
                "32", "--k", "4", "--steps", "5", "--batch", "8", "--out", trained.toString(), "--quiet").code());
        Sae sae = SaeLensFormat.load(trained);
        float[] dec = new float[sae.wDec().length];
        Arrays.fill(dec, Float.NaN);
        Path broken = tmp.resolve("broken");
        SaeLensFormat.save(sae.toBuilder().setWDec(dec).build(), broken);

        InterpCliTest.Result r = InterpCliTest.run("sae", "eval", "--sae", broken.toString(), "--store",
                store.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = strict(r.out());
        assertTrue(o.get("mse").isJsonNull() && o.get("cosine").isJsonNull(), o.toString());
    }

    @Test
    void strictReaderRejectsBareNaN() {
        assertThrows(IOException.class, () -> strict("{\"x\": NaN}")); // the check above can fail
    }
}
