package org.mechinterp.core.family;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.core.io.SafetensorsFormatException;
import org.mechinterp.core.io.SafetensorsWriter;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.testing.Fixtures;

/** Broken copies of the stories260K checkpoint: each defect gives a specific exception naming the problem. */
class BadCheckpointTest {
    @TempDir
    Path dir;
    private Path source;

    @BeforeEach
    void copyCheckpoint() throws IOException {
        source = Fixtures.fixture("stories260K-llama");
        Files.copy(source.resolve("config.json"), dir.resolve("config.json"));
        Files.copy(source.resolve("model.safetensors"), dir.resolve("model.safetensors"));
    }

    private void editConfig(Consumer<JsonObject> edit) throws IOException {
        JsonObject json = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
        edit.accept(json);
        Files.writeString(dir.resolve("config.json"), json.toString());
    }

    /** Rewrites model.safetensors, dropping {@code drop} and giving {@code reshape} the shape {@code shape}. */
    private void rewriteWeights(String drop, String reshape, long... shape) throws IOException {
        SafetensorsWriter writer = new SafetensorsWriter();
        try (SafetensorsFile in = SafetensorsFile.open(source.resolve("model.safetensors"))) {
            for (String name : in.names()) {
                if (name.equals(drop)) {
                    continue;
                }
                writer.addF32(name, in.readFloats(name), name.equals(reshape) ? shape : in.info(name).shape());
            }
        }
        writer.write(dir.resolve("model.safetensors"));
    }

    private String loadError(Class<? extends Exception> type) {
        Exception e = assertThrows(type, () -> HookedTransformer.load(dir).close());
        return e.getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "'" + message + "' should mention '" + part + "'");
        }
    }

    @Test
    void unsupportedModelType() throws IOException {
        editConfig(j -> j.addProperty("model_type", "bert"));
        assertMentions(loadError(CheckpointException.class), "unsupported model_type 'bert'", "llama", "qwen3",
                "gpt2");
    }

    @Test
    void missingTensor() throws IOException {
        rewriteWeights("model.layers.2.mlp.up_proj.weight", null);
        assertMentions(loadError(CheckpointException.class), "missing tensor 'model.layers.2.mlp.up_proj.weight'");
    }

    @Test
    void misshapenTensor() throws IOException {
        rewriteWeights(null, "model.layers.1.self_attn.k_proj.weight", 64, 32);
        assertMentions(loadError(CheckpointException.class), "model.layers.1.self_attn.k_proj.weight",
                "[64, 32]", "[32, 64]");
    }

    @Test
    void configDisagreesWithWeights() throws IOException {
        editConfig(j -> j.addProperty("hidden_size", 96));
        assertMentions(loadError(CheckpointException.class), "model.embed_tokens.weight", "[512, 64]", "[512, 96]");
    }

    @Test
    void malformedAndIncompleteConfigs() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", ");
        assertMentions(loadError(CheckpointException.class), "config.json", "not valid JSON");
        Files.copy(source.resolve("config.json"), dir.resolve("config.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        editConfig(j -> j.remove("hidden_size"));
        assertMentions(loadError(CheckpointException.class), "no 'hidden_size' field");
        editConfig(j -> {
            j.addProperty("hidden_size", 64);
            j.addProperty("num_key_value_heads", 3);
        });
        assertMentions(loadError(CheckpointException.class), "num_key_value_heads (3)");
        editConfig(j -> {
            j.addProperty("num_key_value_heads", 4);
            JsonObject scaling = new JsonObject();
            scaling.addProperty("rope_type", "yarn");
            scaling.addProperty("factor", 4);
            j.add("rope_scaling", scaling);
        });
        assertMentions(loadError(CheckpointException.class), "rope type 'yarn' is not supported");
        Files.delete(dir.resolve("config.json"));
        assertMentions(loadError(CheckpointException.class), "no config.json in");
        assertMentions(assertThrows(CheckpointException.class,
                () -> HookedTransformer.load(dir.resolve("nowhere"))).getMessage(), "does not exist");
    }

    /** Values of the wrong JSON type are reported naming the field, not read leniently or as a class name. */
    @Test
    void mistypedConfigFieldsAreNamed() throws IOException {
        String original = Files.readString(dir.resolve("config.json"));
        String[][] cases = {
            {"model_type", "{\"name\": \"llama\"}", "field 'model_type' must be a string"},
            {"tie_word_embeddings", "\"yes\"", "field 'tie_word_embeddings' must be true or false, got \"yes\""},
            {"hidden_size", "\"64\"", "field 'hidden_size' is not an integer: \"64\""},
            {"hidden_size", "[64]", "field 'hidden_size' is not an integer: [64]"},
            {"head_dim", "0", "field 'head_dim' must be a positive integer, got 0"},
            {"rms_norm_eps", "\"1e-5\"", "field 'rms_norm_eps' is not a number"},
        };
        for (String[] c : cases) {
            Files.writeString(dir.resolve("config.json"), original);
            editConfig(j -> j.add(c[0], JsonParser.parseString(c[1])));
            assertMentions(loadError(CheckpointException.class), "config.json", c[2]);
        }
    }

    @Test
    void truncatedWeights() throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve("model.safetensors"), StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 100);
        }
        assertMentions(loadError(SafetensorsFormatException.class), "truncated");
    }

    @Test
    void lyingHeaderLength() throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve("model.safetensors"), StandardOpenOption.WRITE)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
            ch.write(len, 0);
        }
        assertMentions(loadError(SafetensorsFormatException.class), "model.safetensors", "header");
    }
}
