package org.mechinterp.sae.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.mechinterp.core.io.DType;

/**
 * Reads a NumPy {@code .npz} archive (a zip of {@code NAME.npy} entries, stored or deflated, as written by
 * {@code np.savez} and {@code np.savez_compressed}) into float32 arrays.
 *
 * <p>Every entry must be a little-endian float array ({@code <f2}, {@code <f4}, {@code <f8}; F16 is widened
 * exactly, F64 rounded to nearest float). Fortran-ordered arrays are transposed into row-major (C) order. Object
 * arrays (pickled Python objects) are refused without being interpreted, as are non-finite values, truncated data,
 * trailing bytes and non-{@code .npy} entries; each message names the file and the entry. Nothing is kept open.
 */
public final class NpzArchive {
    /** Largest array a Java float[] holds. */
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /**
     * One array, row-major.
     *
     * @param name the entry name without {@code .npy}
     * @param shape the shape (empty for a scalar)
     * @param values the elements in row-major order, float32
     */
    public record FloatArray(String name, long[] shape, float[] values) {
        /**
         * The shape as text, e.g. {@code [6, 16]}.
         *
         * @return the dimensions as {@code [a, b, ...]}
         */
        public String shapeText() {
            return Arrays.toString(shape);
        }
    }

    private NpzArchive() {}

    /**
     * Reads every array of {@code file}, in archive order.
     *
     * @param file the {@code .npz} file
     * @return a new map from entry name (without {@code .npy}) to array, in archive order
     * @throws NoSuchFileException if the file does not exist
     * @throws IOException if the file is not a readable zip (for example truncated), or any entry is not a finite
     *     little-endian float {@code .npy} array; the message names the file and entry
     */
    public static Map<String, FloatArray> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new IOException(file + ": not a readable .npz (zip) archive (" + e.getMessage()
                    + "); is the download truncated?", e);
        }
        Map<String, FloatArray> out = new LinkedHashMap<>();
        try (zip) {
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                String entry = e.getName();
                String where = file + " entry '" + entry + "'";
                if (e.isDirectory() || !entry.endsWith(".npy")) {
                    throw new IOException(where + " is not a .npy array; an .npz holds only NAME.npy entries");
                }
                String name = entry.substring(0, entry.length() - 4);
                try (InputStream in = new BufferedInputStream(zip.getInputStream(e), 1 << 16)) {
                    out.put(name, readArray(in, name, where));
                } catch (ZipException z) {
                    throw new IOException(where + ": corrupt compressed data (" + z.getMessage() + ")", z);
                }
            }
        }
        return out;
    }

    /** Reads one .npy from {@code in} (header, data, nothing after it). */
    static FloatArray readArray(InputStream in, String name, String where) throws IOException {
        NpyHeader h = NpyHeader.read(in, where);
        DType type;
        try {
            type = NpyHeader.floatType(h.descr());
        } catch (IllegalArgumentException e) {
            throw new IOException(where + ": " + e.getMessage(), e);
        }
        long count = h.elements();
        if (count > MAX_ELEMENTS) {
            throw new IOException(where + ": shape " + Arrays.toString(h.shape()) + " has " + count
                    + " elements, more than a Java array holds");
        }
        float[] values = readValues(in, type, (int) count, where);
        if (in.read() != -1) {
            throw new IOException(where + ": has bytes after the " + Arrays.toString(h.shape()) + " " + h.descr()
                    + " data");
        }
        if (h.fortranOrder()) {
            values = toRowMajor(values, h.shape());
        }
        int bad = firstNonFinite(values);
        if (bad >= 0) {
            throw new IOException(where + ": element " + index(bad, h.shape()) + " is " + values[bad]
                    + "; the weights must be finite");
        }
        return new FloatArray(name, h.shape(), values);
    }

    private static float[] readValues(InputStream in, DType type, int count, String where) throws IOException {
        float[] out = new float[count];
        int width = type.byteSize();
        byte[] chunk = new byte[Math.max(width, (1 << 16) / width * width)];
        ByteBuffer b = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
        int done = 0;
        while (done < count) {
            int n = Math.min(count - done, chunk.length / width);
            int bytes = n * width;
            int got = in.readNBytes(chunk, 0, bytes);
            if (got < bytes) {
                throw new IOException(where + ": truncated data: " + count + " " + type + " values need "
                        + (long) count * width + " bytes, only " + ((long) done * width + got) + " are there");
            }
            for (int i = 0; i < n; i++) {
                out[done + i] = switch (type) {
                    case F32 -> b.getFloat(i * 4);
                    case F16 -> DType.halfToFloat(b.getShort(i * 2));
                    default -> (float) b.getDouble(i * 8);
                };
            }
            done += n;
        }
        return out;
    }

    /** Column-major (Fortran) values of an array of {@code shape} in row-major order. */
    static float[] toRowMajor(float[] fortran, long[] shape) {
        int rank = shape.length;
        if (rank < 2) {
            return fortran;
        }
        float[] out = new float[fortran.length];
        int[] idx = new int[rank];
        long[] fStride = new long[rank];
        long s = 1;
        for (int j = 0; j < rank; j++) {
            fStride[j] = s;
            s *= shape[j];
        }
        // walk the row-major order (last index fastest), tracking the column-major offset of the same element
        long f = 0;
        for (int c = 0; c < out.length; c++) {
            out[c] = fortran[(int) f];
            for (int j = rank - 1; j >= 0; j--) {
                if (++idx[j] < shape[j]) {
                    f += fStride[j];
                    break;
                }
                f -= fStride[j] * (shape[j] - 1);
                idx[j] = 0;
            }
        }
        return out;
    }

    private static int firstNonFinite(float[] v) {
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                return i;
            }
        }
        return -1;
    }

    /** The multi-index of row-major offset {@code flat}, as {@code [i, j]}. */
    static String index(long flat, long[] shape) {
        long[] idx = new long[shape.length];
        for (int j = shape.length - 1; j >= 0; j--) {
            idx[j] = flat % shape[j];
            flat /= shape[j];
        }
        return Arrays.toString(idx);
    }
}
