package org.mechinterp.core.io;

import java.util.Locale;

/**
 * Element types of the safetensors format, named exactly as they appear in the JSON header
 * ({@code "F32"}, {@code "BF16"}, ...).
 *
 * <p>Also hosts the exact conversions from the two 16-bit float formats to {@code float}: Java 17 has no
 * {@code Float.float16ToFloat}, and every F16 and BF16 value is exactly representable as a float, so the
 * conversions below are lossless (including subnormals, signed zeros, infinities and NaN payloads).
 */
public enum DType {
    /** IEEE 754 binary64. */
    F64(8),
    /** IEEE 754 binary32. */
    F32(4),
    /** IEEE 754 binary16 (half precision): 1 sign, 5 exponent, 10 mantissa bits. */
    F16(2),
    /** bfloat16: the upper 16 bits of a binary32 (1 sign, 8 exponent, 7 mantissa bits). */
    BF16(2),
    /** Signed 64-bit integer. */
    I64(8),
    /** Signed 32-bit integer. */
    I32(4),
    /** Signed 16-bit integer. */
    I16(2),
    /** Signed 8-bit integer. */
    I8(1),
    /** Unsigned 8-bit integer. */
    U8(1),
    /** Boolean stored as one byte, 0 or 1. */
    BOOL(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /**
     * Returns the size of one element in bytes.
     *
     * @return bytes per element (1, 2, 4 or 8)
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * Returns whether this is a floating-point type that {@code readFloats} accepts.
     *
     * @return whether this is a floating-point type that {@code readFloats} accepts
     */
    public boolean isFloatingPoint() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /**
     * Parses a dtype string from a safetensors header. Matching is exact (the format uses upper case), so a
     * header written by a buggy tool with {@code "f32"} is reported rather than silently accepted.
     *
     * @param name the header's {@code dtype} value
     * @return the dtype
     * @throws SafetensorsFormatException if the dtype is unknown or unsupported (for example {@code F8_E4M3});
     *     the message names it. Callers that know the file and tensor re-wrap it with that context.
     */
    public static DType parse(String name) throws SafetensorsFormatException {
        if (name != null) {
            for (DType t : values()) {
                if (t.name().equals(name)) {
                    return t;
                }
            }
        }
        throw new SafetensorsFormatException(String.format(Locale.ROOT,
                "unknown or unsupported dtype '%s' (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)",
                name));
    }

    /**
     * Converts IEEE 754 half-precision bits to the float with exactly the same value.
     *
     * @param bits the 16 bits of the half, in the low bits of a {@code short}
     * @return the equal float (subnormals, ±0, ±infinity and NaN payloads preserved)
     */
    public static float halfToFloat(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) {
            // Infinity (mantissa 0) or NaN; widen the payload so quiet/signalling bits keep their position.
            return Float.intBitsToFloat(sign | 0x7F80_0000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // Zero or subnormal: value = mantissa * 2^-24, exact in float since mantissa < 2^10.
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        // Normal: rebias the exponent from 15 to 127 (difference 112) and left-align the mantissa.
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /**
     * Converts bfloat16 bits to the float with exactly the same value (bfloat16 is a truncated binary32).
     *
     * @param bits the 16 bits of the bfloat16, in the low bits of a {@code short}
     * @return the equal float
     */
    public static float bfloat16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
