package org.mechinterp.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link NonFinite} against the plain per-element definition (the decoded value is NaN or infinite): every F16 and
 * BF16 bit pattern at every lane position, and random F32/F64 data with one planted NaN or infinity at positions
 * that exercise the words, the tail and the parallel split.
 */
class NonFiniteTest {
    @Test
    void everyHalfAndBfloat16PatternInEveryLane() {
        for (DType dtype : new DType[] {DType.BF16, DType.F16}) {
            for (int lane = 0; lane < 5; lane++) {
                ByteBuffer b = ByteBuffer.allocateDirect(2 * 9).order(ByteOrder.LITTLE_ENDIAN); // 2 words + tail
                for (int bits = 0; bits < 1 << 16; bits++) {
                    b.putShort(2 * lane, (short) bits);
                    float v = dtype == DType.BF16 ? DType.bfloat16ToFloat((short) bits)
                            : DType.halfToFloat((short) bits);
                    long want = Float.isFinite(v) ? -1 : lane;
                    assertEquals(want, NonFinite.firstIndex(b, dtype, 9), dtype + " bits " + bits + " lane " + lane);
                }
                b.putShort(2 * lane, (short) 0);
            }
        }
    }

    @Test
    void plantedValuesAreFoundFirstAcrossWordsTailAndParallelParts() {
        SplittableRandom rng = new SplittableRandom(3);
        int n = (1 << 21) + 3; // above the parallel threshold for every dtype, with a tail
        for (DType dtype : new DType[] {DType.F32, DType.F64, DType.BF16, DType.F16}) {
            ByteBuffer b = ByteBuffer.allocateDirect(n * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                put(b, dtype, i, (float) rng.nextGaussian());
            }
            assertEquals(-1, NonFinite.firstIndex(b, dtype, n), dtype + " all finite");
            for (int at : new int[] {n - 1, n - 4, n / 2 + 1, 5, 0}) {
                float bad = at % 2 == 0 ? Float.NaN : Float.NEGATIVE_INFINITY;
                put(b, dtype, at, bad);
                assertEquals(at, NonFinite.firstIndex(b, dtype, n), dtype + " planted at " + at);
                assertEquals(Float.isNaN(bad) ? "NaN" : "-Inf", NonFinite.describe(b, dtype, at));
            }
            assertEquals(0, NonFinite.firstIndex(b, dtype, 1)); // count limits the scan, not the capacity
        }
    }

    @Test
    void largeFiniteValuesAreNotFlagged() {
        ByteBuffer b = ByteBuffer.allocateDirect(64).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 16; i++) {
            b.putFloat(4 * i, i % 2 == 0 ? Float.MAX_VALUE : -Float.MIN_VALUE);
        }
        assertEquals(-1, NonFinite.firstIndex(b, DType.F32, 16));
        for (int i = 0; i < 32; i++) {
            b.putShort(2 * i, (short) (i % 2 == 0 ? 0x7F7F : 0xFF7F)); // ±max finite BF16
        }
        assertEquals(-1, NonFinite.firstIndex(b, DType.BF16, 32));
    }

    private static void put(ByteBuffer b, DType dtype, int i, float v) {
        switch (dtype) {
            case F32 -> b.putFloat(4 * i, v);
            case F64 -> b.putDouble(8 * i, v);
            case BF16 -> b.putShort(2 * i, (short) (Float.floatToRawIntBits(v) >>> 16));
            default -> b.putShort(2 * i, Float.isNaN(v) ? (short) 0x7E00
                    : Float.isInfinite(v) ? (short) (v > 0 ? 0x7C00 : 0xFC00) : (short) 0x3C00);
        }
    }
}
