package org.mechinterp.sae.store;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.mechinterp.core.io.DType;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.core.io.TensorInfo;
import org.mechinterp.sae.io.NpyHeader;

/**
 * A row-major [N, d] float matrix inside a file ({@code .npy} or one tensor of a {@code .safetensors}), read in
 * blocks of rows with positional reads, converted to float (F16 and BF16 exactly, F64 rounded to nearest).
 * Owns a file handle: close it.
 */
final class MatrixFile implements AutoCloseable {
    private static final byte[] NPY_MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    final Path path;
    final String tensor;
    final long rows;
    final int dim;
    final DType dtype;
    private final FileChannel ch;
    private final long dataStart;
    private ByteBuffer scratch = ByteBuffer.allocate(0);

    private MatrixFile(Path path, String tensor, FileChannel ch, long dataStart, long rows, int dim, DType dtype) {
        this.path = path;
        this.tensor = tensor;
        this.ch = ch;
        this.dataStart = dataStart;
        this.rows = rows;
        this.dim = dim;
        this.dtype = dtype;
    }

    /**
     * Opens a {@code .npy} or {@code .safetensors} matrix.
     *
     * @param tensor for safetensors, the tensor to read, or null for the file's only 2-D tensor; must be null for
     *     .npy
     * @throws IllegalArgumentException for another extension, a malformed or unsupported file (the message says
     *     what: magic, version, dtype, byte order, Fortran order, rank, truncation), or a tensor problem
     */
    static MatrixFile open(Path path, String tensor) throws IOException {
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".npy")) {
            if (tensor != null) {
                throw new IllegalArgumentException("--tensor applies to .safetensors files only, not " + path);
            }
            return openNpy(path);
        }
        if (name.endsWith(".safetensors")) {
            return openSafetensors(path, tensor);
        }
        throw new IllegalArgumentException(path + ": unknown matrix format; give a .npy or .safetensors file "
                + "holding an [N, d] float matrix");
    }

    private static MatrixFile openNpy(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = ch.size();
            ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, pre, 0, path, "header");
            byte[] magic = Arrays.copyOf(pre.array(), 6);
            if (!Arrays.equals(magic, NPY_MAGIC)) {
                throw bad(path, "not a .npy file (the magic string \\x93NUMPY is missing)");
            }
            int major = pre.get(6) & 0xFF;
            long headerLen;
            long headerStart;
            if (major == 1) {
                headerLen = pre.getShort(8) & 0xFFFF;
                headerStart = 10;
            } else if (major == 2 || major == 3) {
                headerLen = pre.getInt(8) & 0xFFFFFFFFL;
                headerStart = 12;
            } else {
                throw bad(path, "unsupported .npy format version " + major + "." + (pre.get(7) & 0xFF)
                        + " (supported: 1.0, 2.0, 3.0)");
            }
            if (headerStart + headerLen > size || headerLen > 1 << 24) {
                throw bad(path, "header length " + headerLen + " runs past the end of the " + size + "-byte file");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, headerStart, path, "header");
            String header = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            NpyHeader h;
            DType dtype;
            try {
                h = NpyHeader.parse(header);
                dtype = NpyHeader.floatType(h.descr());
            } catch (IllegalArgumentException e) {
                throw bad(path, e.getMessage());
            }
            if (h.fortranOrder()) {
                throw bad(path, "fortran_order is True; save a C-ordered array (np.ascontiguousarray)");
            }
            long[] shape = h.shape();
            if (shape.length != 2) {
                throw bad(path, "shape " + Arrays.toString(shape) + " is not 2-D [N, d]");
            }
            long dataStart = headerStart + headerLen;
            return checked(path, null, ch, dataStart, shape[0], shape[1], dtype, size - dataStart);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static MatrixFile openSafetensors(Path path, String tensor) throws IOException {
        TensorInfo info;
        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            if (tensor != null) {
                if (!f.contains(tensor)) {
                    throw bad(path, "no tensor '" + tensor + "'; the file holds " + f.names());
                }
                info = f.info(tensor);
            } else {
                List<TensorInfo> twoD = new ArrayList<>();
                for (String n : f.names()) {
                    if (f.info(n).rank() == 2) {
                        twoD.add(f.info(n));
                    }
                }
                if (twoD.size() != 1) {
                    throw bad(path, "holds " + twoD.size() + " 2-D tensors " + twoD.stream().map(TensorInfo::name)
                            .toList() + "; name the one to import with --tensor NAME");
                }
                info = twoD.get(0);
            }
        }
        if (info.rank() != 2) {
            throw bad(path, "tensor '" + info.name() + "' has shape " + Arrays.toString(info.shape())
                    + ", not 2-D [N, d]");
        }
        DType dt = info.dtype();
        if (dt != DType.F32 && dt != DType.F64 && dt != DType.F16 && dt != DType.BF16) {
            throw bad(path, "tensor '" + info.name() + "' has dtype " + dt + "; a float type is required");
        }
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, len, 0, path, "header");
            long dataStart = 8 + len.getLong(0) + info.dataBegin();
            return checked(path, info.name(), ch, dataStart, info.shape()[0], info.shape()[1], dt,
                    ch.size() - dataStart);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static MatrixFile checked(Path path, String tensor, FileChannel ch, long dataStart, long n, long d,
            DType dtype, long available) {
        if (n < 1 || d < 1 || d > Integer.MAX_VALUE / 8) {
            throw bad(path, "shape [" + n + ", " + d + "] needs N ≥ 1 and 1 ≤ d < 2^28");
        }
        long need;
        try {
            need = Math.multiplyExact(Math.multiplyExact(n, d), dtype.byteSize());
        } catch (ArithmeticException e) {
            throw bad(path, "shape [" + n + ", " + d + "] is too large");
        }
        if (available < need) {
            throw bad(path, "truncated: shape [" + n + ", " + d + "] of " + dtype + " needs " + need
                    + " data bytes but the file has " + available);
        }
        if (tensor == null && available > need) {
            throw bad(path, "has " + (available - need) + " bytes after the [" + n + ", " + d + "] data");
        }
        return new MatrixFile(path, tensor, ch, dataStart, n, (int) d, dtype);
    }

    /** Reads rows [first, first + count) into {@code dst} from offset 0, as floats. */
    void read(long first, int count, float[] dst, int dstOffset) throws IOException {
        int bs = dtype.byteSize();
        int bytes = Math.multiplyExact(Math.multiplyExact(count, dim), bs);
        if (scratch.capacity() < bytes) {
            scratch = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }
        ByteBuffer buf = scratch;
        buf.clear().limit(bytes);
        readFully(ch, buf, dataStart + first * dim * bs, path, "data");
        int n = count * dim;
        switch (dtype) {
            case F32 -> buf.asFloatBuffer().get(dst, dstOffset, n);
            case F64 -> {
                var db = buf.asDoubleBuffer();
                for (int i = 0; i < n; i++) {
                    dst[dstOffset + i] = (float) db.get(i);
                }
            }
            case F16 -> {
                var sb = buf.asShortBuffer();
                for (int i = 0; i < n; i++) {
                    dst[dstOffset + i] = DType.halfToFloat(sb.get(i));
                }
            }
            case BF16 -> {
                var sb = buf.asShortBuffer();
                for (int i = 0; i < n; i++) {
                    dst[dstOffset + i] = DType.bfloat16ToFloat(sb.get(i));
                }
            }
            default -> throw new AssertionError(dtype);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path path, String what)
            throws IOException {
        long p = pos;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, p);
            if (r < 0) {
                throw new EOFException(path + ": file ends inside the " + what + " (truncated)");
            }
            p += r;
        }
        buf.flip();
    }

    private static IllegalArgumentException bad(Path path, String message) {
        return new IllegalArgumentException(path + ": " + message);
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
