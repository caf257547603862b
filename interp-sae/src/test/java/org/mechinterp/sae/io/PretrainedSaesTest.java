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
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;

/**
 * Pretrained-release layouts written by tools/make_pretrained_fixtures.py (numpy; expected codes and
 * reconstructions in float64 from the published formulas) load through {@link PretrainedSaes#load} with the layout
 * detected, and encode as the reference within 1e-6; bad archives, shapes, values and settings are refused with
 * messages naming the file, the array and the problem.
 */
class PretrainedSaesTest {
    private static final String GEMMA_RES = "pretrained/gemma-scope-2b-pt-res/layer_3/width_16/average_l0_5";
    private static final String GEMMA_MLP = "pretrained/gemma-scope-9b-it-mlp/layer_7/width_16/average_l0_4";
    private static final String GEMMA_TRANSCODER =
            "pretrained/gemma-scope-2b-pt-transcoders/layer_4/width_16/average_l0_6";
    private static final String LLAMA = "pretrained/llama-scope/";
    private static final String QWEN = "pretrained/SAE-Res-Qwen3.5-2B-Base-W16-L0_3";

    static Path fixture(String name) throws Exception {
        return SaeCheckpointTest.fixture(name);
    }

    @Test
    void gemmaScopeStoredFloat32ArchiveEncodesAsReference() throws Exception {
        Path dir = fixture(GEMMA_RES);
        assertEquals(PretrainedSaes.Layout.GEMMA_SCOPE, PretrainedSaes.detect(dir));
        Sae sae = PretrainedSaes.load(dir);
        assertEquals(Architecture.JUMPRELU, sae.architecture());
        assertEquals(6, sae.dIn());
        assertEquals(16, sae.dSae());
        assertFalse(sae.applyBDecToInput(), "Gemma Scope encodes the raw input");
        assertEquals("blocks.3.hook_resid_post", sae.metadata().hookName());
        assertEquals("google/gemma-2-2b", sae.metadata().modelName());
        // the fixture has θ_0 = -0.2 and z_0 = -0.1 on row 0: ReLU(z)·1[z > θ] gives 0 there, not -0.1
        assertEquals(0f, sae.threshold()[0]);
        SaeCheckpointTest.assertEncodesAsReference(sae, dir);
        // the file itself loads the same SAE
        Sae fromFile = PretrainedSaes.load(dir.resolve("params.npz"));
        assertArrayEquals(sae.encoderRows(), fromFile.encoderRows(), 0f);
    }

    @Test
    void gemmaScopeDeflatedArchiveWithFortranFloat64AndFloat16EncodesAsReference() throws Exception {
        Path dir = fixture(GEMMA_MLP);
        Sae sae = PretrainedSaes.load(dir);
        assertEquals("blocks.7.hook_mlp_out", sae.metadata().hookName());
        assertEquals("google/gemma-2-9b-it", sae.metadata().modelName());
        SaeCheckpointTest.assertEncodesAsReference(sae, dir);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "pickled.npz     | entry 'threshold.npy'| object array",
        "truncated.npz   | truncated            | not a readable .npz",
        "wrong-shape.npz | 'W_dec' has shape [16, 7] | [16, 6]",
        "nan.npz         | entry 'b_enc.npy'    | element [5] is NaN",
        "missing.npz     | 'threshold' is missing | W_enc",
        "extra.npz       | 'scaling_factor' [16] | unexpected arrays"})
    void badGemmaScopeArchivesAreRefusedNamingTheProblem(String file, String part1, String part2) throws Exception {
        Path path = fixture("pretrained/bad/" + file);
        IOException e = assertThrows(IOException.class, () -> GemmaScopeFormat.load(path));
        assertTrue(e.getMessage().contains(path.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(part1) && e.getMessage().contains(part2), e.getMessage());
    }

    /**
     * A Gemma Scope transcoder release loads as a JumpReLU transcoder (hooks as SAELens' gemma_2_transcoder
     * loader names them) and predicts as numpy in float64 (tools/make_pretrained_fixtures.py: no b_dec on the
     * input, ReLU(z)·1[z > θ] with a negative θ_0 and z_0 between it and 0 on row 0), within 1e-6.
     */
    @Test
    void gemmaScopeTranscoderLoadsAndPredictsAsTheReference() throws Exception {
        Path dir = fixture(GEMMA_TRANSCODER);
        assertEquals(PretrainedSaes.Layout.GEMMA_SCOPE, PretrainedSaes.detect(dir));
        Sae tc = PretrainedSaes.load(dir);
        assertTrue(tc.isTranscoder());
        assertFalse(tc.applyBDecToInput());
        assertEquals(Architecture.JUMPRELU, tc.architecture());
        assertEquals(6, tc.dIn());
        assertEquals(6, tc.dOut());
        assertEquals("blocks.4.ln2.hook_normalized", tc.metadata().hookName());
        assertEquals("blocks.4.hook_mlp_out", tc.outputHook());
        assertEquals("google/gemma-2-2b", tc.metadata().modelName());
        SaeCheckpointTest.assertEncodesAsReference(tc, dir);
        // the arrays as stored: θ_0 is negative; the SAE holds max(θ, 0)
        GemmaScopeFormat.Params p = GemmaScopeFormat.readParams(dir);
        assertEquals(-0.2f, p.threshold()[0], 0f);
        assertEquals(0f, tc.threshold()[0], 0f);
        // renamed folder: the hooks given explicitly
        Sae renamed = GemmaScopeFormat.loadTranscoder(dir.resolve("params.npz"),
                new org.mechinterp.sae.model.SaeMetadata("m", "blocks.4.ln2.hook_normalized", 1024, true),
                "blocks.4.hook_mlp_out");
        assertArrayEquals(tc.wDec(), renamed.wDec(), 0f);
        assertEquals("blocks.4.hook_mlp_out", renamed.outputHook());
    }

    /** SAELens transcoder folders (the transcoder fixtures of tools/make_transcoder_fixture.py) load by detection. */
    @ParameterizedTest
    @ValueSource(strings = {"saelens-transcoder", "saelens-topk-transcoder", "saelens-jumprelu-skip-transcoder"})
    void saeLensTranscoderFoldersLoadThroughDetection(String name) throws Exception {
        Path dir = SaeCheckpointTest.fixture(name);
        assertEquals(PretrainedSaes.Layout.SAELENS, PretrainedSaes.detect(dir));
        Sae tc = PretrainedSaes.load(dir);
        assertTrue(tc.isTranscoder());
        assertEquals(5, tc.dOut());
        assertEquals("blocks.1.hook_mlp_out", tc.outputHook());
        SaeCheckpointTest.assertEncodesAsReference(tc, dir);
    }

    /**
     * SAELens JumpReLU is ReLU(z)·1[z > θ]: with θ &lt; 0 and θ &lt; z &lt; 0 (rows 0..2, latents 0..2 of the
     * fixture) the code is 0, not z; codes and reconstructions equal numpy's float64 values within 1e-6, and a
     * save/load round trip keeps them.
     */
    @Test
    void saeLensJumpReluWithNegativeThresholdsEncodesAsSaeLens(@TempDir Path tmp) throws Exception {
        Path dir = fixture("pretrained/saelens-jumprelu-negative-threshold");
        Sae sae = PretrainedSaes.load(dir);
        assertEquals(Architecture.JUMPRELU, sae.architecture());
        SaeCheckpointTest.assertEncodesAsReference(sae, dir);
        float[] x = new float[6];
        JsonObject expected = JsonParser.parseString(Files.readString(dir.resolve("expected.json"))).getAsJsonObject();
        for (int r = 0; r < 3; r++) {
            for (int j = 0; j < 6; j++) {
                x[j] = expected.getAsJsonArray("inputs").get(r).getAsJsonArray().get(j).getAsFloat();
            }
            assertEquals(0f, sae.encodeDense(x, 1)[r], 0f, "row " + r + ", latent " + r + ": θ < z < 0 gives 0");
        }
        SaeLensFormat.save(sae, tmp);
        SaeCheckpointTest.assertEncodesAsReference(SaeLensFormat.load(tmp), dir);
    }

    /**
     * Embedding SAEs saw the embedding before Gemma's ·√d while hook_embed is after it: codes of x equal the plain
     * SAE's codes of x/√d, and the reconstruction is √d times the plain one.
     */
    @Test
    void gemmaScopeEmbeddingSaeReadsTheScaledEmbedding(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("gemma-scope-2b-pt-res/embedding/width_4k/average_l0_6"));
        Files.copy(fixture(GEMMA_RES).resolve("params.npz"), dir.resolve("params.npz"));
        Sae emb = PretrainedSaes.load(dir);
        Sae plain = PretrainedSaes.load(fixture(GEMMA_RES));
        assertEquals("hook_embed", emb.metadata().hookName());
        double root = Math.sqrt(6);
        SplittableRandom r = new SplittableRandom(3);
        int rows = 8;
        float[] x = new float[rows * 6];
        float[] xs = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * root);
            xs[i] = (float) (x[i] / root);
        }
        assertArrayEquals(plain.encodeDense(xs, rows), emb.encodeDense(x, rows), 1e-5f);
        float[] a = plain.reconstruct(xs, rows);
        float[] b = emb.reconstruct(x, rows);
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i] * root, b[i], 1e-5, "reconstruction " + i);
        }
    }

    /** Hugging Face cache folders (models--org--repo/snapshots/HASH/...) name the release too. */
    @Test
    void hooksAreReadFromHuggingFaceCachePaths(@TempDir Path tmp) throws Exception {
        Path g = Files.createDirectories(tmp.resolve(
                "models--google--gemma-scope-2b-pt-att/snapshots/0aaef31f/layer_12/width_16k/average_l0_82"));
        Files.copy(fixture(GEMMA_RES).resolve("params.npz"), g.resolve("params.npz"));
        Sae gemma = PretrainedSaes.load(g);
        assertEquals("blocks.12.attn.hook_z", gemma.metadata().hookName());
        assertEquals("google/gemma-2-2b", gemma.metadata().modelName());
        Path q = Files.createDirectories(tmp.resolve("models--Qwen--SAE-Res-Qwen3.5-9B-Base-W64K-L0_2/snapshots/1f2e"));
        Files.copy(fixture(QWEN).resolve("layer5.sae.safetensors"), q.resolve("layer17.sae.safetensors"));
        Sae qwen = PretrainedSaes.load(q.resolve("layer17.sae.safetensors"));
        assertEquals(2, qwen.k());
        assertEquals("blocks.17.hook_resid_post", qwen.metadata().hookName());
        assertEquals("Qwen/Qwen3.5-9B-Base", qwen.metadata().modelName());
    }

    @ParameterizedTest
    @CsvSource({"Llama3_1-8B-Base-L3R-8x, JUMPRELU, 0, blocks.3.hook_resid_post, false",
        "Llama3_1-8B-Base-L5M-8x, TOPK, 3, blocks.5.hook_mlp_out, true"})
    void llamaScopeEncodesAsLmSaesReference(String name, Architecture arch, int k, String hook, boolean bDecIn)
            throws Exception {
        Path dir = fixture(LLAMA + name);
        assertEquals(PretrainedSaes.Layout.LLAMA_SCOPE, PretrainedSaes.detect(dir));
        Sae sae = PretrainedSaes.load(dir);
        assertEquals(arch, sae.architecture());
        assertEquals(k, sae.k());
        assertEquals(hook, sae.metadata().hookName());
        assertEquals("meta-llama/Llama-3.1-8B", sae.metadata().modelName());
        assertEquals(bDecIn, sae.applyBDecToInput());
        SaeCheckpointTest.assertEncodesAsReference(sae, dir);
        // after lm_saes' transform every decoder row has unit norm
        float[] w = sae.wDec();
        for (int i = 0; i < sae.dSae(); i++) {
            double n = 0;
            for (int j = 0; j < 6; j++) {
                n += (double) w[i * 6 + j] * w[i * 6 + j];
            }
            assertEquals(1, Math.sqrt(n), 1e-6, "decoder row " + i);
        }
    }

    @Test
    void llamaScopeSettingsThatCannotBeFoldedAreRefused(@TempDir Path tmp) throws Exception {
        Path src = fixture(LLAMA + "Llama3_1-8B-Base-L3R-8x");
        JsonObject hp = JsonParser.parseString(Files.readString(src.resolve("hyperparams.json"))).getAsJsonObject();
        assertRefused(tmp, src, edit(hp, "norm_activation", "token-wise"), "norm_activation 'token-wise'");
        assertRefused(tmp, src, edit(hp, "hook_point_out", "blocks.3.hook_mlp_out"), "transcoder");
        assertRefused(tmp, src, edit(hp, "act_fn", "gelu"), "act_fn 'gelu'");
        JsonObject noNorm = hp.deepCopy();
        noNorm.remove("dataset_average_activation_norm");
        assertRefused(tmp, src, noNorm, "dataset_average_activation_norm");
        // a folder with only the pickled checkpoint
        Path pt = Files.createDirectories(tmp.resolve("pt/checkpoints"));
        Files.writeString(pt.getParent().resolve("hyperparams.json"), hp.toString());
        Files.write(pt.resolve("final.pt"), new byte[] {1, 2, 3});
        IOException e = assertThrows(IOException.class, () -> PretrainedSaes.load(pt.getParent()));
        assertTrue(e.getMessage().contains("final.pt") && e.getMessage().contains("pickles"), e.getMessage());
    }

    private static JsonObject edit(JsonObject hp, String key, String value) {
        JsonObject o = hp.deepCopy();
        o.addProperty(key, value);
        return o;
    }

    private static void assertRefused(Path tmp, Path src, JsonObject hp, String expected) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "llama");
        Files.createDirectories(dir.resolve("checkpoints"));
        Files.copy(src.resolve("checkpoints/final.safetensors"), dir.resolve("checkpoints/final.safetensors"));
        Files.writeString(dir.resolve("hyperparams.json"), hp.toString());
        IOException e = assertThrows(IOException.class, () -> PretrainedSaes.load(dir));
        assertTrue(e.getMessage().contains(expected) && e.getMessage().contains("hyperparams.json"), e.getMessage());
    }

    @Test
    void qwenScopeEncodesAsReference() throws Exception {
        Path dir = fixture(QWEN);
        assertEquals(PretrainedSaes.Layout.QWEN_SCOPE, PretrainedSaes.detect(dir));
        for (Path p : new Path[] {dir, dir.resolve("layer5.sae.safetensors")}) {
            Sae sae = PretrainedSaes.load(p);
            assertEquals(Architecture.TOPK, sae.architecture());
            assertEquals(3, sae.k());
            assertFalse(sae.applyBDecToInput());
            assertEquals("blocks.5.hook_resid_post", sae.metadata().hookName());
            assertEquals("Qwen/Qwen3.5-2B-Base", sae.metadata().modelName());
            SaeCheckpointTest.assertEncodesAsReference(sae, dir);
        }
    }

    @Test
    void qwenScopeWithoutReleaseNameOrOnlyPickleIsRefused(@TempDir Path tmp) throws Exception {
        Path plain = Files.createDirectories(tmp.resolve("renamed"));
        Files.copy(fixture(QWEN).resolve("layer5.sae.safetensors"), plain.resolve("layer5.sae.safetensors"));
        IOException e = assertThrows(IOException.class, () -> PretrainedSaes.load(plain));
        assertTrue(e.getMessage().contains("L0_<k>"), e.getMessage());
        Path pt = Files.createDirectories(tmp.resolve("SAE-Res-Qwen3.5-2B-Base-W32K-L0_50"));
        Files.write(pt.resolve("layer5.sae.pt"), new byte[] {1});
        e = assertThrows(IOException.class, () -> PretrainedSaes.load(pt));
        assertTrue(e.getMessage().contains("pickles") && e.getMessage().contains("save_file"), e.getMessage());
    }

    @Test
    void existingLayoutsStillLoadAndUnknownFoldersListWhatIsLookedFor(@TempDir Path tmp) throws Exception {
        assertEquals(PretrainedSaes.Layout.SAELENS, PretrainedSaes.detect(fixture("saelens-topk")));
        assertEquals(PretrainedSaes.Layout.SPARSIFY, PretrainedSaes.detect(fixture("sparsify-topk")));
        SaeCheckpointTest.assertEncodesAsReference(PretrainedSaes.load(fixture("saelens-jumprelu")),
                fixture("saelens-jumprelu"));
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> PretrainedSaes.load(tmp));
        assertTrue(e.getMessage().contains("params.npz") && e.getMessage().contains("hyperparams.json")
                && e.getMessage().contains("layerN.sae.safetensors"), e.getMessage());
        Path pickle = Files.write(tmp.resolve("sae.pt"), new byte[] {1});
        IOException p = assertThrows(IOException.class, () -> PretrainedSaes.load(pickle));
        assertTrue(p.getMessage().contains("pickle"), p.getMessage());
    }

    /** A 3-D Fortran-ordered array comes out in row-major order (brute force over indices). */
    @Test
    void fortranOrderIsTransposedForAnyRank() {
        long[] shape = {2, 3, 4};
        float[] fortran = new float[24];
        float[] expected = new float[24];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 4; k++) {
                    float v = 100 * i + 10 * j + k;
                    fortran[i + 2 * j + 6 * k] = v;
                    expected[12 * i + 4 * j + k] = v;
                }
            }
        }
        assertArrayEquals(expected, NpzArchive.toRowMajor(fortran, shape), 0f);
    }
}
