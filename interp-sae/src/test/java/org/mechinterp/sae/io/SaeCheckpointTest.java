package org.mechinterp.sae.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.model.SaeMetadata;

/**
 * SAELens and sparsify checkpoints written by tools/make_saelens_fixture.py (numpy, safetensors bytes by hand)
 * load and encode exactly as the numpy float64 reference (1e-6), survive a save/load round trip bit for bit, and
 * bad shapes are rejected with a message naming the key and both shapes.
 */
class SaeCheckpointTest {
    static Path fixture(String name) throws URISyntaxException {
        return Path.of(SaeCheckpointTest.class.getResource("/sae-fixtures/" + name).toURI());
    }

    static double[][] matrix(JsonObject o, String key) {
        JsonArray rows = o.getAsJsonArray(key);
        double[][] out = new double[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            JsonArray r = rows.get(i).getAsJsonArray();
            out[i] = new double[r.size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = r.get(j).getAsDouble();
            }
        }
        return out;
    }

    static void assertEncodesAsReference(Sae sae, Path dir) throws IOException {
        JsonObject expected = JsonParser.parseString(Files.readString(dir.resolve("expected.json"))).getAsJsonObject();
        double[][] in = matrix(expected, "inputs");
        double[][] codes = matrix(expected, "codes");
        double[][] recon = matrix(expected, "reconstructions");
        int rows = in.length;
        int d = sae.dIn();
        float[] x = new float[rows * d];
        for (int b = 0; b < rows; b++) {
            for (int j = 0; j < d; j++) {
                x[b * d + j] = (float) in[b][j];
            }
        }
        float[] f = sae.encodeDense(x, rows);
        float[] xhat = sae.reconstruct(x, rows);
        int active = 0;
        for (int b = 0; b < rows; b++) {
            for (int i = 0; i < sae.dSae(); i++) {
                assertEquals(codes[b][i], f[b * sae.dSae() + i], 1e-6, "code [" + b + "," + i + "]");
                active += codes[b][i] != 0 ? 1 : 0;
            }
            for (int j = 0; j < sae.dOut(); j++) {
                assertEquals(recon[b][j], xhat[b * sae.dOut() + j], 1e-6, "reconstruction [" + b + "," + j + "]");
            }
        }
        assertTrue(active > rows, "fixture should have several active latents per row, has " + active);
    }

    @ParameterizedTest
    @ValueSource(strings = {"standard", "topk", "jumprelu"})
    void saeLensCheckpointFromScriptLoadsAndEncodesIdentically(String arch) throws Exception {
        Path dir = fixture("saelens-" + arch);
        Sae sae = SaeLensFormat.load(dir);
        assertEquals(6, sae.dIn());
        assertEquals(16, sae.dSae());
        assertEquals(arch, sae.architecture().saeLensName());
        assertEquals("blocks.1.hook_resid_post", sae.metadata().hookName());
        assertEquals("tiny-test-model", sae.metadata().modelName());
        assertEquals(128, sae.metadata().contextSize());
        assertEncodesAsReference(sae, dir);
    }

    @Test
    void sparsifyCheckpointLoadsAndEncodesIdentically() throws Exception {
        Path dir = fixture("sparsify-topk");
        Sae sae = SparsifyFormat.loadAny(dir);
        assertEquals(Architecture.TOPK, sae.architecture());
        assertEquals(3, sae.k());
        assertEncodesAsReference(sae, dir);
        // same weights as the SAELens topk fixture, so the same SAE
        Sae lens = SaeLensFormat.load(fixture("saelens-topk"));
        assertArrayEquals(lens.encoderRows(), sae.encoderRows(), 0f);
    }

    @ParameterizedTest
    @ValueSource(strings = {"standard", "topk", "jumprelu"})
    void saveLoadRoundTripIsExactAndKeepsProvenance(String arch, @TempDir Path tmp) throws Exception {
        Sae original = SaeLensFormat.load(fixture("saelens-" + arch));
        JsonObject prov = Provenance.create(new JsonObject(), 42, 1000, "m", "blocks.1.hook_resid_post");
        Sae withProv = original.toBuilder().optProvenance(prov).build();
        SaeLensFormat.save(withProv, tmp);
        Sae back = SaeLensFormat.load(tmp);
        assertArrayEquals(original.wEnc(), back.wEnc(), 0f);
        assertArrayEquals(original.wDec(), back.wDec(), 0f);
        assertArrayEquals(original.bEnc(), back.bEnc(), 0f);
        assertArrayEquals(original.bDec(), back.bDec(), 0f);
        if (original.threshold() != null) {
            assertArrayEquals(original.threshold(), back.threshold(), 0f);
        }
        assertEquals(original.k(), back.k());
        assertEquals(original.metadata(), back.metadata());
        JsonObject cfg = JsonParser.parseString(Files.readString(tmp.resolve("cfg.json"))).getAsJsonObject();
        assertEquals(arch, cfg.get("architecture").getAsString());
        assertEquals("none", cfg.get("normalize_activations").getAsString());
        JsonObject p = cfg.getAsJsonObject("provenance");
        for (String key : new String[] {"library_version", "java_version", "os", "arch", "djl_version", "created",
                "seed", "config", "hook_name", "model_name", "training_steps"}) {
            assertTrue(p.has(key), "provenance lacks " + key + ": " + p);
        }
        assertEquals(42, p.get("seed").getAsLong());
        assertEquals(prov, back.provenance());
    }

    @Test
    void shapeDisagreeingWithCfgIsAClearError() throws Exception {
        IOException e = assertThrows(IOException.class, () -> SaeLensFormat.load(fixture("saelens-bad-shape")));
        assertTrue(e.getMessage().contains("'W_enc'") && e.getMessage().contains("[6, 12]")
                && e.getMessage().contains("[6, 16]"), e.getMessage());
    }

    @Test
    void missingTensorAndUnsupportedSettingsAreClearErrors(@TempDir Path tmp) throws Exception {
        SplittableRandom r = new SplittableRandom(1);
        float[] enc = new float[12];
        for (int i = 0; i < enc.length; i++) {
            enc[i] = (float) r.nextDouble();
        }
        Sae jump = Sae.builder().setArchitecture(Architecture.JUMPRELU).setDims(3, 4).setEncoderRows(enc)
                .setBEnc(new float[4]).setWDec(enc).setBDec(new float[3]).optThreshold(new float[4])
                .optMetadata(SaeMetadata.unknown()).build();
        SaeLensFormat.save(jump, tmp);
        // claim it is jumprelu but drop the threshold
        new org.mechinterp.core.io.SafetensorsWriter().addF32("W_enc", jump.wEnc(), 3, 4).addF32("W_dec", enc, 4, 3)
                .addF32("b_enc", new float[4], 4).addF32("b_dec", new float[3], 3)
                .write(tmp.resolve(SaeLensFormat.WEIGHTS));
        IOException e = assertThrows(IOException.class, () -> SaeLensFormat.load(tmp));
        assertTrue(e.getMessage().contains("'threshold' is missing"), e.getMessage());
        Files.writeString(tmp.resolve("cfg.json"), Files.readString(tmp.resolve("cfg.json"))
                .replace("\"normalize_activations\": \"none\"", "\"normalize_activations\": \"layer_norm\""));
        e = assertThrows(IOException.class, () -> SaeLensFormat.load(tmp));
        assertTrue(e.getMessage().contains("layer_norm"), e.getMessage());
    }
}
