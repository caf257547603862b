package org.mechinterp.sae.store;

import java.io.IOException;

/**
 * A resumable stream of activation rows of width {@link #dim()}, as a trainer consumes them.
 *
 * <p>The stream is infinite for training purposes: when the underlying data is exhausted it starts another
 * epoch (with a new shuffle). {@link #position()} returns an opaque, JSON-serialisable token from which
 * {@link #seek(String)} continues <em>identically</em> (same rows, same order), so a killed training run resumes
 * bit for bit. Not thread-safe.
 */
public interface ActivationBatches extends AutoCloseable {
    /**
     * Width d of every row.
     *
     * @return d
     */
    int dim();

    /**
     * Fills {@code dst} (row-major [rows, d], d = {@link #dim()}) with the next {@code rows} rows.
     *
     * @param dst destination, row-major [rows, d]; its first rows·d values are overwritten
     * @param rows number of rows to read
     * @throws IllegalArgumentException if {@code dst} is shorter than rows·d
     * @throws IOException if the underlying data cannot be read
     */
    void next(float[] dst, int rows) throws IOException;

    /**
     * A token for the current position (includes epoch, offset and shuffle state).
     *
     * @return an opaque position token for {@link #seek(String)}
     */
    String position();

    /**
     * Continues from a token returned by {@link #position()} of a stream over the same data and settings.
     *
     * @param position a token from {@link #position()}
     * @throws IOException if the data cannot be read at that position
     */
    void seek(String position) throws IOException;

    @Override
    void close() throws IOException;
}
