package org.mechinterp.core.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.stream.LongStream;

/**
 * Finds NaN or infinite values in tensor bytes as a checkpoint stores them (little-endian F64, F32, F16 or BF16),
 * without converting them.
 *
 * <p>Why on the stored bits: a value is non-finite exactly when its exponent bits are all ones, whatever the dtype,
 * so the check needs no upcast and works for weights kept at rest. Eight bytes are tested per step (four BF16/F16
 * lanes or two F32 lanes at once: a lane's masked exponent XOR the mask is zero exactly when it is all ones, and
 * adding 0x7FFF… to a lane sets its top bit unless the lane is zero, with no carry between lanes), in parallel
 * over the common fork-join pool for large tensors, so a scan costs about one pass over memory.
 */
public final class NonFinite {
    /** Longs read per bulk copy. */
    private static final int CHUNK = 1 << 13;
    /** Below this many bytes a scan runs on the calling thread only. */
    private static final long PARALLEL_THRESHOLD = 1L << 22;

    private NonFinite() {}

    /**
     * The index of the first NaN or infinite element among the first {@code count} elements of {@code src}.
     *
     * @param src little-endian bytes, read from absolute index 0; its position is not changed
     * @param dtype F64, F32, F16 or BF16
     * @param count the count
     * @return the smallest such index, or -1 when every element is finite
     * @throws IllegalArgumentException for another dtype or a buffer shorter than {@code count} elements
     */
    public static long firstIndex(ByteBuffer src, DType dtype, long count) {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("cannot check " + dtype + " for NaN: not a floating-point type");
        }
        long bytes = count * dtype.byteSize();
        if (src.capacity() < bytes) {
            throw new IllegalArgumentException("buffer of " + src.capacity() + " bytes is too small for " + count
                    + " " + dtype + " elements");
        }
        int parts = bytes >= PARALLEL_THRESHOLD ? Runtime.getRuntime().availableProcessors() : 1;
        long perBytes = ((bytes / parts) + 7) & ~7L;
        long per = perBytes / dtype.byteSize();
        LongStream range = LongStream.range(0, parts);
        long first = (parts > 1 ? range.parallel() : range)
                .map(p -> {
                    long from = Math.min(count, p * per);
                    long local = scan(src, dtype, from, Math.min(count, from + per) - from);
                    return local < 0 ? Long.MAX_VALUE : from + local;
                })
                .min().orElse(Long.MAX_VALUE);
        return first == Long.MAX_VALUE ? -1 : first;
    }

    /**
     * The non-finite value's name for messages: "NaN", "+Inf" or "-Inf".
     *
     * @param src little-endian bytes, read from absolute index 0; its position is not changed
     * @param dtype F64, F32, F16 or BF16
     * @param index the index
     * @return the non-finite value's name for messages: "NaN", "+Inf" or "-Inf"
     */
    public static String describe(ByteBuffer src, DType dtype, long index) {
        double v;
        int at = Math.toIntExact(index * dtype.byteSize());
        ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F64 -> v = b.getDouble(at);
            case F32 -> v = b.getFloat(at);
            case F16 -> v = DType.halfToFloat(b.getShort(at));
            case BF16 -> v = DType.bfloat16ToFloat(b.getShort(at));
            default -> throw new IllegalArgumentException(dtype.toString());
        }
        return Double.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
    }

    /** The first non-finite index within {@code n} elements from element {@code from}, relative to it; or -1. */
    private static long scan(ByteBuffer src, DType dtype, long from, long n) {
        if (n <= 0) {
            return -1;
        }
        int width = dtype.byteSize();
        ByteBuffer s = src.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(0).limit(src.capacity())
                .position(Math.toIntExact(from * width)).limit(Math.toIntExact((from + n) * width))
                .slice().order(ByteOrder.LITTLE_ENDIAN);
        int lanes = 8 / width;
        long words = n / lanes;
        long word = firstWord(s.asLongBuffer(), words, dtype);
        long start = word < 0 ? words * lanes : word * lanes;
        for (long i = start; i < n; i++) {
            if (!finite(s, dtype, Math.toIntExact(i * width))) {
                return i;
            }
        }
        return -1;
    }

    /** The first of {@code words} 64-bit words holding a non-finite lane, or -1. */
    private static long firstWord(LongBuffer in, long words, DType dtype) {
        long exp = switch (dtype) {
            case BF16 -> 0x7F80_7F80_7F80_7F80L;
            case F16 -> 0x7C00_7C00_7C00_7C00L;
            case F32 -> 0x7F80_0000_7F80_0000L;
            default -> 0x7FF0_0000_0000_0000L;
        };
        long add = dtype == DType.F32 ? 0x7FFF_FFFF_7FFF_FFFFL : 0x7FFF_7FFF_7FFF_7FFFL;
        long top = dtype == DType.F32 ? 0x8000_0000_8000_0000L : 0x8000_8000_8000_8000L;
        boolean f64 = dtype == DType.F64;
        long[] a = new long[(int) Math.min(CHUNK, Math.max(words, 1))];
        for (long done = 0; done < words; ) {
            int len = (int) Math.min(a.length, words - done);
            in.get(a, 0, len);
            for (int i = 0; i < len; i++) {
                long x = (a[i] & exp) ^ exp; // a lane is zero exactly when its exponent is all ones
                if (f64 ? x == 0 : ((x + add) & top) != top) {
                    return done + i;
                }
            }
            done += len;
        }
        return -1;
    }

    private static boolean finite(ByteBuffer s, DType dtype, int at) {
        return switch (dtype) {
            case F64 -> Double.isFinite(s.getDouble(at));
            case F32 -> Float.isFinite(s.getFloat(at));
            case F16 -> (s.getShort(at) & 0x7C00) != 0x7C00;
            default -> (s.getShort(at) & 0x7F80) != 0x7F80;
        };
    }
}
