package org.mechinterp.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Upcast} against the per-element reference conversions of {@link DType} (themselves checked against
 * numpy in {@code DTypeTest}): every one of the 65,536 bit patterns of F16 and BF16, bit for bit (NaN payloads
 * included), at lengths that exercise the 4-value words, the tail and the parallel split.
 */
class UpcastTest {
    @Test
    void everyBfloat16AndHalfBitPatternConvertsExactly() {
        for (DType dtype : new DType[] {DType.BF16, DType.F16}) {
            int n = 1 << 16;
            ByteBuffer src = ByteBuffer.allocateDirect(2 * n).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                src.putShort(2 * i, (short) i);
            }
            ByteBuffer dst = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.LITTLE_ENDIAN);
            Upcast.toFloat32(src, dtype, dst, n, false);
            for (int i = 0; i < n; i++) {
                float want = dtype == DType.BF16 ? DType.bfloat16ToFloat((short) i) : DType.halfToFloat((short) i);
                assertEquals(Float.floatToRawIntBits(want), dst.getInt(4 * i), dtype + " bits " + i);
            }
        }
    }

    /**
     * The tests run with jdk.incubator.vector (surefire's argLine), so toFloat32 above used the vector BF16 kernel;
     * the scalar one, which runs in JVMs without the module, must give the same bits for every pattern and length.
     */
    @Test
    void theScalarAndVectorBfloat16KernelsAgreeOnEveryBitPattern() {
        assertEquals(new org.mechinterp.core.io.simd.VectorBf16().isFast() ? "vector" : "scalar",
                Upcast.bf16Implementation());
        int n = (1 << 16) + 7;
        ByteBuffer src = ByteBuffer.allocateDirect(2 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            src.putShort(2 * i, (short) (i * 40503));
        }
        for (int len : new int[] {0, 1, 7, 8, 9, 4099, n}) {
            ByteBuffer scalar = ByteBuffer.allocateDirect(Math.max(1, 4 * len)).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer vector = ByteBuffer.allocateDirect(Math.max(1, 4 * len)).order(ByteOrder.LITTLE_ENDIAN);
            Upcast.bfloat16(src, scalar, len);
            new org.mechinterp.core.io.simd.VectorBf16().convert(src, vector, len);
            for (int i = 0; i < len; i++) {
                int want = Float.floatToRawIntBits(DType.bfloat16ToFloat(src.getShort(2 * i)));
                assertEquals(want, scalar.getInt(4 * i), "scalar, len " + len + " i " + i);
                assertEquals(want, vector.getInt(4 * i), "vector, len " + len + " i " + i);
            }
        }
    }

    @Test
    void oddLengthsAndTheParallelSplitGiveTheSameBits() {
        SplittableRandom rng = new SplittableRandom(7);
        for (int n : new int[] {0, 1, 3, 5, 4097, (1 << 20) + 3, (1 << 21) + 6}) {
            for (DType dtype : new DType[] {DType.BF16, DType.F16, DType.F32, DType.F64}) {
                ByteBuffer src = ByteBuffer.allocateDirect(Math.max(1, n * dtype.byteSize()))
                        .order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < n * dtype.byteSize(); i++) {
                    src.put(i, (byte) rng.nextInt());
                }
                ByteBuffer seq = ByteBuffer.allocateDirect(Math.max(1, 4 * n)).order(ByteOrder.LITTLE_ENDIAN);
                ByteBuffer par = ByteBuffer.allocateDirect(Math.max(1, 4 * n)).order(ByteOrder.LITTLE_ENDIAN);
                Upcast.toFloat32(src, dtype, seq, n, false);
                Upcast.toFloat32(src, dtype, par, n, true);
                for (int i = 0; i < n; i++) {
                    int want = Float.floatToRawIntBits(reference(src, dtype, i));
                    if (dtype == DType.F64 && Float.isNaN(Float.intBitsToFloat(want))) {
                        want = seq.getInt(4 * i); // narrowing NaN payloads is the JVM's business, not ours
                    }
                    assertEquals(want, seq.getInt(4 * i), dtype + " n=" + n + " i=" + i);
                    assertEquals(want, par.getInt(4 * i), dtype + " parallel n=" + n + " i=" + i);
                }
                assertEquals(0, src.position(), "source position untouched");
            }
        }
    }

    @Test
    void refusesIntegersAndShortBuffers() {
        ByteBuffer b = ByteBuffer.allocateDirect(16).order(ByteOrder.LITTLE_ENDIAN);
        assertThrows(IllegalArgumentException.class, () -> Upcast.toFloat32(b, DType.I32, b, 4, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Upcast.toFloat32(b, DType.BF16, ByteBuffer.allocateDirect(8), 4, false));
        assertEquals(true, e.getMessage().contains("too small"), e.getMessage());
    }

    private static float reference(ByteBuffer src, DType dtype, int i) {
        switch (dtype) {
            case BF16:
                return DType.bfloat16ToFloat(src.getShort(2 * i));
            case F16:
                return DType.halfToFloat(src.getShort(2 * i));
            case F32:
                return src.getFloat(4 * i);
            case F64:
                return (float) src.getDouble(8 * i);
            default:
                throw new AssertionError(dtype);
        }
    }
}
