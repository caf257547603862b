package org.mechinterp.core.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.core.model.ActivationFunction;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.NormKind;
import org.mechinterp.core.model.RandomWeights;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.testing.Fixtures;

/** Writing a model as an HF checkpoint and loading it back gives bit-identical weights and logits. */
class HfCheckpointWriterTest {
    @TempDir
    Path tmp;

    static final int[][] TOKENS = {{1, 5, 9, 2, 7, 3, 3, 8}, {4, 4, 0, 6}};

    static ModelConfig llama() {
        return ModelConfig.builder().optModelType("llama").setVocabSize(17).setDModel(24).setNLayers(2)
                .setNHeads(4).optNKvHeads(2).setDMlp(40).optMaxPositions(64).optNorm(NormKind.RMS_NORM, 1e-6)
                .optBosTokenId(1).optEosTokenIds(2).build();
    }

    static ModelConfig qwen3Tied() {
        return ModelConfig.builder().optModelType("qwen3").setVocabSize(15).setDModel(16).setNLayers(3)
                .setNHeads(2).optHeadDim(12).setDMlp(32).optMaxPositions(32).optNorm(NormKind.RMS_NORM, 1e-6)
                .optQkNorm(true).optTiedEmbeddings(true).optRope(org.mechinterp.core.model.RopeScaling.plain(5000))
                .build();
    }

    @Test
    void llamaRoundTripIsBitIdentical() throws IOException {
        roundTrip(llama(), "llama", true);
    }

    @Test
    void qwen3TiedRoundTripIsBitIdentical() throws IOException {
        roundTrip(qwen3Tied(), "qwen3", false);
    }

    private void roundTrip(ModelConfig cfg, String type, boolean lmHead) throws IOException {
        Path dir = tmp.resolve(type);
        try (HookedTransformer model = RandomWeights.model(cfg, 11)) {
            HfCheckpointWriter.write(model, dir);
            JsonObject json = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
            assertEquals(type, json.get("model_type").getAsString());
            assertEquals(cfg.headDim(), json.get("head_dim").getAsInt());
            try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
                assertEquals(lmHead, f.contains("lm_head.weight"));
                // HF orientation: q_proj is [H*Dh, D]
                assertArrayEquals(new long[] {cfg.nHeads() * cfg.headDim(), cfg.dModel()},
                        f.info("model.layers.0.self_attn.q_proj.weight").shape());
            }
            try (HookedTransformer loaded = HookedTransformer.load(dir); NDManager m = NDManager.newBaseManager()) {
                assertEquals(cfg.toString().replace("custom", type), loaded.config().toString());
                assertArrayEquals(model.weights().blocks().get(1).wq().toFloatArray(),
                        loaded.weights().blocks().get(1).wq().toFloatArray(), 0f);
                float[] a = model.forward(m, TokenBatch.of(TOKENS)).toFloatArray();
                float[] b = loaded.forward(m, TokenBatch.of(TOKENS)).toFloatArray();
                assertArrayEquals(a, b, 0f, "logits after write + load must be bit-identical");
            }
        }
        try (var files = Files.list(dir)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().startsWith(".")), "temporary files left");
        }
    }

    @Test
    void realCheckpointSurvivesRewrite() throws IOException {
        Path dir = tmp.resolve("stories");
        int[] ids = {1, 403, 407, 261, 378};
        try (HookedTransformer model = HookedTransformer.load(Fixtures.fixture("stories260K-llama"));
                NDManager m = NDManager.newBaseManager()) {
            HfCheckpointWriter.write(model, dir);
            try (HookedTransformer again = HookedTransformer.load(dir)) {
                assertArrayEquals(model.forward(m, TokenBatch.of(ids)).toFloatArray(),
                        again.forward(m, TokenBatch.of(ids)).toFloatArray(), 0f);
            }
        }
    }

    @Test
    void rejectsWhatTheLayoutCannotHold() throws IOException {
        ModelConfig gpt2Like = ModelConfig.builder().setVocabSize(11).setDModel(8).setNLayers(1).setNHeads(2)
                .setDMlp(16).optNorm(NormKind.LAYER_NORM, 1e-5).optActivation(ActivationFunction.GELU)
                .optGatedMlp(false).optLearnedPositions().build();
        try (HookedTransformer model = RandomWeights.model(gpt2Like, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> HfCheckpointWriter.write(model, tmp.resolve("x")));
            assertTrue(e.getMessage().contains("LAYER_NORM"), e.getMessage());
        }
        try (HookedTransformer model = RandomWeights.model(llama(), 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> HfCheckpointWriter.write(model.config(), model.weights(), tmp.resolve("y"),
                            Map.of("hidden_size", 3)));
            assertTrue(e.getMessage().contains("hidden_size"), e.getMessage());
        }
        try (HookedTransformer model = RandomWeights.model(llama(), 1)) {
            HfCheckpointWriter.write(model.config(), model.weights(), tmp.resolve("z"), Map.of("pad_token_id", 0));
            JsonObject json = JsonParser.parseString(Files.readString(tmp.resolve("z/config.json"))).getAsJsonObject();
            assertTrue(json.get("pad_token_id").getAsJsonPrimitive().isNumber(), json.toString());
        }
    }
}
