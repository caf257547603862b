package org.mechinterp.sae.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.mechinterp.core.io.SafetensorsWriter;

/**
 * The rows of one store shard being filled: per hook an F32 block [rows, d], and per row its prompt id, position,
 * token id and labels [rows, nLabels] (layout in {@link StoreManifest}). Callers {@link #reserve} rows, fill them
 * through the accessors (arrays are row-major and may be longer than the rows reserved), count whole prompts with
 * {@link #promptDone}, then {@link #write} the shard file and {@link #clear}.
 *
 * <p>The single-machine {@link StoreWriter} and distributed writers (one shard per task) both write shards through
 * this class, so the same rows give byte-identical shard files. Not thread-safe.
 */
public final class ShardBuffer {
    private final List<StoreManifest.Hook> hooks;
    private final int[] dims;
    private final int nLabels;
    private float[][] acts;
    private long[] promptIds;
    private int[] positions;
    private int[] tokenIds;
    private float[] labels;
    private int rows;
    private long prompts;

    /**
     * An empty buffer for the hooks and label columns of {@code settings} (not modified).
     *
     * @param initialCapacity rows allocated up front (capped at about 64 MiB of activations; grows on demand)
     * @param settings the capture's manifest, giving hooks, widths and label names
     */
    public ShardBuffer(StoreManifest settings, int initialCapacity) {
        this.hooks = List.copyOf(settings.hooks);
        this.dims = new int[hooks.size()];
        long widths = 0;
        for (int h = 0; h < dims.length; h++) {
            dims[h] = hooks.get(h).d;
            widths += dims[h];
        }
        this.nLabels = settings.labelNames.size();
        int cap = (int) Math.max(16, Math.min(initialCapacity, (1L << 24) / Math.max(1, widths)));
        acts = new float[dims.length][];
        for (int h = 0; h < dims.length; h++) {
            acts[h] = new float[cap * dims[h]];
        }
        promptIds = new long[cap];
        positions = new int[cap];
        tokenIds = new int[cap];
        labels = new float[cap * nLabels];
    }

    /**
     * Rows reserved so far.
     *
     * @return the number of reserved rows
     */
    public int rows() {
        return rows;
    }

    /**
     * Label columns per row.
     *
     * @return the number of label columns
     */
    public int labelCount() {
        return nLabels;
    }

    /**
     * Whole prompts counted so far.
     *
     * @return the number of whole prompts added
     */
    public long prompts() {
        return prompts;
    }

    /**
     * Makes room for {@code k} more rows and returns the index of the first; fill them before writing.
     *
     * @param k number of rows to add, ≥ 0
     * @return index of the first reserved row
     */
    public int reserve(int k) {
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

    /**
     * Activations of hook {@code hook} (store order), [capacity, d] row-major; filled in place.
     *
     * @param hook hook index in store order
     * @return the backing array of that hook (not a copy)
     */
    public float[] acts(int hook) {
        return acts[hook];
    }

    /**
     * Prompt id per row; filled in place.
     *
     * @return the backing array of prompt ids (not a copy)
     */
    public long[] promptIds() {
        return promptIds;
    }

    /**
     * Position of each row's token in its prompt; filled in place.
     *
     * @return the backing array of token positions (not a copy)
     */
    public int[] positions() {
        return positions;
    }

    /**
     * Token id per row (−1 when unknown); filled in place.
     *
     * @return the backing array of token ids (not a copy)
     */
    public int[] tokenIds() {
        return tokenIds;
    }

    /**
     * Labels [capacity, nLabels] row-major; filled in place.
     *
     * @return the backing array of labels (not a copy)
     */
    public float[] labels() {
        return labels;
    }

    /** Counts a prompt as complete. */
    public void promptDone() {
        prompts++;
    }

    /**
     * Writes the reserved rows as one shard file (atomically: temporary file beside it, then rename) and describes
     * it; the buffer is left as is.
     *
     * @param file the shard file; its name is recorded in the returned entry
     * @return the entry for the manifest, with {@code firstRow} 0 (the manifest's writer sets it)
     * @throws IllegalStateException if no rows are reserved
     * @throws IOException if writing or renaming the file fails
     */
    public StoreManifest.Shard write(Path file) throws IOException {
        if (rows == 0) {
            throw new IllegalStateException("a shard needs at least one row");
        }
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", StoreManifest.FORMAT);
        for (int h = 0; h < dims.length; h++) {
            w.addF32(hooks.get(h).name, exact(acts[h], rows * dims[h]), rows, dims[h]);
        }
        w.addI64(StoreManifest.PROMPT_ID, promptIds.length == rows ? promptIds : Arrays.copyOf(promptIds, rows), rows);
        w.addI32(StoreManifest.POSITION, positions.length == rows ? positions : Arrays.copyOf(positions, rows), rows);
        w.addI32(StoreManifest.TOKEN_ID, tokenIds.length == rows ? tokenIds : Arrays.copyOf(tokenIds, rows), rows);
        if (nLabels > 0) {
            w.addF32(StoreManifest.LABELS, exact(labels, rows * nLabels), rows, nLabels);
        }
        w.write(file);
        StoreManifest.Shard s = new StoreManifest.Shard();
        s.file = file.getFileName().toString();
        s.rows = rows;
        s.bytes = Files.size(file);
        // Hashing the file as written (not the bytes in memory) also catches a short write.
        s.sha256 = Checksums.sha256(file);
        s.firstPromptId = promptIds[0];
        s.prompts = prompts;
        return s;
    }

    /** Empties the buffer (keeps its capacity). */
    public void clear() {
        rows = 0;
        prompts = 0;
    }

    private static float[] exact(float[] a, int len) {
        return a.length == len ? a : Arrays.copyOf(a, len);
    }

}
