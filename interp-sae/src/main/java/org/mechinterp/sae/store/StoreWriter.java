package org.mechinterp.sae.store;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;

/**
 * Appends rows to a store: callers {@link #reserve} rows in the pending shard, fill them through the accessors,
 * and call {@link #flush} at prompt boundaries. Each flush writes one shard atomically, hashes it, then rewrites
 * the manifest atomically; a crash between the two leaves an unlisted (orphan) shard, which {@link #resume}
 * deletes and the resumed capture rewrites. Not thread-safe.
 */
final class StoreWriter {
    /** Called after each shard is written and listed in the manifest (tests use it to simulate a crash). */
    @FunctionalInterface
    interface ShardListener {
        void shardWritten(StoreManifest.Shard shard) throws IOException;
    }

    private final Path dir;
    private final StoreManifest manifest;
    private final ShardBuffer buffer;
    private ShardListener listener = s -> { };

    private StoreWriter(Path dir, StoreManifest manifest, int initialCapacity) {
        this.dir = dir;
        this.manifest = manifest;
        this.buffer = new ShardBuffer(manifest, initialCapacity);
    }

    /**
     * Creates a store folder (or fills an empty existing one) and writes its initial manifest.
     *
     * @throws IllegalArgumentException if {@code dir} is a file or a non-empty folder
     */
    static StoreWriter create(Path dir, StoreManifest manifest) throws IOException {
        if (Files.exists(dir)) {
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException("store path " + dir + " is a file, not a folder");
            }
            if (Files.isRegularFile(dir.resolve(StoreManifest.FILE_NAME))) {
                throw new IllegalArgumentException("store folder " + dir + " already holds an activation store ("
                        + StoreManifest.FILE_NAME + "): choose another output folder, or delete this one first");
            }
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                if (ds.iterator().hasNext()) {
                    throw new IllegalArgumentException("store folder " + dir
                            + " exists and is not empty, but holds no activation store manifest");
                }
            }
        }
        Files.createDirectories(dir);
        String now = Instant.now().toString();
        manifest.created = now;
        manifest.updated = now;
        manifest.provenance = StoreManifest.Provenance.current();
        manifest.write(dir);
        return new StoreWriter(dir, manifest, manifest.shardRows);
    }

    /**
     * Empties a folder that holds an interrupted import (manifest, shards, temporary files), so that the import can
     * start over: unlike a capture an import is not resumed, since rereading the matrix is cheap. Only files a
     * store writes are deleted.
     */
    static void discardInterruptedImport(Path dir) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.equals(StoreManifest.FILE_NAME) || name.startsWith("shard-") && name.endsWith(".safetensors")
                        || name.startsWith(".") && name.endsWith(".tmp")) {
                    Files.delete(p);
                }
            }
        }
    }

    /** Continues an incomplete store: deletes orphan shards and stale temporary files, keeps listed shards. */
    static StoreWriter resume(Path dir, StoreManifest manifest) throws IOException {
        Set<String> listed = new HashSet<>();
        manifest.shards.forEach(s -> listed.add(s.file));
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                boolean orphan = name.startsWith("shard-") && name.endsWith(".safetensors") && !listed.contains(name);
                boolean staleTmp = name.startsWith(".") && name.endsWith(".tmp");
                if (orphan || staleTmp) {
                    Files.delete(p);
                }
            }
        }
        return new StoreWriter(dir, manifest, manifest.shardRows);
    }

    void setListener(ShardListener listener) {
        this.listener = listener;
    }

    StoreManifest manifest() {
        return manifest;
    }

    /** Rows pending in the current shard. */
    int pendingRows() {
        return buffer.rows();
    }

    /** The pending shard's rows (see {@link ShardBuffer}). */
    ShardBuffer buffer() {
        return buffer;
    }

    /** Makes room for {@code k} more rows and returns the index of the first; fill them before flushing. */
    int reserve(int k) {
        return buffer.reserve(k);
    }

    float[] acts(int hook) {
        return buffer.acts(hook);
    }

    long[] promptIds() {
        return buffer.promptIds();
    }

    int[] positions() {
        return buffer.positions();
    }

    int[] tokenIds() {
        return buffer.tokenIds();
    }

    float[] labels() {
        return buffer.labels();
    }

    /** Counts a prompt as complete in the pending shard. */
    void promptDone() {
        buffer.promptDone();
    }

    /**
     * Writes the pending rows as the next shard (nothing when none are pending) and lists it in the manifest.
     *
     * @return the shard written, or null
     */
    StoreManifest.Shard flush() throws IOException {
        if (buffer.rows() == 0) {
            return null;
        }
        StoreManifest.Shard s = buffer.write(dir.resolve(StoreManifest.shardFileName(manifest.shards.size())));
        s.firstRow = manifest.totalRows;
        manifest.shards.add(s);
        manifest.totalRows += s.rows;
        manifest.promptsCompleted += s.prompts;
        manifest.updated = Instant.now().toString();
        manifest.write(dir);
        buffer.clear();
        listener.shardWritten(s);
        return s;
    }

    /** Flushes and marks the store complete. */
    void finish() throws IOException {
        flush();
        manifest.complete = true;
        manifest.updated = Instant.now().toString();
        manifest.write(dir);
    }
}
