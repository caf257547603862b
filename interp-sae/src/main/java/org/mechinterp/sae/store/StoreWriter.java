package org.mechinterp.sae.store;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.mechinterp.core.io.SafetensorsWriter;

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
    private final int[] dims;
    private final int nLabels;
    private ShardListener listener = s -> { };

    private float[][] acts;
    private long[] promptIds;
    private int[] positions;
    private int[] tokenIds;
    private float[] labels;
    private int rows;
    private long prompts;

    private StoreWriter(Path dir, StoreManifest manifest, int initialCapacity) {
        this.dir = dir;
        this.manifest = manifest;
        List<StoreManifest.Hook> hooks = manifest.hooks;
        this.dims = new int[hooks.size()];
        for (int h = 0; h < dims.length; h++) {
            dims[h] = hooks.get(h).d;
        }
        this.nLabels = manifest.labelNames.size();
        long widths = 0;
        for (int d : dims) {
            widths += d;
        }
        // Start at most ~64 MiB of activations; reserve() grows the buffer towards the shard size when needed.
        allocate((int) Math.max(16, Math.min(initialCapacity, (1L << 24) / Math.max(1, widths))));
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
        return rows;
    }

    /** Makes room for {@code k} more rows and returns the index of the first; fill them before flushing. */
    int reserve(int k) {
        if (rows + k > promptIds.length) {
            long want = Math.max((long) rows + k, (long) promptIds.length * 2);
            int cap = (int) Math.min(want, Integer.MAX_VALUE - 8);
            for (int d : dims) {
                if ((long) cap * d > Integer.MAX_VALUE - 8) {
                    cap = Math.max(rows + k, (Integer.MAX_VALUE - 8) / d);
                }
            }
            if (rows + k > cap) {
                throw new IllegalStateException("shard buffer cannot hold " + (rows + k) + " rows; lower shardRows");
            }
            for (int h = 0; h < acts.length; h++) {
                acts[h] = Arrays.copyOf(acts[h], cap * dims[h]);
            }
            promptIds = Arrays.copyOf(promptIds, cap);
            positions = Arrays.copyOf(positions, cap);
            tokenIds = Arrays.copyOf(tokenIds, cap);
            labels = Arrays.copyOf(labels, cap * nLabels);
        }
        int first = rows;
        rows += k;
        return first;
    }

    float[] acts(int hook) {
        return acts[hook];
    }

    long[] promptIds() {
        return promptIds;
    }

    int[] positions() {
        return positions;
    }

    int[] tokenIds() {
        return tokenIds;
    }

    float[] labels() {
        return labels;
    }

    /** Counts a prompt as complete in the pending shard. */
    void promptDone() {
        prompts++;
    }

    /**
     * Writes the pending rows as the next shard (nothing when none are pending) and lists it in the manifest.
     *
     * @return the shard written, or null
     */
    StoreManifest.Shard flush() throws IOException {
        if (rows == 0) {
            return null;
        }
        int index = manifest.shards.size();
        String name = StoreManifest.shardFileName(index);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", StoreManifest.FORMAT);
        for (int h = 0; h < dims.length; h++) {
            w.addF32(manifest.hooks.get(h).name, exact(acts[h], rows * dims[h]), rows, dims[h]);
        }
        w.addI64(StoreManifest.PROMPT_ID, promptIds.length == rows ? promptIds : Arrays.copyOf(promptIds, rows), rows);
        w.addI32(StoreManifest.POSITION, positions.length == rows ? positions : Arrays.copyOf(positions, rows), rows);
        w.addI32(StoreManifest.TOKEN_ID, tokenIds.length == rows ? tokenIds : Arrays.copyOf(tokenIds, rows), rows);
        if (nLabels > 0) {
            w.addF32(StoreManifest.LABELS, exact(labels, rows * nLabels), rows, nLabels);
        }
        Path file = dir.resolve(name);
        w.write(file);
        StoreManifest.Shard s = new StoreManifest.Shard();
        s.file = name;
        s.rows = rows;
        s.bytes = Files.size(file);
        // Hashing the file as written (not the bytes in memory) also catches a short write.
        s.sha256 = Checksums.sha256(file);
        s.firstRow = manifest.totalRows;
        s.firstPromptId = promptIds[0];
        s.prompts = prompts;
        manifest.shards.add(s);
        manifest.totalRows += rows;
        manifest.promptsCompleted += prompts;
        manifest.updated = Instant.now().toString();
        manifest.write(dir);
        rows = 0;
        prompts = 0;
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

    private static float[] exact(float[] a, int len) {
        return a.length == len ? a : Arrays.copyOf(a, len);
    }

    private void allocate(int cap) {
        acts = new float[dims.length][];
        for (int h = 0; h < dims.length; h++) {
            acts[h] = new float[cap * dims[h]];
        }
        promptIds = new long[cap];
        positions = new int[cap];
        tokenIds = new int[cap];
        labels = new float[cap * nLabels];
    }
}
