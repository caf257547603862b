package org.mechinterp.sae.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Corrupted, truncated and missing shards and malformed manifests are detected and named. */
class StoreIntegrityTest {
    @TempDir
    Path tmp;

    private Path store() throws IOException {
        Path dir = tmp.resolve("s");
        StoreTestSupport.synthetic(dir, 300, 8, 10, 100, new int[0], 1f);
        return dir;
    }

    @Test
    void flippedByteIsDetectedAndTheShardNamed() throws IOException {
        Path dir = store();
        Path shard = dir.resolve("shard-00001.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
            long pos = f.length() - 100; // inside the data section: the safetensors header stays valid
            f.seek(pos);
            int b = f.read();
            f.seek(pos);
            f.write(b ^ 0x01);
        }
        try (StoreReader r = StoreReader.open(dir)) {
            r.read("x", 0, 100); // shard 0 is intact and readable
            StoreFormatException e = assertThrows(StoreFormatException.class, () -> r.read("x", 150, 10));
            assertEquals(shard, e.file());
            assertTrue(e.getMessage().contains("shard-00001.safetensors") && e.getMessage().contains("corrupted"),
                    e.getMessage());
        }
        try (StoreReader r = StoreReader.open(dir)) {
            StoreFormatException e = assertThrows(StoreFormatException.class, r::verifyAll);
            assertTrue(e.getMessage().contains("shard-00001.safetensors"), e.getMessage());
        }
        // the training stream reports it too
        StoreFormatException e = assertThrows(StoreFormatException.class, () -> {
            try (StoreBatches b = StoreBatches.builder().setStore(dir).setHook("x").build()) {
                b.next(new float[300 * 8], 300);
            }
        });
        assertTrue(e.getMessage().contains("shard-00001.safetensors"), e.getMessage());
    }

    @Test
    void truncatedShardIsDetectedAndNamed() throws IOException {
        Path dir = store();
        Path shard = dir.resolve("shard-00002.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
            f.setLength(f.length() - 7);
        }
        try (StoreReader r = StoreReader.open(dir)) {
            StoreFormatException e = assertThrows(StoreFormatException.class, () -> r.read("x", 250, 1));
            assertTrue(e.getMessage().contains("shard-00002.safetensors") && e.getMessage().contains("truncated"),
                    e.getMessage());
        }
        // without checksum verification the shape check still refuses the shard rather than reading past its end
        try (StoreReader r = StoreReader.open(dir, false)) {
            StoreFormatException e = assertThrows(StoreFormatException.class, () -> r.read("x", 250, 1));
            assertTrue(e.getMessage().contains("shard-00002.safetensors"), e.getMessage());
        }
    }

    @Test
    void missingShardAndBadManifestAreNamed() throws IOException {
        Path dir = store();
        Files.delete(dir.resolve("shard-00000.safetensors"));
        try (StoreReader r = StoreReader.open(dir)) {
            StoreFormatException e = assertThrows(StoreFormatException.class, () -> r.read("x", 0, 1));
            assertTrue(e.getMessage().contains("shard-00000.safetensors") && e.getMessage().contains("missing"),
                    e.getMessage());
        }
        Path manifest = dir.resolve(StoreManifest.FILE_NAME);
        Files.writeString(manifest, Files.readString(manifest).replace("\"total_rows\": 300", "\"total_rows\": 301"));
        StoreFormatException e = assertThrows(StoreFormatException.class, () -> StoreReader.open(dir));
        assertTrue(e.getMessage().contains("total_rows is 301 but the shards hold 300"), e.getMessage());
        Files.writeString(manifest, "{ nope");
        e = assertThrows(StoreFormatException.class, () -> StoreReader.open(dir));
        assertTrue(e.getMessage().contains("manifest.json") && e.getMessage().contains("not valid JSON"),
                e.getMessage());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> StoreReader.open(tmp.resolve("absent")));
    }
}
