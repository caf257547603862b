package org.mechinterp.sae.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;

/**
 * Transcoders in the SAELens layout, written by tools/make_transcoder_fixture.py (numpy, safetensors bytes by
 * hand, float64 reference outputs): they load and encode and predict exactly as the reference (1e-6), survive a
 * save/load round trip bit for bit with the same file keys, shapes and cfg fields as the script wrote, and
 * inconsistent checkpoints are refused with messages naming the problem.
 */
class TranscoderCheckpointTest {
    @ParameterizedTest
    @ValueSource(strings = {"jumprelu-skip-transcoder", "topk-transcoder", "transcoder"})
    void scriptWrittenTranscoderLoadsAndPredictsAsTheReference(String name) throws Exception {
        Path dir = SaeCheckpointTest.fixture("saelens-" + name);
        Sae tc = SaeLensFormat.load(dir);
        assertTrue(tc.isTranscoder());
        assertEquals(6, tc.dIn());
        assertEquals(5, tc.dOut());
        assertEquals(16, tc.dSae());
        assertFalse(tc.applyBDecToInput());
        assertEquals(name.contains("skip"), tc.hasSkip());
        assertEquals(name.startsWith("topk") ? Architecture.TOPK : name.startsWith("jumprelu") ? Architecture.JUMPRELU
                : Architecture.RELU, tc.architecture());
        assertEquals("blocks.1.ln2.hook_normalized", tc.metadata().hookName());
        assertEquals("blocks.1.hook_mlp_out", tc.outputHook());
        SaeCheckpointTest.assertEncodesAsReference(tc, dir);
    }

    @ParameterizedTest
    @ValueSource(strings = {"jumprelu-skip-transcoder", "topk-transcoder", "transcoder"})
    void saveLoadRoundTripIsExactInTheSameLayout(String name, @TempDir Path tmp) throws Exception {
        Path dir = SaeCheckpointTest.fixture("saelens-" + name);
        Sae original = SaeLensFormat.load(dir);
        SaeLensFormat.save(original, tmp);
        Sae back = SaeLensFormat.load(tmp);
        assertArrayEquals(original.wEnc(), back.wEnc(), 0f);
        assertArrayEquals(original.wDec(), back.wDec(), 0f);
        assertArrayEquals(original.bEnc(), back.bEnc(), 0f);
        assertArrayEquals(original.bDec(), back.bDec(), 0f);
        if (original.hasSkip()) {
            assertArrayEquals(original.wSkip(), back.wSkip(), 0f);
        }
        if (original.threshold() != null) {
            assertArrayEquals(original.threshold(), back.threshold(), 0f);
        }
        assertEquals(original.outputHook(), back.outputHook());
        assertEquals(original.metadata(), back.metadata());
        SaeCheckpointTest.assertEncodesAsReference(back, dir);
        // the same tensor keys, shapes and dtypes as the script wrote
        try (SafetensorsFile ours = SafetensorsFile.open(tmp.resolve(SaeLensFormat.WEIGHTS));
                SafetensorsFile theirs = SafetensorsFile.open(dir.resolve(SaeLensFormat.WEIGHTS))) {
            assertEquals(new java.util.TreeSet<>(theirs.names()), new java.util.TreeSet<>(ours.names()));
            for (String key : theirs.names()) {
                assertTrue(Arrays.equals(theirs.info(key).shape(), ours.info(key).shape()), key + " shape");
                assertEquals(theirs.info(key).dtype(), ours.info(key).dtype(), key + " dtype");
            }
        }
        JsonObject cfg = JsonParser.parseString(Files.readString(tmp.resolve(SaeLensFormat.CFG))).getAsJsonObject();
        JsonObject script = JsonParser.parseString(Files.readString(dir.resolve(SaeLensFormat.CFG)))
                .getAsJsonObject();
        for (String key : new String[] {"architecture", "d_in", "d_out", "d_sae", "apply_b_dec_to_input",
                "normalize_activations"}) {
            assertEquals(script.get(key), cfg.get(key), key);
        }
        assertEquals("blocks.1.hook_mlp_out", cfg.getAsJsonObject("metadata").get("hook_name_out").getAsString());
        assertEquals("blocks.1.ln2.hook_normalized", cfg.getAsJsonObject("metadata").get("hook_name").getAsString());
        if (name.startsWith("topk")) {
            assertEquals(3, cfg.get("k").getAsInt());
        }
    }

    @Test
    void inconsistentTranscodersAreRefused(@TempDir Path tmp) throws Exception {
        Sae tc = SaeLensFormat.load(SaeCheckpointTest.fixture("saelens-jumprelu-skip-transcoder"));
        SaeLensFormat.save(tc, tmp);
        String cfg = Files.readString(tmp.resolve(SaeLensFormat.CFG));
        Files.writeString(tmp.resolve(SaeLensFormat.CFG), cfg.replace("\"d_out\": 5", "\"d_out\": 4"));
        IOException e = assertThrows(IOException.class, () -> SaeLensFormat.load(tmp));
        assertTrue(e.getMessage().contains("'W_dec'") && e.getMessage().contains("[16, 5]")
                && e.getMessage().contains("[16, 4]"), e.getMessage());
        Files.writeString(tmp.resolve(SaeLensFormat.CFG), cfg.replace("\"apply_b_dec_to_input\": false",
                "\"apply_b_dec_to_input\": true"));
        e = assertThrows(IOException.class, () -> SaeLensFormat.load(tmp));
        assertTrue(e.getMessage().contains("apply_b_dec_to_input"), e.getMessage());
        Files.writeString(tmp.resolve(SaeLensFormat.CFG), cfg.replace("\"d_out\": 5,", ""));
        e = assertThrows(IOException.class, () -> SaeLensFormat.load(tmp));
        assertTrue(e.getMessage().contains("'d_out' is missing"), e.getMessage());
    }
}
