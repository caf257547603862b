package org.mechinterp.nd4j;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * NumPy {@code .npy} files read and written by ND4J ({@code Nd4j.createFromNpyFile}, {@code Nd4j.writeAsNumpy}),
 * for the element types of {@link Nd4jTypes} and any shape, scalars and empty arrays included.
 *
 * <p>Before ND4J's native reader sees a file, its header is checked here (magic string, version, header length
 * and data length within the file, element type), so a file that is not a well-formed {@code .npy} fails with a
 * message naming it instead of reaching native code. Two gaps of ND4J 1.0.0-M2.1 are closed here: it reads
 * {@code fortran_order: True} files as if they were C-ordered (here they are reinterpreted column-major and returned
 * C-ordered), and it reads and writes arrays with a zero in the shape as shape {@code ()} (here their shape is
 * kept, and such files are written by this class: a header with no data). Arrays that are not C-ordered and
 * offset-free are copied to C order before ND4J writes them. Writes go to a temporary file in the same folder that is then renamed into place, so a reader never sees a
 * half-written file. Arrays passed in are not modified.
 */
public final class Nd4jNpy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Nd4jNpy() {}

    /**
     * Reads a {@code .npy} file into memory ND4J owns.
     *
     * @param file the file
     * @return the array, with the file's shape and element type
     * @throws NoSuchFileException if the file does not exist
     * @throws IllegalArgumentException if it is not a {@code .npy} file or ND4J cannot read it (the message names
     *     the file)
     * @throws IOException on other I/O errors
     */
    public static INDArray read(Path file) throws IOException {
        Header h = header(file);
        DataType type = h.type(file);
        if (Shape.lengthOf(h.shape) == 0 && h.shape.length > 0) {
            // ND4J reads an empty array as shape []: keep the file's shape
            return Nd4j.create(type, h.shape, Nd4j.getStrides(h.shape, 'c'), 'c');
        }
        INDArray x;
        try {
            x = Nd4j.createFromNpyFile(file.toFile());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": ND4J cannot read this .npy file: " + e.getMessage(), e);
        }
        if (x.dataType() != type || !Arrays.equals(x.shape(), h.shape)) {
            throw new IllegalArgumentException(file + ": ND4J read " + x.dataType() + " " + Arrays.toString(x.shape())
                    + ", the header says " + h.descr + " " + Arrays.toString(h.shape));
        }
        if (h.fortranOrder && h.shape.length > 1) {
            // ND4J ignores fortran_order and lays the data out in C order: reinterpret the same buffer column-major
            INDArray f = Nd4j.create(x.data(), h.shape, Nd4j.getStrides(h.shape, 'f'), 0, 'f', type);
            return f.dup('c');
        }
        return x;
    }

    /**
     * Reads a {@code .npy} file into a new {@code NDArray} (one copy after ND4J's read).
     *
     * @param file the file
     * @param manager the manager the result belongs to (CPU)
     * @return the array, with the file's shape and element type
     * @throws IllegalArgumentException if the file is not a {@code .npy} file, or its element type has no DJL
     *     counterpart (see {@link Nd4jTypes})
     * @throws IOException on I/O errors
     */
    public static NDArray read(Path file, NDManager manager) throws IOException {
        return Nd4jArrays.toNDArray(read(file), manager);
    }

    /**
     * Writes an array as a {@code .npy} file (C order, little-endian), atomically.
     *
     * @param array the array (not modified)
     * @param file the file to write; its folder must exist; an existing file is replaced
     * @throws IOException on I/O errors
     */
    public static void write(INDArray array, Path file) throws IOException {
        if (array.isEmpty()) {
            writeEmpty(array, file);
            return;
        }
        // ND4J writes the buffer as it lies: give it a C-ordered, offset-free array
        INDArray c = Nd4jArrays.sharesMemory(array) ? array : array.dup('c');
        atomically(file, out -> Nd4j.writeAsNumpy(c, out));
    }

    private interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes to a temporary file beside {@code file}, then renames it into place. */
    private static void atomically(Path file, Body body) throws IOException {
        Path abs = file.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                body.writeTo(out);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Writes a DJL array as a {@code .npy} file through ND4J, atomically, without an intermediate copy where the
     * array is contiguous (see {@link Nd4jArrays#toINDArrayView}).
     *
     * @param array the array (not modified), of a type {@link Nd4jTypes} maps
     * @param file the file to write; its folder must exist; an existing file is replaced
     * @throws IOException on I/O errors
     */
    public static void write(NDArray array, Path file) throws IOException {
        write(Nd4jArrays.toINDArrayView(array), file);
    }

    /** What a .npy header says: element type ({@code descr}), order and shape. */
    record Header(String descr, boolean fortranOrder, long[] shape) {
        /** The ND4J type of {@code descr}. */
        DataType type(Path file) {
            switch (descr.replaceFirst("^[<|=]", "")) {
                case "f4": return DataType.FLOAT;
                case "f8": return DataType.DOUBLE;
                case "f2": return DataType.HALF;
                case "i4": return DataType.INT;
                case "i8": return DataType.LONG;
                case "i1": return DataType.BYTE;
                case "u1": return DataType.UBYTE;
                case "b1": return DataType.BOOL;
                default: throw new IllegalArgumentException(file + ": .npy element type '" + descr
                        + "' is not one of <f4 <f8 <f2 <i4 <i8 |i1 |u1 |b1 (little-endian)");
            }
        }
    }

    /** Reads and checks the header: magic string, version, length within the file, data length. */
    static Header header(Path file) throws IOException {
        long size = Files.size(file); // NoSuchFileException names the file
        byte[] head = new byte[12];
        int got;
        try (InputStream in = Files.newInputStream(file)) {
            got = in.readNBytes(head, 0, head.length);
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (got < MAGIC.length || head[i] != MAGIC[i]) {
                throw new IllegalArgumentException(file + ": not a .npy file (no \\x93NUMPY magic string)");
            }
        }
        int major = got > 6 ? head[6] & 0xff : -1;
        long headerLength;
        long headerStart;
        if (major == 1 && got >= 10) {
            headerLength = (head[8] & 0xff) | (head[9] & 0xff) << 8;
            headerStart = 10;
        } else if ((major == 2 || major == 3) && got >= 12) {
            headerLength = (head[8] & 0xffL) | (head[9] & 0xffL) << 8 | (head[10] & 0xffL) << 16
                    | (head[11] & 0xffL) << 24;
            headerStart = 12;
        } else {
            throw new IllegalArgumentException(file + ": unsupported .npy version " + major + " or truncated header");
        }
        if (headerStart + headerLength > size) {
            throw new IllegalArgumentException(file + ": .npy header of " + headerLength + " bytes runs past the end"
                    + " of the " + size + "-byte file");
        }
        byte[] dict = new byte[(int) headerLength];
        try (InputStream in = Files.newInputStream(file)) {
            in.skipNBytes(headerStart);
            in.readNBytes(dict, 0, dict.length);
        }
        Header h = parse(new String(dict, StandardCharsets.ISO_8859_1), file);
        long payload = Math.multiplyExact((long) h.type(file).width(), Shape.lengthOf(h.shape));
        if (headerStart + headerLength + payload > size) {
            throw new IllegalArgumentException(file + ": truncated .npy file: the header announces " + payload
                    + " bytes of data, the file holds " + (size - headerStart - headerLength));
        }
        return h;
    }

    private static Header parse(String dict, Path file) {
        Matcher d = DESCR.matcher(dict);
        Matcher f = FORTRAN.matcher(dict);
        Matcher s = SHAPE.matcher(dict);
        if (!d.find() || !f.find() || !s.find()) {
            throw new IllegalArgumentException(file + ": .npy header without 'descr', 'fortran_order' and 'shape': "
                    + dict.trim());
        }
        long[] shape = Arrays.stream(s.group(1).split(",")).filter(x -> !x.isBlank())
                .mapToLong(x -> Long.parseLong(x.trim())).toArray();
        return new Header(d.group(1), "True".equals(f.group(1)), shape);
    }

    /** A .npy file holding no elements: header only (ND4J would drop the shape). */
    private static void writeEmpty(INDArray array, Path file) throws IOException {
        String descr;
        switch (array.dataType()) {
            case FLOAT: descr = "<f4"; break;
            case DOUBLE: descr = "<f8"; break;
            case HALF: descr = "<f2"; break;
            case INT: descr = "<i4"; break;
            case LONG: descr = "<i8"; break;
            case BYTE: descr = "|i1"; break;
            case UBYTE: descr = "|u1"; break;
            case BOOL: descr = "|b1"; break;
            default: throw new IllegalArgumentException("no .npy type for ND4J type " + array.dataType());
        }
        long[] shape = array.shape();
        String dims = Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", "));
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims
                + (shape.length == 1 ? ",)" : ")") + ", }";
        int total = 10 + dict.length() + 1; // magic, version, length, dictionary, newline; padded to 64 bytes
        String header = dict + " ".repeat((64 - total % 64) % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1));
        atomically(file, out -> out.write(b.array()));
    }
}
