package org.mechinterp.core.family;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.core.io.SafetensorsWriter;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.LoadOptions;
import org.mechinterp.core.model.LoadOptions.Storage;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.testing.Fixtures;

/**
 * Load-time checks beyond names and shapes: a NaN or infinite weight is refused naming the tensor (with an opt-out),
 * in both storage forms; a config with fewer layers than the weights is refused; stray tensors are warned about;
 * clean fixtures load without a warning.
 */
class CheckpointValidationTest {
    @TempDir
    Path dir;

    private void copy(Path source) throws IOException {
        try (var files = Files.list(source)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
    }

    /** Overwrites element {@code index} of tensor {@code name} in model.safetensors with raw little-endian bits. */
    private void plant(String name, long index, long bits) throws IOException {
        Path file = dir.resolve("model.safetensors");
        long at;
        int width;
        try (SafetensorsFile f = SafetensorsFile.open(file); FileChannel ch = FileChannel.open(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            width = f.info(name).dtype().byteSize();
            at = 8 + len.getLong(0) + f.info(name).dataBegin() + index * width;
        }
        ByteBuffer b = ByteBuffer.allocate(width).order(ByteOrder.LITTLE_ENDIAN);
        if (width == 2) {
            b.putShort(0, (short) bits);
        } else {
            b.putInt(0, (int) bits);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(b, at);
        }
    }

    private static LoadOptions options(Storage storage, List<String> warnings) {
        return LoadOptions.builder().optStorage(storage).optWarnings(warnings::add).build();
    }

    @ParameterizedTest
    @EnumSource(value = Storage.class, names = {"F32", "AT_REST"})
    void nanWeightIsRefusedNamingTheTensorUnlessOptedOut(Storage storage) throws IOException {
        copy(Fixtures.fixture("stories260K-llama"));
        String tensor = "model.layers.1.self_attn.q_proj.weight"; // [64, 64]
        plant(tensor, 64 * 3 + 17, Float.floatToRawIntBits(Float.NaN));
        String message = assertThrows(CheckpointException.class,
                () -> HookedTransformer.load(dir, options(storage, new ArrayList<>())).close()).getMessage();
        for (String part : new String[] {tensor, "NaN", "[3, 17]", "model.safetensors", "optCheckFinite(false)",
                "--allow-non-finite"}) {
            assertTrue(message.contains(part), "'" + message + "' should mention '" + part + "'");
        }
        LoadOptions optOut = LoadOptions.builder().optStorage(storage).optCheckFinite(false).build();
        try (HookedTransformer model = HookedTransformer.load(dir, optOut);
                var m = ai.djl.ndarray.NDManager.newBaseManager()) {
            float[] logits = model.forward(m, TokenBatch.of(new int[] {1, 5, 9})).toFloatArray();
            assertTrue(Float.isNaN(logits[logits.length - 1]), "the opt-out loads the NaN as it is");
        }
    }

    @Test
    void bfloat16InfinityAtRestIsRefused() throws IOException {
        copy(Fixtures.family("qwen3-bf16-v5"));
        String tensor;
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            tensor = f.names().stream().filter(n -> n.endsWith("layers.0.mlp.down_proj.weight")).findFirst()
                    .orElseThrow();
        }
        plant(tensor, 5, 0xFF80); // BF16 -Inf
        String message = assertThrows(CheckpointException.class, () -> HookedTransformer.load(dir,
                options(Storage.AT_REST, new ArrayList<>())).close()).getMessage();
        assertTrue(message.contains(tensor) && message.contains("-Inf") && message.contains("BF16"), message);
    }

    @ParameterizedTest
    @EnumSource(value = Storage.class, names = {"F32", "AT_REST"})
    void configWithFewerLayersThanTheWeightsIsRefused(Storage storage) throws IOException {
        copy(Fixtures.fixture("stories260K-llama"));
        JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
        int layers = config.get("num_hidden_layers").getAsInt();
        config.addProperty("num_hidden_layers", layers - 1);
        Files.writeString(dir.resolve("config.json"), config.toString());
        String message = assertThrows(CheckpointException.class,
                () -> HookedTransformer.load(dir, options(storage, new ArrayList<>())).close()).getMessage();
        assertTrue(message.contains("model.layers." + (layers - 1) + ".*") && message.contains("declares "
                + (layers - 1) + " layers") && message.contains("(" + layers + " here)"), message);
    }

    @ParameterizedTest
    @EnumSource(value = Storage.class, names = {"F32", "AT_REST"})
    void strayTensorsAreWarnedAboutAndKnownBuffersAreNot(Storage storage) throws IOException {
        copy(Fixtures.fixture("stories260K-llama"));
        SafetensorsWriter writer = new SafetensorsWriter();
        try (SafetensorsFile in = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            for (String name : in.names()) {
                writer.addF32(name, in.readFloats(name), in.info(name).shape());
            }
        }
        writer.addF32("model.layers.0.self_attn.extra_proj.weight", new float[4], 2, 2);
        writer.addF32("model.layers.0.self_attn.rotary_emb.inv_freq", new float[4], 4);
        writer.write(dir.resolve("model.safetensors"));
        List<String> warnings = new ArrayList<>();
        HookedTransformer.load(dir, options(storage, warnings)).close();
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("1 tensor(s)")
                && warnings.get(0).contains("model.layers.0.self_attn.extra_proj.weight"), warnings.get(0));
    }

    @Test
    void cleanFixturesLoadWithoutWarnings() throws IOException {
        List<Path> dirs = new ArrayList<>(List.of(Fixtures.fixture("stories260K-llama"),
                Fixtures.fixture("tiny-random-gpt2"), Fixtures.fixture("tiny-random-llama-fp16")));
        for (String family : new String[] {"llama3", "mistral", "mistral-sw", "qwen2", "qwen2-sw", "qwen3",
                "qwen3-bf16-v5"}) {
            dirs.add(Fixtures.family(family));
        }
        for (Path d : dirs) {
            for (Storage storage : new Storage[] {Storage.F32, Storage.AT_REST}) {
                List<String> warnings = new ArrayList<>();
                HookedTransformer.load(d, options(storage, warnings)).close();
                assertEquals(List.of(), warnings, d + " " + storage);
            }
        }
    }
}
