package org.mechinterp.bench.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.family.CheckpointLoader;
import org.mechinterp.core.io.DType;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.core.io.ShardedCheckpoint;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.TokenBatch;

/**
 * {@link RandomCheckpoint} end to end on tiny shapes that go through the same code as the real ones: files our
 * reader and {@code HookedTransformer.load} accept, exact stored bits, determinism, sharding, reuse; and the
 * published sizes of the real presets, from their plans alone (nothing big is written).
 */
class RandomCheckpointTest {
    /** A Qwen3 config at toy size: head_dim 32 differs from hidden/heads = 16, as in the real model. */
    static final String TINY_QWEN3 = "{\"architectures\":[\"Qwen3ForCausalLM\"],\"model_type\":\"qwen3\","
            + "\"hidden_size\":64,\"intermediate_size\":96,\"num_hidden_layers\":2,\"num_attention_heads\":4,"
            + "\"num_key_value_heads\":2,\"head_dim\":32,\"vocab_size\":512,\"max_position_embeddings\":128,"
            + "\"rms_norm_eps\":1e-06,\"rope_theta\":1000000,\"tie_word_embeddings\":true,"
            + "\"initializer_range\":0.02,\"torch_dtype\":\"bfloat16\",\"bos_token_id\":1,\"eos_token_id\":2}";
    /** A Llama config at toy size with untied embeddings and llama3 RoPE scaling, as Llama-3.1-8B. */
    static final String TINY_LLAMA = "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\","
            + "\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":3,\"num_attention_heads\":8,"
            + "\"num_key_value_heads\":2,\"vocab_size\":300,\"max_position_embeddings\":256,\"rms_norm_eps\":1e-05,"
            + "\"rope_theta\":500000.0,\"rope_scaling\":{\"factor\":8.0,\"low_freq_factor\":1.0,"
            + "\"high_freq_factor\":4.0,\"original_max_position_embeddings\":64,\"rope_type\":\"llama3\"},"
            + "\"tie_word_embeddings\":false,\"torch_dtype\":\"bfloat16\"}";

    private static RandomCheckpoint.Options quiet() {
        return RandomCheckpoint.Options.defaults().withLog(null);
    }

    @Test
    void shardedTinyQwen3OpensWithOurReaderAndRunsForward(@TempDir Path tmp) throws IOException {
        ModelShape shape = ModelShape.fromConfig("tiny-qwen3", TINY_QWEN3);
        Path dir = RandomCheckpoint.write(shape, tmp.resolve("q"), 3, DType.BF16, quiet().withMaxShardBytes(40_000));
        CheckpointLayout layout = CheckpointLayout.plan(shape, DType.BF16, 40_000);
        assertTrue(layout.shards().size() >= 3, "several shards: " + layout.shards().size());
        assertTrue(Files.isRegularFile(dir.resolve(ShardedCheckpoint.INDEX_FILE)));
        String last = String.format("model-%05d-of-%05d.safetensors", layout.shards().size(), layout.shards().size());
        assertTrue(Files.isRegularFile(dir.resolve(last)), last);
        try (ShardedCheckpoint ck = ShardedCheckpoint.open(dir)) {
            Set<String> expected = new TreeSet<>();
            for (TensorSpec t : shape.tensors()) {
                expected.add(t.name());
                assertArrayEquals(t.shape(), ck.info(t.name()).shape(), t.name());
                assertEquals(DType.BF16, ck.info(t.name()).dtype());
            }
            assertEquals(expected, new TreeSet<>(ck.names()));
            assertTrue(ck.contains("model.layers.1.self_attn.k_norm.weight"));
            assertFalse(ck.contains("lm_head.weight"), "tied embeddings: no lm_head");
        }
        assertForwardIsFinite(dir, 512);
    }

    @Test
    void tinyUntiedLlamaHasLmHeadAndLoads(@TempDir Path tmp) throws IOException {
        ModelShape shape = ModelShape.fromConfig("tiny-llama", TINY_LLAMA);
        Path dir = RandomCheckpoint.write(shape, tmp.resolve("l"), 5, DType.BF16, quiet());
        assertTrue(Files.isRegularFile(dir.resolve(ShardedCheckpoint.SINGLE_FILE)));
        assertFalse(Files.exists(dir.resolve(ShardedCheckpoint.INDEX_FILE)));
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(ShardedCheckpoint.SINGLE_FILE))) {
            assertArrayEquals(new long[] {300, 64}, f.info("lm_head.weight").shape());
            assertArrayEquals(new long[] {16, 64}, f.info("model.layers.2.self_attn.k_proj.weight").shape());
            assertFalse(f.contains("model.layers.0.self_attn.q_norm.weight"));
            assertEquals("pt", f.metadata().get("format"));
        }
        ModelConfig c = CheckpointLoader.readConfig(dir);
        assertEquals(3, c.nLayers());
        assertFalse(c.tiedEmbeddings());
        assertForwardIsFinite(dir, 300);
    }

    private static void assertForwardIsFinite(Path dir, int vocab) throws IOException {
        try (HookedTransformer model = HookedTransformer.load(dir); NDManager m = NDManager.newBaseManager()) {
            NDArray logits = model.forward(m, TokenBatch.of(1, 7, 42, 99));
            assertEquals(new Shape(1, 4, vocab), logits.getShape());
            float[] v = logits.toFloatArray();
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float x : v) {
                assertTrue(Float.isFinite(x), "finite logits");
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
            assertTrue(max - min > 1e-3 && max - min < 100, "logits vary, sanely: [" + min + ", " + max + "]");
        }
    }

    @Test
    void storedValuesAreTheGeneratorsFloatsRoundedToEachDtype(@TempDir Path tmp) throws IOException {
        ModelShape shape = ModelShape.fromConfig("tiny-qwen3", TINY_QWEN3);
        for (DType dtype : new DType[] {DType.BF16, DType.F16, DType.F32}) {
            Path dir = RandomCheckpoint.write(shape, tmp.resolve(dtype.name()), 11, dtype, quiet());
            try (ShardedCheckpoint ck = ShardedCheckpoint.open(dir)) {
                for (TensorSpec t : List.of(shape.tensors().get(0), shape.tensors().get(5), shape.tensors().get(7))) {
                    float[] stored = ck.readFloats(t.name());
                    float[] drawn = RandomValues.values(11, t, 0.02, 0, (int) t.numel());
                    for (int i = 0; i < drawn.length; i++) {
                        assertEquals(rounded(drawn[i], dtype), stored[i], t.name() + "[" + i + "] " + dtype);
                    }
                }
            }
            String config = Files.readString(dir.resolve("config.json"));
            assertTrue(config.contains(dtype == DType.BF16 ? "bfloat16" : dtype == DType.F16 ? "float16" : "float32"));
        }
    }

    private static float rounded(float f, DType dtype) {
        switch (dtype) {
            case BF16:
                return DType.bfloat16ToFloat(RandomValues.toBfloat16(f));
            case F16:
                return DType.halfToFloat(RandomValues.toHalf(f));
            default:
                return f;
        }
    }

    @Test
    void bytesDependOnTheSeedOnlyNotOnThreads(@TempDir Path tmp) throws IOException {
        ModelShape shape = ModelShape.fromConfig("tiny-llama", TINY_LLAMA);
        RandomCheckpoint.Options sharded = quiet().withMaxShardBytes(60_000);
        Path one = RandomCheckpoint.write(shape, tmp.resolve("a"), 9, DType.BF16, sharded.withThreads(1));
        Path three = RandomCheckpoint.write(shape, tmp.resolve("b"), 9, DType.BF16, sharded.withThreads(3));
        Path other = RandomCheckpoint.write(shape, tmp.resolve("c"), 10, DType.BF16, sharded.withThreads(2));
        for (CheckpointLayout.Shard s : CheckpointLayout.plan(shape, DType.BF16, 60_000).shards()) {
            assertEquals(-1, Files.mismatch(one.resolve(s.fileName()), three.resolve(s.fileName())), s.fileName());
            assertNotEquals(-1, Files.mismatch(one.resolve(s.fileName()), other.resolve(s.fileName())));
        }
        assertEquals(Files.readString(one.resolve(ShardedCheckpoint.INDEX_FILE)),
                Files.readString(three.resolve(ShardedCheckpoint.INDEX_FILE)));
    }

    @Test
    void ensureReusesACompleteFolderAndRewritesADamagedOne(@TempDir Path tmp) throws IOException {
        ModelShape shape = ModelShape.fromConfig("tiny-qwen3", TINY_QWEN3);
        Path dir = tmp.resolve("e");
        RandomCheckpoint.ensure(shape, dir, 1, DType.BF16, quiet());
        Path file = dir.resolve(ShardedCheckpoint.SINGLE_FILE);
        FileTime old = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(file, old);
        RandomCheckpoint.ensure(shape, dir, 1, DType.BF16, quiet());
        assertEquals(old, Files.getLastModifiedTime(file), "reused, not rewritten");
        assertFalse(RandomCheckpoint.isCurrent(shape, dir, 2, DType.BF16, CheckpointLayout.HF_DEFAULT_MAX_SHARD_BYTES));
        assertFalse(RandomCheckpoint.isCurrent(shape.withLayers(1), dir, 1, DType.BF16,
                CheckpointLayout.HF_DEFAULT_MAX_SHARD_BYTES));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {'!'}), 20); // damage the header
        }
        assertFalse(RandomCheckpoint.isCurrent(shape, dir, 1, DType.BF16, CheckpointLayout.HF_DEFAULT_MAX_SHARD_BYTES));
        RandomCheckpoint.ensure(shape, dir, 1, DType.BF16, quiet());
        assertTrue(RandomCheckpoint.isCurrent(shape, dir, 1, DType.BF16, CheckpointLayout.HF_DEFAULT_MAX_SHARD_BYTES));
        // a sharded rewrite of the same folder removes the old single file
        RandomCheckpoint.write(shape, dir, 1, DType.BF16, quiet().withMaxShardBytes(40_000));
        assertFalse(Files.exists(file));
        List<String> partials = new ArrayList<>();
        try (var s = Files.list(dir)) {
            s.filter(p -> p.toString().endsWith(".partial")).forEach(p -> partials.add(p.toString()));
        }
        assertEquals(List.of(), partials);
    }

    @Test
    void refusesANonEmptyFolderItDidNotMake(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("notes.txt"), "mine");
        IOException e = assertThrows(IOException.class, () -> RandomCheckpoint.write(
                ModelShape.fromConfig("tiny-qwen3", TINY_QWEN3), tmp, 1, DType.BF16, quiet()));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
        assertEquals("mine", Files.readString(tmp.resolve("notes.txt")));
    }

    @Test
    void presetsHaveThePublishedParameterCountsAndShards() {
        assertEquals(596_049_920L, ModelShape.preset("qwen3-0.6b").parameterCount());
        assertEquals(1_235_814_400L, ModelShape.preset("llama-3.2-1b").parameterCount());
        assertEquals(8_030_261_248L, ModelShape.preset("llama-3.1-8b").parameterCount());
        CheckpointLayout l8 = CheckpointLayout.plan(ModelShape.preset("llama-3.1-8b"), DType.BF16,
                CheckpointLayout.HF_DEFAULT_MAX_SHARD_BYTES);
        assertEquals(16_060_522_496L, l8.totalBytes(), "the published index's total_size");
        assertEquals(4, l8.shards().size());
        assertEquals("model-00004-of-00004.safetensors", l8.shards().get(3).fileName());
        assertTrue(l8.shards().get(3).tensors().stream().anyMatch(t -> t.name().equals("lm_head.weight")));
        for (CheckpointLayout.Shard s : l8.shards()) {
            assertTrue(s.fileSize(DType.BF16) - s.header().length <= 5_000_000_000L);
        }
        CheckpointLayout l1 = CheckpointLayout.plan(ModelShape.preset("llama-3.2-1b"), DType.BF16,
                CheckpointLayout.HF_DEFAULT_MAX_SHARD_BYTES);
        assertFalse(l1.sharded(), "Llama-3.2-1B is published as one model.safetensors");
        assertTrue(l8.indexJson().contains("\"lm_head.weight\": \"model-00004-of-00004.safetensors\""));
    }

    @Test
    void presetConfigsParseToTheRealArchitectures(@TempDir Path tmp) throws IOException {
        ModelConfig q = readConfig(tmp.resolve("q"), ModelShape.preset("qwen3-0.6b"));
        assertEquals(1024, q.dModel());
        assertEquals(28, q.nLayers());
        assertEquals(8, q.nKvHeads());
        assertEquals(128, q.headDim());
        assertTrue(q.tiedEmbeddings());
        assertTrue(q.qkNorm());
        ModelConfig l = readConfig(tmp.resolve("l"), ModelShape.preset("llama-3.1-8b").withLayers(2));
        assertEquals(2, l.nLayers());
        assertEquals(14336, l.dMlp());
        assertEquals(128256, l.vocabSize());
        assertFalse(l.tiedEmbeddings());
        assertEquals(128, l.headDim());
    }

    private static ModelConfig readConfig(Path dir, ModelShape shape) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), shape.configJson(DType.BF16));
        return CheckpointLoader.readConfig(dir);
    }

    @Test
    void commandLineParsesItsOptions() throws Exception {
        CheckpointCli.Args a = CheckpointCli.parse(new String[] {"--model", "llama-3.1-8b", "--layers", "2",
            "--dtype", "f16", "--seed", "-3", "--max-shard-size", "500MB", "--threads", "1", "--force"});
        assertEquals(2, a.layers());
        assertEquals(DType.F16, a.dtype());
        assertEquals(-3, a.seed());
        assertEquals(500_000_000L, a.maxShardBytes());
        assertTrue(a.force());
        assertEquals(5_000_000_000L, CheckpointCli.size("5GB"));
        assertThrows(CheckpointCli.UsageException.class, () -> CheckpointCli.parse(new String[] {"--model", "gpt-5"}));
        assertThrows(CheckpointCli.UsageException.class, () -> CheckpointCli.parse(new String[] {"--layers", "2"}));
        assertThrows(CheckpointCli.UsageException.class,
                () -> CheckpointCli.parse(new String[] {"--model", "qwen3-0.6b", "--dtype", "int8"}));
    }
}
