package org.mechinterp.sae.store;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.mechinterp.core.io.DType;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.core.io.TensorInfo;

/**
 * Random and sequential access to the rows of an activation store (see {@link StoreManifest} for the layout).
 *
 * <p>Integrity: the first time this reader touches a shard it checks that the file exists, has the size the
 * manifest records and the recorded SHA-256 (one streaming pass over the file), then that its tensors have the
 * expected names, dtypes and shapes. Any failure is a {@link StoreFormatException} naming the shard file; a shard
 * is never half-read. {@link #verifyAll()} checks every shard up front.
 *
 * <p>Sequential evaluation: {@code for (long r = 0; r < reader.rows(); r += n) reader.read(hook, r, n, block)}
 * visits every row once, in capture order, with its metadata. For training streams use {@link StoreBatches}.
 *
 * <p>Ownership: the reader keeps at most {@value #OPEN_SHARDS} shard files open (memory-mapped) and releases them
 * on {@link #close()}. What it returns is copied into caller-owned arrays. Not thread-safe.
 */
public final class StoreReader implements AutoCloseable {
    static final int OPEN_SHARDS = 4;

    private final Path dir;
    private final StoreManifest manifest;
    private final boolean verifyChecksums;
    private final long[] firstRows;
    private final boolean[] verified;
    private final LinkedHashMap<Integer, ShardHandle> open = new LinkedHashMap<>(16, 0.75f, true);
    private boolean closed;

    private StoreReader(Path dir, StoreManifest manifest, boolean verifyChecksums) {
        this.dir = dir;
        this.manifest = manifest;
        this.verifyChecksums = verifyChecksums;
        List<StoreManifest.Shard> shards = manifest.shards();
        this.firstRows = new long[shards.size() + 1];
        for (int i = 0; i < shards.size(); i++) {
            firstRows[i + 1] = firstRows[i] + shards.get(i).rows();
        }
        this.verified = new boolean[shards.size()];
    }

    /**
     * Opens a store folder, reading and checking its manifest; shards are verified lazily.
     *
     * @param dir the store folder (holding {@code manifest.json})
     * @return an open reader that verifies each shard's SHA-256 on first access; close it when done
     * @throws NoSuchFileException if the folder or its manifest does not exist
     * @throws StoreFormatException if the manifest is malformed
     */
    public static StoreReader open(Path dir) throws IOException {
        return open(dir, true);
    }

    /**
     * Opens a store folder.
     *
     * @param verifyChecksums whether to hash each shard on first access (sizes and tensor shapes are checked
     *     either way); turn off only for stores you just verified, e.g. in benchmarks
     * @param dir the store folder (holding {@code manifest.json})
     * @return an open reader; close it when done
     * @throws IOException if the folder or manifest cannot be read or the manifest is malformed
     */
    public static StoreReader open(Path dir, boolean verifyChecksums) throws IOException {
        Objects.requireNonNull(dir, "dir");
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "activation store folder does not exist");
        }
        if (!Files.isRegularFile(dir.resolve(StoreManifest.FILE_NAME))) {
            throw new NoSuchFileException(dir.resolve(StoreManifest.FILE_NAME).toString(), null,
                    "not an activation store: no " + StoreManifest.FILE_NAME);
        }
        return new StoreReader(dir, StoreManifest.read(dir), verifyChecksums);
    }

    /**
     * The store folder.
     *
     * @return the folder this reader was opened on
     */
    public Path dir() {
        return dir;
    }

    /**
     * The manifest (do not modify).
     *
     * @return the parsed manifest, shared with the reader
     */
    public StoreManifest manifest() {
        return manifest;
    }

    /**
     * Rows in the store.
     *
     * @return the total row count
     */
    public long rows() {
        return manifest.totalRows();
    }

    /**
     * Hook names in store order.
     *
     * @return a new list of the hook names
     */
    public List<String> hooks() {
        return manifest.hooks().stream().map(StoreManifest.Hook::name).toList();
    }

    /**
     * Width of a hook's rows.
     *
     * @param hook a hook name
     * @return d of that hook
     * @throws IllegalArgumentException if the store does not hold that hook
     */
    public int dim(String hook) {
        return manifest.dim(hook);
    }

    /**
     * Label column names (empty when the store has no labels).
     *
     * @return the label names, unmodifiable
     */
    public List<String> labelNames() {
        return manifest.labelNames();
    }

    /**
     * A block with room for {@code capacity} rows of {@code hook}, with all label columns.
     *
     * @param hook a hook the store holds
     * @param capacity most rows the block holds
     * @return a new empty block of that hook's width
     */
    public RowBlock newBlock(String hook, int capacity) {
        return new RowBlock(capacity, dim(hook), labelNames().size());
    }

    /**
     * Reads {@code count} consecutive rows starting at global row {@code firstRow} into {@code into} (which gets
     * {@code rows() == count}); labels are filled when the block has the store's label columns.
     *
     * @param hook the hook to read
     * @param firstRow global index of the first row, in [0, rows())
     * @param count number of rows to read
     * @param into receives the rows (overwritten from its start)
     * @throws IllegalArgumentException for an unknown hook, a range outside [0, rows()), a block that is too small
     *     or of the wrong width, or a block with a label count other than 0 or the store's
     * @throws StoreFormatException if a shard touched is missing, truncated or corrupted (names the shard)
     */
    public void read(String hook, long firstRow, int count, RowBlock into) throws IOException {
        checkOpen();
        int d = dim(hook);
        if (into.dim() != d) {
            throw new IllegalArgumentException("block has width " + into.dim() + " but hook '" + hook + "' has d = "
                    + d);
        }
        if (count < 0 || count > into.capacity()) {
            throw new IllegalArgumentException("cannot read " + count + " rows into a block of capacity "
                    + into.capacity());
        }
        fill(hook, firstRow, count, into, 0);
        into.setRows(count);
    }

    /**
     * Reads rows into a new block; see {@link #read(String, long, int, RowBlock)}.
     *
     * @param hook the hook to read
     * @param firstRow global index of the first row
     * @param count number of rows to read
     * @return a new block holding those rows and their metadata and labels
     * @throws IOException if a shard touched cannot be read or fails its checks
     */
    public RowBlock read(String hook, long firstRow, int count) throws IOException {
        RowBlock block = newBlock(hook, Math.max(1, count));
        read(hook, firstRow, count, block);
        return block;
    }

    /**
     * Fills block slots [slot, slot + count) with rows [firstRow, firstRow + count), crossing shards as needed.
     * Does not change the block's row count.
     */
    void fill(String hook, long firstRow, int count, RowBlock into, int slot) throws IOException {
        int labels = into.labelCount();
        if (labels != 0 && labels != labelNames().size()) {
            throw new IllegalArgumentException("block has " + labels + " label columns but the store has "
                    + labelNames().size());
        }
        if (firstRow < 0 || count < 0 || firstRow + count > rows()) {
            throw new IllegalArgumentException("rows [" + firstRow + ", " + (firstRow + count)
                    + ") are outside the store's [0, " + rows() + ")");
        }
        int d = into.dim();
        long row = firstRow;
        int done = 0;
        while (done < count) {
            int s = shardOf(row);
            ShardHandle h = shard(s);
            int local = (int) (row - firstRows[s]);
            int n = (int) Math.min(count - done, h.rows - local);
            FloatBuffer acts = h.activations(hook);
            acts.get(local * d, into.activations(), (slot + done) * d, n * d);
            if (labels > 0) {
                System.arraycopy(h.labels, local * labels, into.labels(), (slot + done) * labels, n * labels);
            }
            System.arraycopy(h.promptIds, local, into.promptIds(), slot + done, n);
            System.arraycopy(h.positions, local, into.positions(), slot + done, n);
            System.arraycopy(h.tokenIds, local, into.tokenIds(), slot + done, n);
            long[] idx = into.rowIndices();
            for (int i = 0; i < n; i++) {
                idx[slot + done + i] = row + i;
            }
            done += n;
            row += n;
        }
    }

    /** Index of the shard holding global row {@code row}. */
    int shardOf(long row) {
        int i = Arrays.binarySearch(firstRows, row);
        // Shards are never empty, so boundaries are distinct: an exact hit is the shard starting there.
        return i >= 0 ? i : -i - 2;
    }

    /**
     * Checks every shard now: size, SHA-256, tensor names and shapes.
     *
     * @throws StoreFormatException naming the first bad shard
     */
    public void verifyAll() throws IOException {
        checkOpen();
        for (int i = 0; i < verified.length; i++) {
            if (!verified[i]) {
                verifyFile(i);
            }
        }
    }

    private ShardHandle shard(int index) throws IOException {
        ShardHandle h = open.get(index);
        if (h != null) {
            return h;
        }
        if (!verified[index] && verifyChecksums) {
            verifyFile(index);
        }
        h = ShardHandle.open(dir, manifest, index);
        open.put(index, h);
        if (open.size() > OPEN_SHARDS) {
            Iterator<Map.Entry<Integer, ShardHandle>> it = open.entrySet().iterator();
            ShardHandle eldest = it.next().getValue();
            it.remove();
            eldest.close();
        }
        return h;
    }

    private void verifyFile(int index) throws IOException {
        StoreManifest.Shard s = manifest.shards().get(index);
        Path file = dir.resolve(s.file());
        if (!Files.isRegularFile(file)) {
            throw new StoreFormatException(file, "shard file is missing (the manifest lists it with " + s.rows()
                    + " rows)");
        }
        long size = Files.size(file);
        if (size != s.bytes()) {
            throw new StoreFormatException(file, "shard is " + (size < s.bytes() ? "truncated" : "too long") + ": "
                    + size + " bytes, the manifest records " + s.bytes());
        }
        String sha = Checksums.sha256(file);
        if (!sha.equals(s.sha256())) {
            throw new StoreFormatException(file, "shard is corrupted: SHA-256 " + sha + " differs from the "
                    + "manifest's " + s.sha256());
        }
        // Shapes are checked too, so a shard that hashes right but was written by a buggy tool is still named.
        ShardHandle.open(dir, manifest, index).close();
        verified[index] = true;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("store reader for " + dir + " is closed");
        }
    }

    /** Closes the open shard files. Idempotent. */
    @Override
    public void close() throws IOException {
        closed = true;
        IOException first = null;
        for (ShardHandle h : open.values()) {
            try {
                h.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        open.clear();
        if (first != null) {
            throw first;
        }
    }

    @Override
    public String toString() {
        return "StoreReader[" + dir + ", " + manifest + "]";
    }

    /** One open shard: its metadata in heap arrays, activations memory-mapped per hook on first use. */
    private static final class ShardHandle implements AutoCloseable {
        final SafetensorsFile file;
        final int rows;
        final long[] promptIds;
        final int[] positions;
        final int[] tokenIds;
        final float[] labels;
        final Map<String, FloatBuffer> acts = new HashMap<>();

        private ShardHandle(SafetensorsFile file, int rows, long[] promptIds, int[] positions, int[] tokenIds,
                float[] labels) {
            this.file = file;
            this.rows = rows;
            this.promptIds = promptIds;
            this.positions = positions;
            this.tokenIds = tokenIds;
            this.labels = labels;
        }

        static ShardHandle open(Path dir, StoreManifest m, int index) throws IOException {
            StoreManifest.Shard s = m.shards().get(index);
            Path path = dir.resolve(s.file());
            SafetensorsFile f;
            try {
                f = SafetensorsFile.open(path);
            } catch (NoSuchFileException e) {
                throw new StoreFormatException(path, "shard file is missing", e);
            } catch (IOException e) {
                throw new StoreFormatException(path, "shard is unreadable: " + e.getMessage(), e);
            }
            try {
                int rows = s.rows();
                for (StoreManifest.Hook h : m.hooks()) {
                    expect(f, path, h.name(), DType.F32, rows, h.d());
                }
                expect(f, path, StoreManifest.PROMPT_ID, DType.I64, rows);
                expect(f, path, StoreManifest.POSITION, DType.I32, rows);
                expect(f, path, StoreManifest.TOKEN_ID, DType.I32, rows);
                int nl = m.labelNames().size();
                float[] labels = new float[0];
                if (nl > 0) {
                    expect(f, path, StoreManifest.LABELS, DType.F32, rows, nl);
                    labels = f.readFloats(StoreManifest.LABELS);
                }
                return new ShardHandle(f, rows, f.readLongs(StoreManifest.PROMPT_ID),
                        f.readInts(StoreManifest.POSITION), f.readInts(StoreManifest.TOKEN_ID), labels);
            } catch (IOException | RuntimeException e) {
                f.close();
                if (e instanceof StoreFormatException) {
                    throw e;
                }
                throw new StoreFormatException(path, "shard is unreadable: " + e.getMessage(), e);
            }
        }

        private static void expect(SafetensorsFile f, Path path, String name, DType dtype, long... shape)
                throws StoreFormatException {
            if (!f.contains(name)) {
                throw new StoreFormatException(path, "shard has no tensor '" + name + "'");
            }
            TensorInfo info = f.info(name);
            if (info.dtype() != dtype || !Arrays.equals(info.shape(), shape)) {
                throw new StoreFormatException(path, "tensor '" + name + "' is " + info.dtype()
                        + Arrays.toString(info.shape()) + ", expected " + dtype + Arrays.toString(shape));
            }
        }

        FloatBuffer activations(String hook) throws IOException {
            FloatBuffer b = acts.get(hook);
            if (b == null) {
                b = file.mapRaw(hook).asFloatBuffer();
                acts.put(hook, b);
            }
            return b;
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }
}
