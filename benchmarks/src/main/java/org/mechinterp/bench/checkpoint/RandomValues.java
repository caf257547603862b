package org.mechinterp.bench.checkpoint;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.mechinterp.core.io.DType;

/**
 * The values of generated checkpoints: deterministic, fast, and independent of how the work is split.
 *
 * <p><b>Streams.</b> A tensor is cut into chunks of {@link #CHUNK} elements. Chunk {@code c} of tensor {@code name}
 * is a splitmix64 stream (the generator behind {@link java.util.SplittableRandom}) whose start state mixes the seed,
 * a 64-bit FNV-1a hash of the name's UTF-8 bytes and {@code c}. So any chunk can be generated alone, on any thread,
 * in any order, and a checkpoint is a pure function of (shape, seed, dtype, shard size).
 *
 * <p><b>Distribution.</b> {@code z} is the Irwin–Hall sum of four 16-bit uniforms taken from one 64-bit draw,
 * centred and scaled to variance exactly 1: bell-shaped, mean 0, std 1, bounded to ±3.46 (no tails beyond). It
 * costs one splitmix64 step (three multiplications) per value, about 20× cheaper than
 * {@code SplittableRandom.nextGaussian} (polar method: logarithm, square root, rejection) and close enough to a
 * normal for weights whose only job is to have the right shapes and sane activations. Matrices get
 * {@code std · z} with {@code std} = the config's {@code initializer_range} (0.02 for all three models, as
 * {@code transformers}' {@code _init_weights}); norm weights get {@code 1 + std · z}. The bounded tails keep every
 * value far inside the 16-bit formats' ranges, and logits at 36 layers finite.
 *
 * <p><b>Encoding.</b> Values are generated as floats and rounded to nearest, ties to even, into BF16 or F16
 * (F32 is stored as generated).
 */
public final class RandomValues {
    /** Elements per independently seeded chunk (also the unit of work and of one positional write). */
    public static final int CHUNK = 1 << 20;

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    /** 1 / std of the sum of four discrete uniforms on [0, 65535]: variance 4 · (65536² − 1) / 12. */
    private static final double IRWIN_HALL_SCALE = 1.0 / Math.sqrt(4.0 * (65536.0 * 65536.0 - 1.0) / 12.0);
    /** Mean of the sum of four uniforms on [0, 65535]. */
    private static final int IRWIN_HALL_MEAN = 2 * 65535;

    private RandomValues() {}

    /**
     * Fills {@code out[0..count)} with elements {@code chunk · CHUNK ..} of a tensor, as floats before rounding.
     *
     * @param seed the checkpoint seed
     * @param tensor the tensor (its name seeds the stream, its kind picks {@code std · z} or {@code 1 + std · z})
     * @param std the standard deviation of the matrices' values
     * @param chunk the chunk index
     * @param out the destination
     * @param count how many leading elements of the chunk to produce, at most {@link #CHUNK}
     */
    public static void fillChunk(long seed, TensorSpec tensor, double std, long chunk, float[] out, int count) {
        long state = chunkSeed(seed, tensor.name(), chunk);
        float scale = (float) (std * IRWIN_HALL_SCALE);
        float base = tensor.kind() == TensorSpec.Kind.NORM ? 1f : 0f;
        for (int i = 0; i < count; i++) {
            state += GOLDEN;
            long r = mix64(state);
            int sum = (int) (r & 0xFFFF) + (int) ((r >>> 16) & 0xFFFF) + (int) ((r >>> 32) & 0xFFFF)
                    + (int) (r >>> 48);
            out[i] = (sum - IRWIN_HALL_MEAN) * scale + base; // the centred sum is an exact int
        }
    }

    /**
     * Elements {@code [from, from + count)} of a tensor as floats before rounding, for checks: the same numbers
     * {@link #fillChunk} produces, whatever chunks the range spans.
     */
    public static float[] values(long seed, TensorSpec tensor, double std, long from, int count) {
        float[] out = new float[count];
        float[] chunkValues = new float[CHUNK];
        long chunk = -1;
        for (int i = 0; i < count; i++) {
            long e = from + i;
            if (e / CHUNK != chunk) {
                chunk = e / CHUNK;
                int n = (int) Math.min(CHUNK, tensor.numel() - chunk * CHUNK);
                fillChunk(seed, tensor, std, chunk, chunkValues, n);
            }
            out[i] = chunkValues[(int) (e % CHUNK)];
        }
        return out;
    }

    /**
     * Writes {@code src[0..count)} encoded as {@code dtype} into {@code dst} (little-endian, from its position,
     * which advances by {@code count · dtype.byteSize()}).
     *
     * @throws IllegalArgumentException for a dtype other than BF16, F16 or F32
     */
    public static void encode(float[] src, int count, DType dtype, ByteBuffer dst) {
        switch (dtype) {
            case BF16:
                for (int i = 0; i < count; i++) {
                    dst.putShort(toBfloat16(src[i]));
                }
                break;
            case F16:
                for (int i = 0; i < count; i++) {
                    dst.putShort(toHalf(src[i]));
                }
                break;
            case F32:
                for (int i = 0; i < count; i++) {
                    dst.putFloat(src[i]);
                }
                break;
            default:
                throw new IllegalArgumentException("dtype " + dtype + " is not generated (use BF16, F16 or F32)");
        }
    }

    /** A float rounded to the nearest bfloat16, ties to even (NaN stays a quiet NaN). */
    public static short toBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /**
     * A float rounded to the nearest IEEE half, ties to even: magnitudes from 65520 up become infinity, those
     * below 2⁻¹⁴ become subnormals (or zero), NaN stays a quiet NaN.
     */
    public static short toHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7FFF_FFFF;
        if (abs > 0x7F80_0000) {
            return (short) (sign | 0x7E00 | ((abs >>> 13) & 0x3FF));
        }
        if (abs >= 0x477F_F000) { // 65520 = halfway between 65504 (largest half) and 65536
            return (short) (sign | 0x7C00);
        }
        if (abs >= 0x3880_0000) { // 2^-14, the smallest normal half
            int rounded = abs + 0x0FFF + ((abs >>> 13) & 1); // ties to even at bit 13; a carry bumps the exponent
            return (short) (sign | ((rounded - 0x3800_0000) >>> 13)); // rebias the exponent from 127 to 15
        }
        // Subnormal half: a multiple of 2^-24. Scaling by 2^24 is exact; rint rounds half to even.
        int m = (int) Math.rint(Float.intBitsToFloat(abs) * 0x1p24f);
        return (short) (sign | m);
    }

    /** The start state of chunk {@code chunk} of tensor {@code name}. */
    static long chunkSeed(long seed, String name, long chunk) {
        return mix64(mix64(seed ^ fnv1a(name)) + (chunk + 1) * GOLDEN);
    }

    /** splitmix64's output function (Stafford variant 13), as in {@link java.util.SplittableRandom}. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** 64-bit FNV-1a of the UTF-8 bytes: stable across JVMs and runs, unlike {@code String.hashCode} mixing. */
    static long fnv1a(String s) {
        long h = 0xCBF29CE484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001B3L;
        }
        return h;
    }
}
