package org.mechinterp.core.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.stream.IntStream;
import org.mechinterp.core.VectorKernels;

/**
 * Converts tensor bytes as a checkpoint stores them (little-endian F32, F16, BF16 or F64) into float32 bytes in a
 * destination buffer, typically the memory of a libtorch tensor, without a Java array the size of the tensor.
 *
 * <p>Why not libtorch: DJL's PyTorch engine aborts the JVM on any BF16 array, and its F16→F32 {@code toType} runs
 * at about 1 GB/s here. BF16 is the upper half of a binary32, so widening it is two shifts and masks per pair of
 * values; this class does four values per 64-bit word in chunks of {@value #CHUNK} words (bulk buffer copies are
 * memcpy), exactly. F16 goes through a 65,536-entry table of the exact float bits ({@link DType#halfToFloat}).
 * Every conversion is exact (NaN payloads included); the source is never modified.
 *
 * <p>BF16 has a second, 256-bit vector implementation ({@code simd.VectorBf16}, about 2.5× faster here: 8 GB/s of
 * BF16 in against 3.3) that is used when the JVM was started with {@code --add-modules jdk.incubator.vector} (the
 * {@code ./interp} script, the tests and the benchmarks do so) and has 256-bit vectors, unless the system property
 * {@code interp.vectorKernels=false} is set ({@link VectorKernels}). Both give the same bits: the conversion is
 * exact.
 */
public final class Upcast {
    /** Words (of 8 bytes) or elements converted per step: large enough to amortise, small enough for L2. */
    static final int CHUNK = 1 << 13;
    /** Below this many elements a conversion runs on the calling thread only. */
    private static final long PARALLEL_THRESHOLD = 1L << 20;
    private static final int[] HALF_BITS = halfTable();
    /**
     * Per-thread chunk arrays, reused: a model's upcast per forward pass would otherwise allocate a few hundred KiB
     * per tensor and part, and the garbage grows the Java heap's resident set by gigabytes before a GC.
     */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        final long[] words = new long[CHUNK];
        final long[] wide = new long[2 * CHUNK];
        final short[] halves = new short[CHUNK];
        final int[] floats = new int[CHUNK];
    }

    private static final Bf16Kernel BF16 = chooseBf16();

    private Upcast() {}

    /**
     * One implementation of the BF16 → F32 conversion of a range (public only so that the vector one, kept in its
     * own package, can implement it).
     */
    public interface Bf16Kernel {
        /**
         * Converts n BF16 values at src[0..2n) to float32 at dst[0..4n), both little-endian, by absolute index.
         *
         * @param src source bytes; not modified
         * @param dst destination bytes, written
         * @param n number of values
         */
        void convert(ByteBuffer src, ByteBuffer dst, int n);

        /**
         * Whether this implementation runs at full speed on this machine.
         *
         * @return true unless it would fall back to slow emulation
         */
        default boolean isFast() {
            return true;
        }
    }

    /**
     * Which BF16 conversion runs in this JVM.
     *
     * @return {@code "vector"} or {@code "scalar"}
     */
    public static String bf16Implementation() {
        return BF16 == null ? "scalar" : "vector";
    }

    /** The vector kernel when it can run here and is not switched off, else null (the scalar code below). */
    private static Bf16Kernel chooseBf16() {
        Bf16Kernel k = VectorKernels.load("org.mechinterp.core.io.simd.VectorBf16", Bf16Kernel.class);
        return k != null && k.isFast() ? k : null;
    }

    /**
     * Converts {@code count} elements of {@code dtype} from {@code src} into float32 in {@code dst}.
     *
     * @param src little-endian source bytes; read from absolute index 0, its position is not changed
     * @param dtype F32, F16, BF16 or F64
     * @param dst destination with at least {@code 4·count} bytes from absolute index 0, in little-endian (native
     *     x86/ARM) order; its position is not changed
     * @param count the count
     * @param parallel split the work over the common fork-join pool (and the calling thread)
     * @throws IllegalArgumentException for other dtypes or buffers that are too small
     */
    public static void toFloat32(ByteBuffer src, DType dtype, ByteBuffer dst, long count, boolean parallel) {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("cannot upcast " + dtype + " to F32: not a floating-point type");
        }
        if (src.capacity() < count * dtype.byteSize() || dst.capacity() < count * 4) {
            throw new IllegalArgumentException("buffers too small for " + count + " " + dtype + " elements: source "
                    + src.capacity() + " bytes, destination " + dst.capacity() + " bytes");
        }
        if (dst.order() != ByteOrder.LITTLE_ENDIAN && count > 0) {
            throw new IllegalArgumentException("destination must be little-endian");
        }
        // Split on multiples of 4 elements so every part but the last converts whole 64-bit BF16 words.
        int parts = parallel && count >= PARALLEL_THRESHOLD ? Runtime.getRuntime().availableProcessors() : 1;
        long per = (count / parts + 3) & ~3L;
        IntStream range = IntStream.range(0, parts);
        (parts > 1 ? range.parallel() : range).forEach(p -> {
            long from = Math.min(count, p * per);
            long to = Math.min(count, from + per);
            convertRange(src, dtype, dst, from, to - from);
        });
    }

    private static void convertRange(ByteBuffer src, DType dtype, ByteBuffer dst, long from, long n) {
        if (n == 0) {
            return;
        }
        ByteBuffer s = slice(src, from * dtype.byteSize(), n * dtype.byteSize());
        ByteBuffer d = slice(dst, from * 4, n * 4);
        switch (dtype) {
            case F32:
                d.put(s);
                break;
            case BF16:
                if (BF16 != null) {
                    BF16.convert(s, d, (int) n);
                } else {
                    bfloat16(s, d, (int) n);
                }
                break;
            case F16:
                half(s.asShortBuffer(), d.asIntBuffer(), (int) n);
                break;
            case F64: {
                var doubles = s.asDoubleBuffer();
                var floats = d.asFloatBuffer();
                for (int i = 0; i < n; i++) {
                    floats.put(i, (float) doubles.get(i));
                }
                break;
            }
            default:
                throw new AssertionError(dtype);
        }
    }

    /**
     * The scalar BF16 conversion: four BF16 values per source word become two words of two floats each,
     * f = bits &lt;&lt; 16 (package-private for the test that compares it with the vector one).
     */
    static void bfloat16(ByteBuffer s, ByteBuffer d, int n) {
        int words = n / 4;
        LongBuffer in = s.asLongBuffer();
        LongBuffer out = d.asLongBuffer();
        Scratch scratch = SCRATCH.get();
        long[] a = scratch.words;
        long[] b = scratch.wide;
        for (int done = 0; done < words; ) {
            int len = Math.min(a.length, words - done);
            in.get(a, 0, len);
            for (int i = 0; i < len; i++) {
                long v = a[i];                                                   // h3 h2 h1 h0 (h0 lowest)
                b[2 * i] = (v & 0xFFFFL) << 16 | (v & 0xFFFF_0000L) << 32;        // f1 f0
                b[2 * i + 1] = (v >>> 16) & 0xFFFF_0000L | v & 0xFFFF_0000_0000_0000L; // f3 f2
            }
            out.put(b, 0, 2 * len);
            done += len;
        }
        for (int i = words * 4; i < n; i++) {
            d.putInt(4 * i, (s.getShort(2 * i) & 0xFFFF) << 16);
        }
    }

    private static void half(ShortBuffer in, IntBuffer out, int n) {
        Scratch scratch = SCRATCH.get();
        short[] a = scratch.halves;
        int[] b = scratch.floats;
        for (int done = 0; done < n; ) {
            int len = Math.min(a.length, n - done);
            in.get(a, 0, len);
            for (int i = 0; i < len; i++) {
                b[i] = HALF_BITS[a[i] & 0xFFFF];
            }
            out.put(b, 0, len);
            done += len;
        }
    }

    /** A little-endian view of {@code length} bytes at absolute {@code offset}, independent of the position. */
    private static ByteBuffer slice(ByteBuffer b, long offset, long length) {
        return b.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(0).limit(b.capacity())
                .position(Math.toIntExact(offset)).limit(Math.toIntExact(offset + length))
                .slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    private static int[] halfTable() {
        int[] t = new int[1 << 16];
        for (int h = 0; h < t.length; h++) {
            t[h] = Float.floatToRawIntBits(DType.halfToFloat((short) h));
        }
        return t;
    }
}
