package org.mechinterp.sae.model;

import java.util.Objects;

/**
 * Sparse latent codes of a batch of rows in compressed-row form: the active latents of row b are
 * {@code index[rowStart[b] .. rowStart[b+1])} with values {@code value[...]} in the same positions.
 *
 * <p>Entries with value 0 may be present (a TopK pick whose pre-activation was not positive); they contribute
 * nothing and are not counted by {@link #activeCount(int)}. The arrays are held, not copied: treat them as
 * read-only.
 */
public final class SparseCodes {
    private final int rows;
    private final int width;
    private final int[] rowStart;
    private final int[] index;
    private final float[] value;

    /**
     * @param rows number of rows B
     * @param width number of latents n (every index is in [0, n))
     * @param rowStart [B+1], non-decreasing, rowStart[0] = 0, rowStart[B] = number of entries
     * @param index latent index of each entry
     * @param value code value of each entry
     * @throws IllegalArgumentException if the arrays are inconsistent
     */
    public SparseCodes(int rows, int width, int[] rowStart, int[] index, float[] value) {
        this.rows = rows;
        this.width = width;
        this.rowStart = Objects.requireNonNull(rowStart, "rowStart");
        this.index = Objects.requireNonNull(index, "index");
        this.value = Objects.requireNonNull(value, "value");
        if (rowStart.length != rows + 1 || rowStart[0] != 0 || rowStart[rows] > index.length
                || index.length != value.length) {
            throw new IllegalArgumentException("inconsistent sparse codes: rows=" + rows + ", rowStart.length="
                    + rowStart.length + ", index.length=" + index.length + ", value.length=" + value.length);
        }
    }

    /**
     * Number of rows B (tokens).
     *
     * @return B
     */
    public int rows() {
        return rows;
    }

    /**
     * Number of latents n.
     *
     * @return n, the exclusive upper bound of every latent index
     */
    public int width() {
        return width;
    }

    /**
     * Row offsets into {@link #index()} and {@link #value()}: row b's entries are [rowStart[b], rowStart[b+1]).
     *
     * @return the held array [B+1] (not a copy; do not modify)
     */
    public int[] rowStart() {
        return rowStart;
    }

    /**
     * Latent index of each entry, grouped by row.
     *
     * @return the held array [entries] (not a copy; do not modify)
     */
    public int[] index() {
        return index;
    }

    /**
     * Code value f_i of each entry, aligned with {@link #index()}.
     *
     * @return the held array [entries] (not a copy; do not modify)
     */
    public float[] value() {
        return value;
    }

    /**
     * Number of stored entries (including zero-valued ones).
     *
     * @return rowStart[B], the length of the used prefix of {@link #index()} and {@link #value()}
     */
    public int entries() {
        return rowStart[rows];
    }

    /**
     * Number of entries of row b with a non-zero value (the row's L0).
     *
     * @param b row number in [0, B)
     * @return the count of non-zero values among row b's entries
     */
    public int activeCount(int b) {
        int c = 0;
        for (int e = rowStart[b]; e < rowStart[b + 1]; e++) {
            if (value[e] != 0f) {
                c++;
            }
        }
        return c;
    }

    /**
     * The dense codes [B, n] (row-major); for tests and small batches.
     *
     * @return a new array [B, n] with each entry's value added at (row, index), zeros elsewhere
     */
    public float[] toDense() {
        float[] out = new float[Math.multiplyExact(rows, width)];
        for (int b = 0; b < rows; b++) {
            for (int e = rowStart[b]; e < rowStart[b + 1]; e++) {
                out[b * width + index[e]] += value[e];
            }
        }
        return out;
    }
}
