package org.mechinterp.sae.store;

/**
 * A block of store rows of one hook with their metadata, filled by {@link StoreReader#read} or
 * {@link StoreBatches#next(RowBlock, int)}. Allocate once with a capacity and reuse it: the arrays are sized for
 * the capacity and only the first {@link #rows()} entries (rows·d activations, rows·nLabels labels) are valid.
 *
 * <p>Layouts: activations row-major [rows, d]; labels row-major [rows, nLabels] (NaN where a corpus gave
 * {@code null}); per-row {@code rowIndex} (global row index in the store), {@code promptId}, {@code position}
 * (0 = first token of its prompt) and {@code tokenId} (−1 when unknown). The arrays are exposed directly, without
 * copies; the caller owns the block. Not thread-safe.
 */
public final class RowBlock {
    private final int capacity;
    private final int dim;
    private final int nLabels;
    private final float[] activations;
    private final float[] labels;
    private final long[] rowIndex;
    private final long[] promptId;
    private final int[] position;
    private final int[] tokenId;
    private int rows;

    /**
     * @param capacity most rows the block holds (≥ 1)
     * @param dim row width d (≥ 1)
     * @param nLabels label columns (≥ 0)
     * @throws IllegalArgumentException for non-positive sizes or a block of 2^31 or more floats
     */
    public RowBlock(int capacity, int dim, int nLabels) {
        if (capacity < 1 || dim < 1 || nLabels < 0) {
            throw new IllegalArgumentException("RowBlock needs capacity ≥ 1, dim ≥ 1, nLabels ≥ 0; got capacity "
                    + capacity + ", dim " + dim + ", nLabels " + nLabels);
        }
        if ((long) capacity * dim > Integer.MAX_VALUE - 8 || (long) capacity * nLabels > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("RowBlock of " + capacity + " rows × " + dim
                    + " floats exceeds a Java array");
        }
        this.capacity = capacity;
        this.dim = dim;
        this.nLabels = nLabels;
        this.activations = new float[capacity * dim];
        this.labels = new float[capacity * nLabels];
        this.rowIndex = new long[capacity];
        this.promptId = new long[capacity];
        this.position = new int[capacity];
        this.tokenId = new int[capacity];
    }

    /**
     * Most rows this block holds.
     *
     * @return the capacity in rows
     */
    public int capacity() {
        return capacity;
    }

    /**
     * Row width d.
     *
     * @return d
     */
    public int dim() {
        return dim;
    }

    /**
     * Number of label columns.
     *
     * @return the label column count (0 when the block carries no labels)
     */
    public int labelCount() {
        return nLabels;
    }

    /**
     * Valid rows.
     *
     * @return the number of valid rows, ≤ {@link #capacity()}
     */
    public int rows() {
        return rows;
    }

    /**
     * Activations [rows, d], row-major (backing array of length capacity·d).
     *
     * @return the backing array itself (not a copy); only the first rows·d values are valid
     */
    public float[] activations() {
        return activations;
    }

    /**
     * Labels [rows, nLabels], row-major (backing array of length capacity·nLabels).
     *
     * @return the backing array itself (not a copy); only the first rows·nLabels values are valid
     */
    public float[] labels() {
        return labels;
    }

    /**
     * Global row index in the store of each row.
     *
     * @return the backing array [capacity] of global row indices (not a copy)
     */
    public long[] rowIndices() {
        return rowIndex;
    }

    /**
     * Prompt id of each row (the prompt's index in the corpus; the row index for imported matrices).
     *
     * @return the backing array [capacity] of prompt ids (not a copy)
     */
    public long[] promptIds() {
        return promptId;
    }

    /**
     * Position of each row's token in its prompt (0 = first).
     *
     * @return the backing array [capacity] of token positions (not a copy)
     */
    public int[] positions() {
        return position;
    }

    /**
     * Token id of each row, −1 when unknown.
     *
     * @return the backing array [capacity] of token ids (not a copy)
     */
    public int[] tokenIds() {
        return tokenId;
    }

    /**
     * Copies row {@code i} of the activations into a new array of length d.
     *
     * @param i row index in [0, rows())
     * @return a new array [d]
     */
    public float[] row(int i) {
        checkRow(i);
        float[] out = new float[dim];
        System.arraycopy(activations, i * dim, out, 0, dim);
        return out;
    }

    /**
     * Label {@code column} of row {@code i}.
     *
     * @param i row index in [0, rows())
     * @param column label column in [0, labelCount())
     * @return the label value (NaN where the corpus gave {@code null})
     */
    public float label(int i, int column) {
        checkRow(i);
        if (column < 0 || column >= nLabels) {
            throw new IndexOutOfBoundsException("label column " + column + " of " + nLabels);
        }
        return labels[i * nLabels + column];
    }

    private void checkRow(int i) {
        if (i < 0 || i >= rows) {
            throw new IndexOutOfBoundsException("row " + i + " of " + rows);
        }
    }

    void setRows(int rows) {
        this.rows = rows;
    }
}
