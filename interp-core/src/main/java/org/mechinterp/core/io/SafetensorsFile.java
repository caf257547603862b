package org.mechinterp.core.io;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.MalformedJsonException;

import java.io.EOFException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A read-only, memory-mapped view of one {@code .safetensors} file.
 *
 * <p>Layout: an unsigned 64-bit little-endian header length {@code N}, then {@code N} bytes of UTF-8 JSON
 * mapping tensor names to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (plus an optional
 * {@code "__metadata__"} object of strings), then the data section. Offsets are relative to the data section.
 *
 * <p>{@link #open} reads and fully validates the header (sizes, offsets, overlaps, truncation) but no tensor
 * data. Each read maps just that tensor's byte range, so files larger than 2 GiB work as long as every
 * individual tensor is smaller than 2 GiB. Returned arrays are fresh copies owned by the caller.
 *
 * <p>The caller owns the instance and must {@link #close()} it; closing releases the file handle (buffers
 * already returned by {@link #mapRaw} stay valid until garbage-collected). Reads are safe from several
 * threads at once.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Largest header accepted, as in the reference implementation (100 MB); larger is a lying header. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /** Largest byte range one read may map (a Java buffer or array is indexed by {@code int}). */
    static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE;

    private static final String METADATA_KEY = "__metadata__";
    private static final int CONVERT_CHUNK = 8192;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Set<String> names;
    private final Map<String, String> metadata;
    private volatile boolean closed;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.names = Collections.unmodifiableSet(new LinkedHashSet<>(tensors.keySet()));
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /**
     * Opens and validates a safetensors file. The returned instance must be closed by the caller.
     *
     * @param path the file
     * @return the opened file
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     * @throws SafetensorsFormatException if the header is malformed, lies about its length, describes
     *     inconsistent tensors (bad dtype, negative dimension, size mismatch, overlap) or the file is truncated
     * @throws IOException on other I/O errors
     */
    public static SafetensorsFile open(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return parse(path, channel);
        } catch (IOException | RuntimeException | Error e) {
            try {
                channel.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static SafetensorsFile parse(Path path, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw SafetensorsFormatException.of(path, null, "file is only " + fileSize
                    + " bytes, shorter than the 8-byte header length prefix (empty or truncated file)");
        }
        ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, prefix, 0, path);
        long headerLength = prefix.getLong(0);
        // Compare unsigned: a u64 with the top bit set is a huge length, not a negative one.
        if (Long.compareUnsigned(headerLength, MAX_HEADER_BYTES) > 0) {
            throw SafetensorsFormatException.of(path, null, "header length " + Long.toUnsignedString(headerLength)
                    + " exceeds the " + MAX_HEADER_BYTES + "-byte limit (lying header, or not a safetensors file)");
        }
        if (headerLength > fileSize - 8) {
            throw SafetensorsFormatException.of(path, null, "header length " + headerLength + " exceeds the "
                    + (fileSize - 8) + " bytes that follow the length prefix (lying header, or the file is truncated)");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(channel, headerBytes, 8, path);
        headerBytes.flip();
        String json;
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(headerBytes);
            json = chars.toString();
        } catch (CharacterCodingException e) {
            throw SafetensorsFormatException.of(path, null, "header is not valid UTF-8", e);
        }
        long dataStart = 8 + headerLength;
        long dataLength = fileSize - dataStart;
        HeaderParser parser = new HeaderParser(path, json, dataLength);
        parser.parse();
        checkOverlaps(path, parser.tensors.values());
        return new SafetensorsFile(path, channel, dataStart, parser.tensors, parser.metadata);
    }

    private static void readFully(FileChannel channel, ByteBuffer dst, long position, Path path) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) {
                throw SafetensorsFormatException.of(path, null, "unexpected end of file at byte " + pos
                        + " (file truncated while reading)");
            }
            pos += n;
        }
    }

    /** Rejects tensors whose byte ranges intersect; empty tensors occupy no bytes and cannot overlap. */
    private static void checkOverlaps(Path path, Iterable<TensorInfo> infos) throws SafetensorsFormatException {
        List<TensorInfo> sorted = new ArrayList<>();
        for (TensorInfo t : infos) {
            if (t.byteLength() > 0) {
                sorted.add(t);
            }
        }
        sorted.sort(Comparator.comparingLong(TensorInfo::dataBegin));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo prev = sorted.get(i - 1);
            TensorInfo cur = sorted.get(i);
            if (cur.dataBegin() < prev.dataEnd()) {
                throw SafetensorsFormatException.of(path, cur.name(), "byte range [" + cur.dataBegin() + ", "
                        + cur.dataEnd() + ") overlaps tensor '" + prev.name() + "' at [" + prev.dataBegin() + ", "
                        + prev.dataEnd() + ")");
            }
        }
    }

    /** @return the file this instance reads */
    public Path path() {
        return path;
    }

    /** @return the tensor names in header order (an unmodifiable, insertion-ordered set) */
    public Set<String> names() {
        return names;
    }

    /**
     * @param name a tensor name
     * @return whether the header describes a tensor of that name
     */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /**
     * Returns the header entry of a tensor.
     *
     * @param name the tensor name
     * @return its dtype, shape and byte range
     * @throws IllegalArgumentException if there is no such tensor; the message lists a few available names
     */
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new IllegalArgumentException(SafetensorsFormatException.describe(path, name,
                    "no such tensor; " + tensors.size() + " tensors available, e.g. " + sample(tensors.keySet())));
        }
        return info;
    }

    static String sample(Set<String> names) {
        List<String> first = names.stream().limit(5).map(n -> "'" + n + "'").collect(Collectors.toList());
        return first.isEmpty() ? "(none)" : String.join(", ", first) + (names.size() > 5 ? ", ..." : "");
    }

    /** @return the header's {@code __metadata__} string map (unmodifiable; empty when absent) */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Reads a floating-point tensor as floats, in row-major order. F32 is copied, F16 and BF16 are widened
     * exactly, F64 is rounded to the nearest float.
     *
     * @param name the tensor name
     * @return a new array of {@code numel} floats
     * @throws IllegalArgumentException if there is no such tensor or its dtype is not F64/F32/F16/BF16
     * @throws SafetensorsFormatException if the tensor is 2 GiB or larger, or the file was truncated since it
     *     was opened
     * @throws IOException on I/O errors
     */
    public float[] readFloats(String name) throws IOException {
        TensorInfo info = info(name);
        if (!info.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(SafetensorsFormatException.describe(path, name,
                    "dtype " + info.dtype() + " is not a floating-point type; use readLongs or readInts"));
        }
        ByteBuffer buf = map(info);
        int n = (int) info.numel();
        float[] out = new float[n];
        switch (info.dtype()) {
            case F32:
                buf.asFloatBuffer().get(out);
                break;
            case F64: {
                var doubles = buf.asDoubleBuffer();
                for (int i = 0; i < n; i++) {
                    out[i] = (float) doubles.get(i);
                }
                break;
            }
            case F16:
                convert16(buf.asShortBuffer(), out, true);
                break;
            case BF16:
                convert16(buf.asShortBuffer(), out, false);
                break;
            default:
                throw new AssertionError(info.dtype());
        }
        return out;
    }

    /** Bulk-copies 16-bit values into a scratch array first: far cheaper than per-element buffer reads. */
    private static void convert16(ShortBuffer src, float[] out, boolean half) {
        short[] chunk = new short[Math.min(CONVERT_CHUNK, out.length)];
        int done = 0;
        while (done < out.length) {
            int len = Math.min(chunk.length, out.length - done);
            src.get(chunk, 0, len);
            for (int i = 0; i < len; i++) {
                out[done + i] = half ? DType.halfToFloat(chunk[i]) : DType.bfloat16ToFloat(chunk[i]);
            }
            done += len;
        }
    }

    /**
     * Reads an integer (or BOOL) tensor as longs, in row-major order; I64 is copied, narrower types are
     * sign-extended (U8 and BOOL zero-extended).
     *
     * @param name the tensor name
     * @return a new array of {@code numel} longs
     * @throws IllegalArgumentException if there is no such tensor or its dtype is floating point
     * @throws IOException as for {@link #readFloats}
     */
    public long[] readLongs(String name) throws IOException {
        TensorInfo info = info(name);
        requireInteger(info);
        ByteBuffer buf = map(info);
        int n = (int) info.numel();
        long[] out = new long[n];
        if (info.dtype() == DType.I64) {
            buf.asLongBuffer().get(out);
        } else {
            for (int i = 0; i < n; i++) {
                out[i] = integerAt(buf, info.dtype(), i);
            }
        }
        return out;
    }

    /**
     * Reads an integer (or BOOL) tensor as ints, in row-major order. I64 values must fit in an int.
     *
     * @param name the tensor name
     * @return a new array of {@code numel} ints
     * @throws IllegalArgumentException if there is no such tensor, its dtype is floating point, or an I64
     *     value does not fit in an int
     * @throws IOException as for {@link #readFloats}
     */
    public int[] readInts(String name) throws IOException {
        TensorInfo info = info(name);
        requireInteger(info);
        ByteBuffer buf = map(info);
        int n = (int) info.numel();
        int[] out = new int[n];
        if (info.dtype() == DType.I32) {
            buf.asIntBuffer().get(out);
            return out;
        }
        for (int i = 0; i < n; i++) {
            long v = integerAt(buf, info.dtype(), i);
            if (v != (int) v) {
                throw new IllegalArgumentException(SafetensorsFormatException.describe(path, name,
                        "element " + i + " = " + v + " does not fit in an int; use readLongs"));
            }
            out[i] = (int) v;
        }
        return out;
    }

    private void requireInteger(TensorInfo info) {
        if (info.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(SafetensorsFormatException.describe(path, info.name(),
                    "dtype " + info.dtype() + " is floating point; use readFloats"));
        }
    }

    private static long integerAt(ByteBuffer buf, DType dtype, int i) {
        switch (dtype) {
            case I64:
                return buf.getLong(i * 8);
            case I32:
                return buf.getInt(i * 4);
            case I16:
                return buf.getShort(i * 2);
            case I8:
                return buf.get(i);
            case U8:
            case BOOL:
                return buf.get(i) & 0xFF;
            default:
                throw new AssertionError(dtype);
        }
    }

    /**
     * Maps a tensor's raw bytes, e.g. to hand them to a tensor library without conversion.
     *
     * @param name the tensor name
     * @return a read-only little-endian buffer positioned at 0 with {@code limit = byteLength}; it stays
     *     valid after this file is closed (the mapping is released when the buffer is garbage-collected)
     * @throws IllegalArgumentException if there is no such tensor
     * @throws IOException as for {@link #readFloats}
     */
    public ByteBuffer mapRaw(String name) throws IOException {
        return map(info(name));
    }

    private ByteBuffer map(TensorInfo info) throws IOException {
        if (closed) {
            throw new IllegalStateException(path + " is closed");
        }
        long length = info.byteLength();
        if (length > MAX_TENSOR_BYTES || info.numel() > Integer.MAX_VALUE - 8) {
            throw SafetensorsFormatException.of(path, info.name(), "is " + length
                    + " bytes; a single tensor read is limited to 2 GiB (Java buffers and arrays are int-indexed)");
        }
        long absoluteEnd = dataStart + info.dataEnd();
        // Mapping bytes past EOF is undefined (SIGBUS on access), so re-check in case the file shrank.
        if (channel.size() < absoluteEnd) {
            throw SafetensorsFormatException.of(path, info.name(), "file is truncated: it is now "
                    + channel.size() + " bytes but the tensor ends at byte " + absoluteEnd);
        }
        if (length == 0) {
            return ByteBuffer.allocate(0).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        }
        return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.dataBegin(), length)
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Closes the file handle. Idempotent. */
    @Override
    public void close() throws IOException {
        closed = true;
        channel.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]";
    }

    /**
     * Streaming, strict JSON parser for the header. Hand-rolled on {@link JsonReader} rather than a tree
     * model so that duplicate names are detected (a tree silently keeps the last one), number types are
     * checked per field, and every error names the tensor it concerns.
     */
    private static final class HeaderParser {
        private final Path path;
        private final String json;
        private final long dataLength;
        final Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        final Map<String, String> metadata = new LinkedHashMap<>();

        HeaderParser(Path path, String json, long dataLength) {
            this.path = path;
            this.json = json;
            this.dataLength = dataLength;
        }

        void parse() throws SafetensorsFormatException {
            String current = null;
            try (JsonReader reader = new JsonReader(new StringReader(json))) {
                reader.setStrictness(Strictness.STRICT);
                JsonToken first = reader.peek();
                if (first != JsonToken.BEGIN_OBJECT) {
                    throw SafetensorsFormatException.of(path, null,
                            "header is not a JSON object (it starts with " + first + ")");
                }
                reader.beginObject();
                while (reader.hasNext()) {
                    String name = reader.nextName();
                    current = name;
                    if (METADATA_KEY.equals(name)) {
                        readMetadata(reader);
                    } else {
                        if (tensors.containsKey(name)) {
                            throw SafetensorsFormatException.of(path, name, "appears twice in the header");
                        }
                        tensors.put(name, readEntry(reader, name));
                    }
                    current = null;
                }
                reader.endObject();
                if (hasTrailingContent(reader)) {
                    throw SafetensorsFormatException.of(path, null, "header has trailing content after the JSON object");
                }
            } catch (SafetensorsFormatException e) {
                throw e;
            } catch (IOException | IllegalStateException | NumberFormatException e) {
                // MalformedJsonException and EOFException are IOExceptions; both mean broken JSON.
                String what = e instanceof EOFException ? " (it ends prematurely)" : "";
                throw SafetensorsFormatException.of(path, current, "header is not valid JSON" + what + ": "
                        + e.getMessage(), e);
            }
        }

        /** Whitespace (the writer's padding) may follow the object; anything else may not. */
        private static boolean hasTrailingContent(JsonReader reader) throws IOException {
            try {
                return reader.peek() != JsonToken.END_DOCUMENT;
            } catch (MalformedJsonException e) {
                return true; // a strict reader refuses a second top-level value outright
            }
        }

        private void readMetadata(JsonReader reader) throws IOException {
            if (reader.peek() == JsonToken.NULL) {
                reader.nextNull();
                return;
            }
            expect(reader, JsonToken.BEGIN_OBJECT, null, METADATA_KEY + " must be an object of strings");
            reader.beginObject();
            while (reader.hasNext()) {
                String key = reader.nextName();
                expect(reader, JsonToken.STRING, null, METADATA_KEY + " value for '" + key + "' must be a string");
                metadata.put(key, reader.nextString());
            }
            reader.endObject();
        }

        private TensorInfo readEntry(JsonReader reader, String name) throws IOException {
            expect(reader, JsonToken.BEGIN_OBJECT, name, "entry must be a JSON object");
            String dtypeName = null;
            long[] shape = null;
            long[] offsets = null;
            reader.beginObject();
            while (reader.hasNext()) {
                String field = reader.nextName();
                switch (field) {
                    case "dtype":
                        expect(reader, JsonToken.STRING, name, "'dtype' must be a string");
                        dtypeName = reader.nextString();
                        break;
                    case "shape":
                        shape = readLongArray(reader, name, "shape");
                        break;
                    case "data_offsets":
                        offsets = readLongArray(reader, name, "data_offsets");
                        break;
                    default:
                        reader.skipValue(); // unknown fields are tolerated, as by the reference implementation
                }
            }
            reader.endObject();
            if (dtypeName == null) {
                throw SafetensorsFormatException.of(path, name, "entry is missing 'dtype'");
            }
            if (shape == null) {
                throw SafetensorsFormatException.of(path, name, "entry is missing 'shape'");
            }
            if (offsets == null) {
                throw SafetensorsFormatException.of(path, name, "entry is missing 'data_offsets'");
            }
            return validate(name, dtypeName, shape, offsets);
        }

        private TensorInfo validate(String name, String dtypeName, long[] shape, long[] offsets)
                throws SafetensorsFormatException {
            DType dtype;
            try {
                dtype = DType.parse(dtypeName);
            } catch (SafetensorsFormatException e) {
                throw SafetensorsFormatException.of(path, name, e.getMessage(), e);
            }
            for (long d : shape) {
                if (d < 0) {
                    throw SafetensorsFormatException.of(path, name, "negative dimension " + d + " in shape "
                            + Arrays.toString(shape));
                }
            }
            if (offsets.length != 2) {
                throw SafetensorsFormatException.of(path, name, "'data_offsets' must have exactly 2 entries [begin, end], got "
                        + Arrays.toString(offsets));
            }
            long begin = offsets[0];
            long end = offsets[1];
            if (begin < 0 || end < 0) {
                throw SafetensorsFormatException.of(path, name, "negative data_offsets " + Arrays.toString(offsets));
            }
            if (end < begin) {
                throw SafetensorsFormatException.of(path, name, "data_offsets end " + end + " < begin " + begin);
            }
            long expectedBytes;
            try {
                expectedBytes = Math.multiplyExact(TensorInfo.numel(shape), dtype.byteSize());
            } catch (ArithmeticException e) {
                throw SafetensorsFormatException.of(path, name, "shape " + Arrays.toString(shape)
                        + " has more elements than a long can count");
            }
            if (end - begin != expectedBytes) {
                throw SafetensorsFormatException.of(path, name, "shape " + Arrays.toString(shape) + " and dtype "
                        + dtype + " (" + dtype.byteSize() + " bytes/element) need " + expectedBytes
                        + " bytes but data_offsets [" + begin + ", " + end + ") span " + (end - begin) + " bytes");
            }
            if (end > dataLength) {
                throw SafetensorsFormatException.of(path, name, "data_offsets [" + begin + ", " + end
                        + ") extend beyond the " + dataLength + "-byte data section: file truncated");
            }
            return new TensorInfo(name, dtype, shape, begin, end);
        }

        private long[] readLongArray(JsonReader reader, String tensor, String field) throws IOException {
            expect(reader, JsonToken.BEGIN_ARRAY, tensor, "'" + field + "' must be an array of integers");
            List<Long> values = new ArrayList<>();
            reader.beginArray();
            while (reader.hasNext()) {
                expect(reader, JsonToken.NUMBER, tensor, "'" + field + "' must be an array of integers");
                String raw = reader.nextString();
                try {
                    values.add(Long.parseLong(raw));
                } catch (NumberFormatException e) {
                    throw SafetensorsFormatException.of(path, tensor, "'" + field + "' element " + raw
                            + " is not an integer that fits in 64 bits");
                }
            }
            reader.endArray();
            long[] out = new long[values.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = values.get(i);
            }
            return out;
        }

        private void expect(JsonReader reader, JsonToken token, String tensor, String message) throws IOException {
            JsonToken actual = reader.peek();
            if (actual != token) {
                throw SafetensorsFormatException.of(path, tensor, message + " (found " + actual + ")");
            }
        }
    }
}
