package org.mechinterp.nd4j;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import org.mechinterp.sae.store.ActivationImport;
import org.mechinterp.sae.store.RowBlock;
import org.mechinterp.sae.store.StoreReader;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Activation stores ({@code interp-sae}) to and from ND4J: an [N, d] {@code INDArray} or a {@code .npy} file read by
 * ND4J becomes a new store (through {@link ActivationImport}, so the store is the same as {@code interp store
 * import} makes), and a hook's rows come out as an [N, d] F32 {@code INDArray} or {@code .npy} file.
 *
 * <p>Values are converted to F32 on import (the store's type: F16, BF16 and integers up to 2^24 exactly, F64 and
 * larger integers rounded to nearest). Exports hold the rows in memory ({@code count·d·4} bytes). Inputs are not
 * modified.
 */
public final class Nd4jStores {
    /** Rows read from the store per block while exporting. */
    private static final int BLOCK_ROWS = 4096;

    private Nd4jStores() {}

    /**
     * An import of {@code matrix}'s rows: set the output folder (and optionally hook name, shard rows, progress) on
     * the returned builder, then {@code build().run()}. The matrix is copied to F32 now; later changes to it are
     * not seen.
     *
     * @param matrix an [N, d] numeric array, N, d ≥ 1, N·d below 2^31 (any order or strides)
     * @return a builder with the matrix set
     * @throws IllegalArgumentException for an array that is not 2-D, is empty, or is too large for one import
     */
    public static ActivationImport.Builder importFrom(INDArray matrix) {
        if (matrix.rank() != 2 || matrix.isEmpty()) {
            throw new IllegalArgumentException("an activation matrix is [N, d] with N, d ≥ 1, got shape "
                    + java.util.Arrays.toString(matrix.shape()));
        }
        long n = matrix.length();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a matrix of " + n + " values is too large for one in-memory import; "
                    + "write it as .npy and import the file with ActivationImport (it streams)");
        }
        INDArray f32 = matrix.castTo(DataType.FLOAT);
        INDArray c = Nd4jArrays.sharesMemory(f32) ? f32 : f32.dup('c');
        float[] values = new float[(int) n];
        Nd4jArrays.bytesOf(c).asFloatBuffer().get(values);
        return ActivationImport.builder().setMatrix(values, (int) matrix.size(0), (int) matrix.size(1));
    }

    /**
     * An import of a {@code .npy} file read through ND4J ({@link Nd4jNpy#read(Path)}): any element type and order
     * it reads, unlike the streaming reader of {@link ActivationImport} (F16/F32/F64 in C order); the matrix is
     * held in memory.
     *
     * @param npy an [N, d] {@code .npy} file
     * @return a builder with the matrix set
     * @throws IllegalArgumentException for a file that is not a 2-D {@code .npy} (the message names it)
     * @throws IOException on I/O errors
     */
    public static ActivationImport.Builder importFrom(Path npy) throws IOException {
        INDArray m = Nd4jNpy.read(npy);
        if (m.rank() != 2) {
            throw new IllegalArgumentException(npy + ": an activation matrix is [N, d], the file holds shape "
                    + java.util.Arrays.toString(m.shape()));
        }
        return importFrom(m);
    }

    /**
     * Rows {@code [firstRow, firstRow + count)} of one hook.
     *
     * @param store an open store
     * @param hook a hook the store holds
     * @param firstRow the first row, in [0, rows())
     * @param count the number of rows, ≥ 0, within the store
     * @return a new [count, d] F32 array in C order
     * @throws IllegalArgumentException for an unknown hook or a range outside the store
     * @throws IOException if a shard cannot be read (the message names it)
     */
    public static INDArray readRows(StoreReader store, String hook, long firstRow, int count) throws IOException {
        int d = store.dim(hook);
        if (count < 0 || firstRow < 0 || firstRow + count > store.rows()) {
            throw new IllegalArgumentException("rows [" + firstRow + ", " + (firstRow + count) + ") are outside the "
                    + store.rows() + " rows of " + store.dir());
        }
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, new long[] {count, d}, 'c');
        if (count == 0) {
            return out;
        }
        FloatBuffer dst = Nd4jArrays.bytesOf(out).asFloatBuffer();
        RowBlock block = store.newBlock(hook, Math.min(count, BLOCK_ROWS));
        for (long row = firstRow; row < firstRow + count; row += block.rows()) {
            store.read(hook, row, (int) Math.min(block.capacity(), firstRow + count - row), block);
            dst.put(block.activations(), 0, block.rows() * d);
        }
        return out;
    }

    /**
     * Writes every row of one hook as an [N, d] F32 {@code .npy} file (atomically, through ND4J).
     *
     * @param store an open store
     * @param hook a hook the store holds
     * @param npy the file to write; its folder must exist
     * @throws IllegalArgumentException for an unknown hook or a store of 2^31 rows or more
     * @throws IOException on I/O errors
     */
    public static void exportNpy(StoreReader store, String hook, Path npy) throws IOException {
        if (store.rows() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(store.dir() + " has " + store.rows() + " rows: export ranges with "
                    + "readRows instead");
        }
        Nd4jNpy.write(readRows(store, hook, 0, (int) store.rows()), npy);
    }
}
