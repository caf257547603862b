package org.mechinterp.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardedCheckpointTest {

    @TempDir
    Path dir;

    private static final String SHARD1 = "model-00001-of-00002.safetensors";
    private static final String SHARD2 = "model-00002-of-00002.safetensors";

    private void writeShards() throws Exception {
        new SafetensorsWriter().metadata("format", "pt")
                .addF32("embed.weight", new float[] {1, 2, 3, 4}, 2, 2)
                .addI64("position_ids", new long[] {0, 1}, 1, 2)
                .write(dir.resolve(SHARD1));
        new SafetensorsWriter().metadata("format", "pt2")
                .addF32("lm_head.weight", new float[] {5, 6}, 1, 2)
                .addF32("unlisted", new float[] {0}, 1)
                .write(dir.resolve(SHARD2));
    }

    private void writeIndex(String weightMapEntries) throws Exception {
        Files.writeString(dir.resolve(ShardedCheckpoint.INDEX_FILE),
                "{\"metadata\":{\"total_size\":40},\"weight_map\":{" + weightMapEntries + "}}");
    }

    private static final String GOOD_MAP = "\"lm_head.weight\":\"" + SHARD2 + "\",\"embed.weight\":\"" + SHARD1
            + "\",\"position_ids\":\"" + SHARD1 + "\"";

    @Test
    void readsAcrossTwoShards() throws Exception {
        writeShards();
        writeIndex(GOOD_MAP);
        try (ShardedCheckpoint ckpt = ShardedCheckpoint.open(dir)) {
            assertEquals(List.of("lm_head.weight", "embed.weight", "position_ids"), List.copyOf(ckpt.names()));
            assertEquals(2, ckpt.shards().size());
            assertTrue(ckpt.contains("embed.weight"));
            assertFalse(ckpt.contains("unlisted"));
            assertArrayEquals(new float[] {1, 2, 3, 4}, ckpt.readFloats("embed.weight"));
            assertArrayEquals(new float[] {5, 6}, ckpt.readFloats("lm_head.weight"));
            assertArrayEquals(new long[] {0, 1}, ckpt.readLongs("position_ids"));
            assertArrayEquals(new int[] {0, 1}, ckpt.readInts("position_ids"));
            assertArrayEquals(new long[] {1, 2}, ckpt.info("lm_head.weight").shape());
            assertEquals(dir.resolve(SHARD2).getFileName(), ckpt.shardOf("lm_head.weight").getFileName());
            assertEquals("pt", ckpt.metadata().get("format")); // first shard by file name
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ckpt.info("nope"));
            assertTrue(e.getMessage().contains("nope"), e.getMessage());
        }
    }

    @Test
    void missingShardNamesShardAndTensor() throws Exception {
        writeShards();
        writeIndex(GOOD_MAP + ",\"extra.weight\":\"model-00003-of-00002.safetensors\"");
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                () -> ShardedCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("model-00003-of-00002.safetensors")
                && e.getMessage().contains("extra.weight") && e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void weightMapEntryAbsentFromShard() throws Exception {
        writeShards();
        writeIndex(GOOD_MAP + ",\"ghost.weight\":\"" + SHARD1 + "\"");
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                () -> ShardedCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("ghost.weight") && e.getMessage().contains(SHARD1), e.getMessage());
    }

    @Test
    void malformedIndex() throws Exception {
        writeShards();
        Files.writeString(dir.resolve(ShardedCheckpoint.INDEX_FILE), "{\"weight_map\": [");
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                () -> ShardedCheckpoint.open(dir));
        assertTrue(e.getMessage().contains(ShardedCheckpoint.INDEX_FILE), e.getMessage());
        Files.writeString(dir.resolve(ShardedCheckpoint.INDEX_FILE), "{\"weight_map\":{\"a\":\"../evil.safetensors\"}}");
        assertThrows(SafetensorsFormatException.class, () -> ShardedCheckpoint.open(dir));
    }

    @Test
    void singleFileLayouts() throws Exception {
        new SafetensorsWriter().addF32("w", new float[] {1}, 1).write(dir.resolve("weights.safetensors"));
        try (ShardedCheckpoint ckpt = ShardedCheckpoint.open(dir)) { // the only *.safetensors
            assertEquals(List.of("w"), List.copyOf(ckpt.names()));
        }
        new SafetensorsWriter().addF32("v", new float[] {2}, 1).write(dir.resolve("other.safetensors"));
        SafetensorsFormatException ambiguous = assertThrows(SafetensorsFormatException.class,
                () -> ShardedCheckpoint.open(dir));
        assertTrue(ambiguous.getMessage().contains("other.safetensors"), ambiguous.getMessage());
        new SafetensorsWriter().addF32("m", new float[] {3}, 1).write(dir.resolve(ShardedCheckpoint.SINGLE_FILE));
        try (ShardedCheckpoint ckpt = ShardedCheckpoint.open(dir)) { // model.safetensors wins
            assertArrayEquals(new float[] {3}, ckpt.readFloats("m"));
        }
        try (ShardedCheckpoint ckpt = ShardedCheckpoint.open(dir.resolve("other.safetensors"))) { // a file path
            assertArrayEquals(new float[] {2}, ckpt.readFloats("v"));
        }
    }

    @Test
    void emptyOrMissingFolder() throws Exception {
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                () -> ShardedCheckpoint.open(dir));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> ShardedCheckpoint.open(dir.resolve("absent")));
    }
}
