package org.mechinterp.sae.io;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mechinterp.core.io.DType;

/**
 * The header of a NumPy {@code .npy} array: {@code \x93NUMPY}, a version byte pair, a little-endian header length
 * (2 bytes in version 1, 4 in versions 2 and 3), and a Python dict literal
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (6, 16), }} padded with spaces to a 64-byte boundary;
 * the raw data follows.
 *
 * <p>Only little-endian float dtypes are accepted ({@code <f2}, {@code <f4}, {@code <f8}): object arrays
 * ({@code |O}, pickled Python objects, which NumPy only loads with {@code allow_pickle=True}) are refused, never
 * interpreted, as are big-endian, integer and structured dtypes.
 *
 * @param descr the dtype string as written, e.g. {@code <f4}
 * @param fortranOrder whether the data is stored column-major
 * @param shape the array shape; empty for a scalar
 */
public record NpyHeader(String descr, boolean fortranOrder, long[] shape) {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("['\"]descr['\"]\\s*:\\s*(['\"]([^'\"]*)['\"]|\\[)");
    private static final Pattern FORTRAN = Pattern.compile("['\"]fortran_order['\"]\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("['\"]shape['\"]\\s*:\\s*\\(([^)]*)\\)");
    /** Headers are a few hundred bytes; a larger length means a corrupt or hostile file. */
    private static final int MAX_HEADER = 1 << 20;

    /**
     * Copies the shape, so that the header is immutable.
     *
     * @param descr the dtype string as written, e.g. {@code <f4}
     * @param fortranOrder whether the data is stored column-major
     * @param shape the array shape; copied
     */
    public NpyHeader {
        shape = shape.clone();
    }

    /**
     * The array shape (a copy); empty for a scalar.
     *
     * @return a new array of the dimensions
     */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * Number of elements (the product of the shape; 1 for a scalar).
     *
     * @return the element count
     */
    public long elements() {
        long n = 1;
        for (long s : shape) {
            n = Math.multiplyExact(n, s);
        }
        return n;
    }

    /**
     * Reads the preamble and header dict from {@code in}, leaving the stream at the first data byte.
     *
     * @param in the stream, positioned at the magic string; advanced past the header
     * @param source the file (and entry) name used in error messages
     * @return the parsed header
     * @throws IOException if the stream ends early, the magic string or version is wrong, or the dict is malformed
     *     (the message starts with {@code source})
     */
    public static NpyHeader read(InputStream in, String source) throws IOException {
        DataInputStream data = new DataInputStream(in);
        byte[] pre = new byte[8];
        try {
            data.readFully(pre);
            if (!Arrays.equals(Arrays.copyOf(pre, 6), MAGIC)) {
                throw new IOException(source + ": not a .npy array (the magic string \\x93NUMPY is missing)");
            }
            int major = pre[6] & 0xFF;
            long len;
            if (major == 1) {
                len = Short.toUnsignedInt(Short.reverseBytes(data.readShort()));
            } else if (major == 2 || major == 3) {
                len = Integer.toUnsignedLong(Integer.reverseBytes(data.readInt()));
            } else {
                throw new IOException(source + ": unsupported .npy format version " + major + "." + (pre[7] & 0xFF)
                        + " (supported: 1.0, 2.0, 3.0)");
            }
            if (len > MAX_HEADER) {
                throw new IOException(source + ": .npy header length " + len + " is implausible (corrupt file?)");
            }
            byte[] dict = new byte[(int) len];
            data.readFully(dict);
            String text = new String(dict, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            try {
                return parse(text);
            } catch (IllegalArgumentException e) {
                throw new IOException(source + ": " + e.getMessage(), e);
            }
        } catch (EOFException e) {
            throw new IOException(source + ": truncated .npy header", e);
        }
    }

    /**
     * Parses the header dict text.
     *
     * @param header the dict literal text
     * @return the header it describes
     * @throws IllegalArgumentException naming the missing or malformed entry
     */
    public static NpyHeader parse(String header) {
        Matcher d = DESCR.matcher(header);
        if (!d.find()) {
            throw new IllegalArgumentException("malformed .npy header: no 'descr' entry in " + header.strip());
        }
        // a list descr ([('a', '<f4'), ...]) is a structured dtype
        String descr = d.group(2) == null ? "structured" : d.group(2);
        String fortran = group(FORTRAN, header, "fortran_order");
        String shapeText = group(SHAPE, header, "shape");
        List<Long> dims = new ArrayList<>();
        for (String p : shapeText.split(",")) {
            if (!p.isBlank()) {
                try {
                    long v = Long.parseLong(p.strip().replace("L", ""));
                    if (v < 0) {
                        throw new NumberFormatException();
                    }
                    dims.add(v);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("malformed .npy shape (" + shapeText + ")");
                }
            }
        }
        return new NpyHeader(descr, fortran.equals("True"), dims.stream().mapToLong(Long::longValue).toArray());
    }

    /**
     * The element type of a float dtype string.
     *
     * @param descr a dtype string such as {@code <f4}
     * @return F16, F32 or F64 for {@code <f2}, {@code <f4}, {@code <f8}
     * @throws IllegalArgumentException for object arrays (pickled Python objects), big-endian, structured or
     *     non-float dtypes; the message names the dtype
     */
    public static DType floatType(String descr) {
        return switch (descr) {
            case "<f4" -> DType.F32;
            case "<f8" -> DType.F64;
            case "<f2" -> DType.F16;
            case "|O", "O", "<O", ">O" -> throw new IllegalArgumentException("dtype '" + descr + "' is an object array "
                    + "(pickled Python objects); refused, since loading it would run pickle. Save plain float arrays");
            case ">f4", ">f8", ">f2" -> throw new IllegalArgumentException("big-endian dtype '" + descr
                    + "' is not supported; save with arr.astype('<f4')");
            default -> throw new IllegalArgumentException("dtype '" + descr + "' is not supported (expected "
                    + "little-endian floats '<f2', '<f4' or '<f8')");
        };
    }

    private static String group(Pattern p, String header, String key) {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new IllegalArgumentException("malformed .npy header: no '" + key + "' entry in " + header.strip());
        }
        return m.group(1);
    }
}
