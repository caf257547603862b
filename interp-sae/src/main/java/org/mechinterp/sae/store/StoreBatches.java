package org.mechinterp.sae.store;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The training stream over one hook of an activation store: an {@link ActivationBatches} with a seeded,
 * exactly resumable shuffle and optional row filters.
 *
 * <p><b>Shuffle.</b> The store's N rows are cut, in store order, into ⌈N / bufferRows⌉ chunks of
 * {@code bufferRows} consecutive rows. Epoch e visits the chunks in a random order drawn from (seed, e), and
 * serves the rows of each chunk in a uniformly random permutation drawn from (seed, e, chunk). Every row that
 * passes the filters is therefore served exactly once per epoch, and the state is just (epoch, chunk, offset), so
 * {@link #position()}/{@link #seek(String)} cost one chunk read. Quality trade-off: rows are fully mixed within a
 * chunk, but two rows from different chunks never share a window, so nearby batches come from ~bufferRows
 * consecutive captured rows (about bufferRows / tokens-per-prompt prompts). Choose bufferRows ≫ batch size
 * (e.g. 2^17–2^19 rows; memory is bufferRows·d·4 bytes). Without {@code optShuffle} rows come in store order.
 *
 * <p><b>Filters.</b> {@code optDropBos(true)} drops rows at position 0 (the BOS token of a Llama prompt, usually
 * an attention sink). {@code optMaxNormMultiple(m)} drops rows whose L2 norm exceeds m × the median norm; the
 * median is estimated once, at build time, from {@code normSampleRows} rows drawn with replacement by a
 * generator seeded from the seed (all rows when the store is smaller), excluding position-0 rows when BOS rows
 * are dropped.
 *
 * <p><b>Paired hooks (transcoders).</b> With {@code optTargetHook(name)} every served row is the concatenation
 * [x | y] of the same token's activations at the hook and at the target hook (width d_in + d_out); filters and the
 * norm threshold look at x only.
 *
 * <p><b>Ownership.</b> Built from a store folder, the stream owns its own {@link StoreReader} and closes it in
 * {@link #close()}. Rows are copied into the caller's arrays; inputs are not modified. Not thread-safe.
 *
 * <pre>{@code
 * try (StoreBatches batches = StoreBatches.builder().setStore(dir).setHook("blocks.2.hook_resid_post")
 *         .optShuffle(42, 1 << 18).optDropBos(true).optMaxNormMultiple(10).build()) {
 *     float[] x = new float[4096 * batches.dim()];
 *     batches.next(x, 4096);
 * }
 * }</pre>
 */
public final class StoreBatches implements ActivationBatches {
    /** Chunk size when rows are served in store order (only bounds memory; order is unaffected). */
    static final int SEQUENTIAL_CHUNK_ROWS = 1 << 16;
    /** Default number of rows sampled for the median norm. */
    public static final int DEFAULT_NORM_SAMPLE_ROWS = 4096;

    private final StoreReader reader;
    private final String hook;
    private final String targetHook;
    private final int dHook;
    private final int dTarget;
    private final RowBlock targetChunk;
    private final int d;
    private final long n;
    private final boolean shuffle;
    private final long seed;
    private final int chunkRows;
    private final int nChunks;
    private final boolean dropBos;
    private final double medianNorm;
    private final double threshold;
    private final String fingerprint;
    private final RowBlock chunk;
    private final int[] order;

    private long epoch;
    private int chunkPos;
    private int offset;
    private int kept;
    private int[] chunkOrder;
    private long chunkOrderEpoch = -1;
    private long loadedEpoch = -1;
    private int loadedPos = -1;

    private StoreBatches(Builder b, StoreReader reader) throws IOException {
        this.reader = reader;
        this.hook = b.hook;
        this.targetHook = b.targetHook;
        this.dHook = reader.dim(hook);
        this.dTarget = targetHook == null ? 0 : reader.dim(targetHook);
        this.d = dHook + dTarget;
        this.n = reader.rows();
        if (n == 0) {
            throw new IllegalArgumentException("store " + reader.dir() + " has no rows");
        }
        StoreManifest.Source src = reader.manifest().source();
        if (b.dropBos && src != null && "import".equals(src.kind())) {
            throw new IllegalArgumentException("store " + reader.dir() + " was imported from a matrix: its rows have "
                    + "no token positions, so optDropBos(true) does not apply");
        }
        this.shuffle = b.shuffle;
        this.seed = b.seed;
        this.chunkRows = (int) Math.min(n, shuffle ? b.bufferRows : SEQUENTIAL_CHUNK_ROWS);
        this.nChunks = (int) ((n + chunkRows - 1) / chunkRows);
        this.dropBos = b.dropBos;
        this.chunk = new RowBlock(chunkRows, dHook, b.labels ? reader.labelNames().size() : 0);
        this.targetChunk = targetHook == null ? null : new RowBlock(chunkRows, dTarget, 0);
        this.order = new int[chunkRows];
        if (b.maxNormMultiple > 0) {
            this.medianNorm = estimateMedianNorm(b.normSampleRows);
            this.threshold = b.maxNormMultiple * medianNorm;
        } else {
            this.medianNorm = Double.NaN;
            this.threshold = Double.POSITIVE_INFINITY;
        }
        StringBuilder sig = new StringBuilder();
        sig.append(hook).append(targetHook == null ? "" : "->" + targetHook).append('|').append(n).append('|').append(shuffle).append('|').append(seed).append('|')
                .append(chunkRows).append('|').append(dropBos).append('|').append(b.maxNormMultiple).append('|')
                .append(b.normSampleRows);
        reader.manifest().shards().forEach(s -> sig.append('|').append(s.sha256()));
        this.fingerprint = Checksums.sha256(sig.toString()).substring(0, 16);
    }

    /**
     * A new builder.
     *
     * @return a builder with no store or hook set and every option at its default
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Configures a {@link StoreBatches}: {@code set*} are required, {@code opt*} optional. */
    public static final class Builder {
        private Path store;
        private String hook;
        private String targetHook;
        private boolean shuffle;
        private long seed;
        private int bufferRows;
        private boolean dropBos;
        private double maxNormMultiple = -1;
        private int normSampleRows = DEFAULT_NORM_SAMPLE_ROWS;
        private boolean labels = true;
        private boolean verifyChecksums = true;

        private Builder() {
        }

        /**
         * Serves rows [x | y]: the hook's activation followed by this hook's activation of the same token (a
         * transcoder's input and target). Must differ from the hook.
         *
         * @param name the target hook's name, or null for plain rows of the hook
         * @return this builder
         */
        public Builder optTargetHook(String name) {
            this.targetHook = name;
            return this;
        }

        /**
         * The store folder (required).
         *
         * @param dir the store folder (holding {@code manifest.json})
         * @return this builder
         */
        public Builder setStore(Path dir) {
            this.store = dir;
            return this;
        }

        /**
         * The hook whose rows to stream (required).
         *
         * @param hook a hook name the store holds
         * @return this builder
         */
        public Builder setHook(String hook) {
            this.hook = hook;
            return this;
        }

        /**
         * Shuffles with a generator seeded by {@code seed}, in chunks of {@code bufferRows} rows (see the class
         * comment for the quality trade-off). Default: no shuffle.
         *
         * @param seed seed of the shuffle, so that a run is reproducible and resumable
         * @param bufferRows rows per shuffled chunk, ≥ 1
         * @return this builder
         */
        public Builder optShuffle(long seed, int bufferRows) {
            this.shuffle = true;
            this.seed = seed;
            this.bufferRows = bufferRows;
            return this;
        }

        /**
         * Drops rows at position 0 (default false).
         *
         * @param drop true to skip rows at token position 0 (usually BOS)
         * @return this builder
         */
        public Builder optDropBos(boolean drop) {
            this.dropBos = drop;
            return this;
        }

        /**
         * Drops rows whose L2 norm exceeds {@code multiple} × the median norm (default: no norm filter).
         *
         * @param multiple the cut as a multiple of the median norm, finite and &gt; 0
         * @return this builder
         * @throws IllegalArgumentException if {@code multiple} is not finite and &gt; 0
         */
        public Builder optMaxNormMultiple(double multiple) {
            if (!(multiple > 0) || Double.isInfinite(multiple)) {
                throw new IllegalArgumentException("max norm multiple must be a positive finite number, got "
                        + multiple);
            }
            this.maxNormMultiple = multiple;
            return this;
        }

        /**
         * Rows sampled to estimate the median norm (default {@value StoreBatches#DEFAULT_NORM_SAMPLE_ROWS}).
         *
         * @param rows rows sampled for the median, ≥ 1
         * @return this builder
         */
        public Builder optNormSampleRows(int rows) {
            this.normSampleRows = rows;
            return this;
        }

        /**
         * Whether {@link StoreBatches#next(RowBlock, int)} carries label columns (default true).
         *
         * @param labels false to serve rows without label columns
         * @return this builder
         */
        public Builder optLabels(boolean labels) {
            this.labels = labels;
            return this;
        }

        /**
         * Whether shards are hashed on first access (default true).
         *
         * @param verify false to skip the SHA-256 check of each shard
         * @return this builder
         */
        public Builder optVerifyChecksums(boolean verify) {
            this.verifyChecksums = verify;
            return this;
        }

        /**
         * Opens the store and prepares the stream (estimating the median norm when a norm filter is set).
         *
         * @return the open stream at epoch 0; close it to close its reader
         * @throws IllegalArgumentException for a missing store or hook, an unknown hook, bufferRows &lt; 1,
         *     normSampleRows &lt; 1, or a store without rows
         * @throws IOException if the store cannot be read ({@link StoreFormatException} names a bad shard)
         */
        public StoreBatches build() throws IOException {
            if (store == null) {
                throw new IllegalArgumentException("setStore(dir) is required");
            }
            if (hook == null) {
                throw new IllegalArgumentException("setHook(name) is required");
            }
            if (shuffle && bufferRows < 1) {
                throw new IllegalArgumentException("shuffle buffer must hold at least 1 row, got " + bufferRows);
            }
            if (normSampleRows < 1) {
                throw new IllegalArgumentException("normSampleRows must be ≥ 1, got " + normSampleRows);
            }
            if (hook.equals(targetHook)) {
                throw new IllegalArgumentException("the target hook must differ from the hook, both are " + hook);
            }
            StoreReader reader = StoreReader.open(store, verifyChecksums);
            try {
                reader.dim(hook);
                if (targetHook != null) {
                    reader.dim(targetHook);
                }
                return new StoreBatches(this, reader);
            } catch (IOException | RuntimeException e) {
                reader.close();
                throw e;
            }
        }
    }

    @Override
    public int dim() {
        return d;
    }

    /**
     * Rows in the store (before filtering).
     *
     * @return the total row count of the store
     */
    public long storeRows() {
        return n;
    }

    /**
     * The hook streamed.
     *
     * @return the hook name
     */
    public String hook() {
        return hook;
    }

    /**
     * The target hook of paired rows, or null.
     *
     * @return the target hook name, or null for unpaired rows
     */
    public String targetHook() {
        return targetHook;
    }

    /**
     * Label column names carried by {@link #next(RowBlock, int)} (empty with {@code optLabels(false)}).
     *
     * @return the label names, possibly empty
     */
    public java.util.List<String> labelNames() {
        return chunk.labelCount() == 0 ? java.util.List.of() : reader.labelNames();
    }

    /**
     * The estimated median row norm, NaN without a norm filter.
     *
     * @return the median L2 norm of the sampled rows, or NaN
     */
    public double medianNorm() {
        return medianNorm;
    }

    /**
     * Rows with a larger L2 norm are dropped; +∞ without a norm filter.
     *
     * @return the norm cut, or positive infinity
     */
    public double normThreshold() {
        return threshold;
    }

    /**
     * The current epoch (0-based).
     *
     * @return the number of completed passes over the store
     */
    public long epoch() {
        return epoch;
    }

    /**
     * A block sized for this stream's rows (width d, this stream's label columns).
     *
     * @param capacity most rows the block holds
     * @return a new empty block of width d (d_in + d_out for paired rows) with this stream's label columns
     */
    public RowBlock newBlock(int capacity) {
        return new RowBlock(capacity, d, chunk.labelCount());
    }

    @Override
    public void next(float[] dst, int rows) throws IOException {
        Objects.requireNonNull(dst, "dst");
        if (rows < 0) {
            throw new IllegalArgumentException("rows must be ≥ 0, got " + rows);
        }
        if ((long) dst.length < (long) rows * d) {
            throw new IllegalArgumentException("dst holds " + dst.length + " floats but " + rows + " rows of d = " + d
                    + " need " + ((long) rows * d));
        }
        int done = 0;
        while (done < rows) {
            int take = available(rows - done);
            float[] src = chunk.activations();
            for (int i = 0; i < take; i++) {
                System.arraycopy(src, order[offset + i] * dHook, dst, (done + i) * d, dHook);
                if (targetChunk != null) {
                    System.arraycopy(targetChunk.activations(), order[offset + i] * dTarget, dst,
                            (done + i) * d + dHook, dTarget);
                }
            }
            offset += take;
            done += take;
        }
    }

    /**
     * Like {@link #next(float[], int)}, also carrying each row's metadata (row index, prompt id, position, token
     * id) and labels. {@code block} must come from {@link #newBlock(int)} (or match its width and labels).
     *
     * @param block receives the rows, their metadata and labels (overwritten)
     * @param rows number of rows to serve, ≤ the block's capacity
     * @throws IOException if a shard cannot be read or fails its checksum
     */
    public void next(RowBlock block, int rows) throws IOException {
        if (block.dim() != d || block.labelCount() != chunk.labelCount()) {
            throw new IllegalArgumentException("block has d = " + block.dim() + " and " + block.labelCount()
                    + " label columns; this stream needs d = " + d + " and " + chunk.labelCount());
        }
        if (rows < 0 || rows > block.capacity()) {
            throw new IllegalArgumentException("cannot fill " + rows + " rows into a block of capacity "
                    + block.capacity());
        }
        int nl = chunk.labelCount();
        int done = 0;
        while (done < rows) {
            int take = available(rows - done);
            for (int i = 0; i < take; i++) {
                int src = order[offset + i];
                int dst = done + i;
                System.arraycopy(chunk.activations(), src * dHook, block.activations(), dst * d, dHook);
                if (targetChunk != null) {
                    System.arraycopy(targetChunk.activations(), src * dTarget, block.activations(), dst * d + dHook,
                            dTarget);
                }
                if (nl > 0) {
                    System.arraycopy(chunk.labels(), src * nl, block.labels(), dst * nl, nl);
                }
                block.rowIndices()[dst] = chunk.rowIndices()[src];
                block.promptIds()[dst] = chunk.promptIds()[src];
                block.positions()[dst] = chunk.positions()[src];
                block.tokenIds()[dst] = chunk.tokenIds()[src];
            }
            offset += take;
            done += take;
        }
        block.setRows(rows);
    }

    /** Makes at least one row available in the current chunk (advancing chunks and epochs), up to {@code want}. */
    private int available(int want) throws IOException {
        int emptyChunks = 0;
        while (true) {
            ensureChunk();
            if (offset < kept) {
                return Math.min(want, kept - offset);
            }
            if (kept == 0 && ++emptyChunks > nChunks) {
                throw new IllegalStateException("no row of hook '" + hook + "' in " + reader.dir()
                        + " passes the filters (drop BOS " + dropBos + ", norm threshold " + threshold + ")");
            }
            offset = 0;
            if (++chunkPos == nChunks) {
                chunkPos = 0;
                epoch++;
            }
        }
    }

    private void ensureChunk() throws IOException {
        if (loadedEpoch == epoch && loadedPos == chunkPos) {
            return;
        }
        int c = chunkOrderOf(epoch)[chunkPos];
        long start = (long) c * chunkRows;
        int count = (int) Math.min(chunkRows, n - start);
        reader.fill(hook, start, count, chunk, 0);
        chunk.setRows(count);
        if (targetChunk != null) {
            reader.fill(targetHook, start, count, targetChunk, 0);
            targetChunk.setRows(count);
        }
        int[] pos = chunk.positions();
        float[] acts = chunk.activations();
        boolean normFilter = threshold < Double.POSITIVE_INFINITY;
        int k = 0;
        for (int i = 0; i < count; i++) {
            if (dropBos && pos[i] == 0) {
                continue;
            }
            if (normFilter && norm(acts, i * dHook, dHook) > threshold) {
                continue;
            }
            order[k++] = i;
        }
        if (shuffle) {
            SplittableRandom rng = rng(seed, epoch, c);
            for (int i = k - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        kept = k;
        loadedEpoch = epoch;
        loadedPos = chunkPos;
    }

    private int[] chunkOrderOf(long e) {
        if (chunkOrderEpoch != e) {
            int[] o = new int[nChunks];
            for (int i = 0; i < nChunks; i++) {
                o[i] = i;
            }
            if (shuffle) {
                SplittableRandom rng = rng(seed, e, -1);
                for (int i = nChunks - 1; i > 0; i--) {
                    int j = rng.nextInt(i + 1);
                    int t = o[i];
                    o[i] = o[j];
                    o[j] = t;
                }
            }
            chunkOrder = o;
            chunkOrderEpoch = e;
        }
        return chunkOrder;
    }

    private double estimateMedianNorm(int sampleRows) throws IOException {
        RowBlock one = new RowBlock(1, dHook, 0);
        double[] norms;
        int m = 0;
        if (n <= sampleRows) {
            norms = new double[(int) n];
            RowBlock block = new RowBlock((int) Math.min(n, SEQUENTIAL_CHUNK_ROWS), dHook, 0);
            for (long r = 0; r < n; r += block.capacity()) {
                int cnt = (int) Math.min(block.capacity(), n - r);
                reader.fill(hook, r, cnt, block, 0);
                for (int i = 0; i < cnt; i++) {
                    if (!(dropBos && block.positions()[i] == 0)) {
                        norms[m++] = norm(block.activations(), i * dHook, dHook);
                    }
                }
            }
        } else {
            SplittableRandom rng = rng(seed, -1, -2);
            long[] rows = new long[sampleRows];
            for (int i = 0; i < sampleRows; i++) {
                rows[i] = rng.nextLong(n);
            }
            Arrays.sort(rows); // sorted reads touch each shard once
            norms = new double[sampleRows];
            for (long r : rows) {
                reader.fill(hook, r, 1, one, 0);
                if (!(dropBos && one.positions()[0] == 0)) {
                    norms[m++] = norm(one.activations(), 0, dHook);
                }
            }
        }
        if (m == 0) {
            throw new IllegalStateException("cannot estimate the median norm of hook '" + hook + "': every sampled "
                    + "row is at position 0 and BOS rows are dropped");
        }
        double[] s = Arrays.copyOf(norms, m);
        Arrays.sort(s);
        return m % 2 == 1 ? s[m / 2] : 0.5 * (s[m / 2 - 1] + s[m / 2]);
    }

    private static double norm(float[] a, int from, int len) {
        double sum = 0;
        for (int i = from; i < from + len; i++) {
            sum += (double) a[i] * a[i];
        }
        return Math.sqrt(sum);
    }

    /** An independent generator per (seed, epoch, chunk): what makes any position reproducible on its own. */
    static SplittableRandom rng(long seed, long epoch, long chunk) {
        long h = mix64(seed + 0x9E3779B97F4A7C15L);
        h = mix64(h ^ (epoch * 0xBF58476D1CE4E5B9L + 0x632BE59BD9B4E019L));
        h = mix64(h ^ (chunk * 0x94D049BB133111EBL + 0x2545F4914F6CDD1DL));
        return new SplittableRandom(h);
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** {@code {"epoch":e,"chunk":k,"offset":o,"settings":"<fingerprint of data and settings>"}}. */
    @Override
    public String position() {
        JsonObject o = new JsonObject();
        o.addProperty("epoch", epoch);
        o.addProperty("chunk", chunkPos);
        o.addProperty("offset", offset);
        o.addProperty("settings", fingerprint);
        return o.toString();
    }

    /**
     * @throws IllegalArgumentException if the token is malformed, out of range, or was taken from a stream over
     *     other data or with other settings (hook, seed, buffer, filters)
     */
    @Override
    public void seek(String position) throws IOException {
        Objects.requireNonNull(position, "position");
        long e;
        int k;
        int o;
        String settings;
        try {
            JsonElement el = JsonParser.parseString(position);
            JsonObject obj = el.getAsJsonObject();
            e = obj.get("epoch").getAsLong();
            k = obj.get("chunk").getAsInt();
            o = obj.get("offset").getAsInt();
            settings = obj.get("settings").getAsString();
        } catch (JsonParseException | IllegalStateException | NullPointerException | UnsupportedOperationException
                | NumberFormatException ex) {
            throw new IllegalArgumentException("malformed position token '" + position + "'", ex);
        }
        if (!fingerprint.equals(settings)) {
            throw new IllegalArgumentException("position token was taken from a stream over other data or with other "
                    + "settings (token " + settings + ", this stream " + fingerprint + ")");
        }
        if (e < 0 || k < 0 || k >= nChunks || o < 0) {
            throw new IllegalArgumentException("position token out of range: epoch " + e + ", chunk " + k + " of "
                    + nChunks + ", offset " + o);
        }
        epoch = e;
        chunkPos = k;
        ensureChunk();
        if (o > kept) {
            throw new IllegalArgumentException("position token offset " + o + " exceeds the " + kept
                    + " rows of chunk " + k);
        }
        offset = o;
    }

    /** Closes the reader this stream owns. */
    @Override
    public void close() throws IOException {
        reader.close();
    }
}
