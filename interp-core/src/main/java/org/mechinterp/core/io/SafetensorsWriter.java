package org.mechinterp.core.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Collects tensors in memory and writes them as one safetensors file, atomically.
 *
 * <p>Tensors are laid out contiguously in insertion order; the JSON header lists {@code __metadata__} first
 * (when any was given) and then the tensors in insertion order, and is padded with spaces to a multiple of
 * 8 bytes as the reference implementation does, so the data section starts 8-byte aligned.
 *
 * <p>Each {@code add*} call copies the data immediately (encoded little-endian), so the caller may reuse its
 * arrays. {@link #write} may be called several times, e.g. to write the same content to two places. Not
 * thread-safe.
 *
 * <pre>{@code
 * new SafetensorsWriter()
 *     .metadata("format", "pt")
 *     .addF32("W_enc", weights, dIn, dSae)
 *     .write(dir.resolve("sae.safetensors"));
 * }</pre>
 */
public final class SafetensorsWriter {

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    private static final class Entry {
        final DType dtype;
        final long[] shape;
        final byte[] bytes;

        Entry(DType dtype, long[] shape, byte[] bytes) {
            this.dtype = dtype;
            this.shape = shape;
            this.bytes = bytes;
        }
    }

    /**
     * Adds (or replaces) a {@code __metadata__} entry.
     *
     * @param key metadata key
     * @param value metadata value
     * @return this writer
     */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return this;
    }

    /**
     * Adds an F32 tensor.
     *
     * @param name unique tensor name
     * @param data row-major values; {@code data.length} must equal the product of {@code shape} (copied)
     * @param shape dimensions, outermost first; none for a scalar
     * @return this writer
     * @throws IllegalArgumentException if the name is empty, reserved or already used, a dimension is negative,
     *     or {@code data.length} differs from the element count
     */
    public SafetensorsWriter addF32(String name, float[] data, long... shape) {
        checkCount(name, data.length, shape);
        ByteBuffer buf = allocate(data.length, DType.F32);
        buf.asFloatBuffer().put(data);
        return put(name, DType.F32, shape, buf);
    }

    /**
     * Adds an I64 tensor.
     *
     * @param name unique tensor name
     * @param data row-major values; {@code data.length} must equal the product of {@code shape} (copied)
     * @param shape dimensions, outermost first; none for a scalar
     * @return this writer
     * @throws IllegalArgumentException as for {@link #addF32}
     */
    public SafetensorsWriter addI64(String name, long[] data, long... shape) {
        checkCount(name, data.length, shape);
        ByteBuffer buf = allocate(data.length, DType.I64);
        buf.asLongBuffer().put(data);
        return put(name, DType.I64, shape, buf);
    }

    /**
     * Adds an I32 tensor.
     *
     * @param name unique tensor name
     * @param data row-major values; {@code data.length} must equal the product of {@code shape} (copied)
     * @param shape dimensions, outermost first; none for a scalar
     * @return this writer
     * @throws IllegalArgumentException as for {@link #addF32}
     */
    public SafetensorsWriter addI32(String name, int[] data, long... shape) {
        checkCount(name, data.length, shape);
        ByteBuffer buf = allocate(data.length, DType.I32);
        buf.asIntBuffer().put(data);
        return put(name, DType.I32, shape, buf);
    }

    private void checkCount(String name, int length, long[] shape) {
        Objects.requireNonNull(shape, "shape");
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("tensor name must be non-empty");
        }
        if ("__metadata__".equals(name)) {
            throw new IllegalArgumentException("'__metadata__' is reserved and cannot be a tensor name");
        }
        if (entries.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' was already added");
        }
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in shape "
                        + Arrays.toString(shape));
            }
        }
        long numel;
        try {
            numel = TensorInfo.numel(shape);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape)
                    + " overflows a long");
        }
        if (numel != length) {
            throw new IllegalArgumentException("tensor '" + name + "': data has " + length
                    + " elements but shape " + Arrays.toString(shape) + " needs " + numel);
        }
    }

    private static ByteBuffer allocate(int count, DType dtype) {
        long bytes = (long) count * dtype.byteSize();
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor of " + bytes + " bytes exceeds the 2 GiB per-tensor limit");
        }
        return ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private SafetensorsWriter put(String name, DType dtype, long[] shape, ByteBuffer buf) {
        entries.put(name, new Entry(dtype, shape.clone(), buf.array()));
        return this;
    }

    /** Builds the header JSON bytes, padded with spaces to a multiple of 8. */
    byte[] headerBytes() {
        JsonObject header = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            Entry entry = e.getValue();
            JsonObject t = new JsonObject();
            t.addProperty("dtype", entry.dtype.name());
            JsonArray shape = new JsonArray();
            for (long d : entry.shape) {
                shape.add(d);
            }
            t.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offset += entry.bytes.length;
            offsets.add(offset);
            t.add("data_offsets", offsets);
            header.add(e.getKey(), t);
        }
        byte[] json = GSON.toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /**
     * Writes the file atomically: the content goes to a temporary file in the target's folder, is forced to
     * disk, and is then renamed over {@code target} with {@link StandardCopyOption#ATOMIC_MOVE}. Readers
     * therefore see either the old file or the complete new one. On any failure the temporary file is
     * deleted and an existing {@code target} is left untouched.
     *
     * @param target the file to create or replace; its folder must exist
     * @throws java.nio.file.AtomicMoveNotSupportedException if the file system cannot rename atomically
     * @throws IOException on I/O errors
     */
    public void write(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        byte[] header = headerBytes();
        Path tmp = createSiblingTempFile(dir, absolute.getFileName().toString());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                prefix.putLong(0, header.length);
                writeFully(ch, prefix);
                writeFully(ch, ByteBuffer.wrap(header));
                for (Entry e : entries.values()) {
                    writeFully(ch, ByteBuffer.wrap(e.bytes));
                }
                ch.force(true);
            }
            Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof IOException io) {
                throw AtomicFile.naming(absolute, io);   // a full disk says where
            }
            throw e;
        }
        syncDirectory(dir);
    }

    /**
     * Creates an empty, uniquely named hidden file beside the target. Not {@link Files#createTempFile}: that
     * uses mode 0600, which the rename would carry over to the target; {@link Files#createFile} applies the
     * usual umask-derived permissions.
     */
    private static Path createSiblingTempFile(Path dir, String targetName) throws IOException {
        for (int attempt = 0;; attempt++) {
            String suffix = Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
            try {
                return Files.createFile(dir.resolve("." + targetName + "." + suffix + ".tmp"));
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** Makes the rename itself durable where the platform allows opening a folder; best effort. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Not supported on every OS/file system (e.g. Windows); the data itself is already on disk.
        }
    }
}
