package org.mechinterp.bench.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.io.DType;

/** The value generator and the 16-bit encodings of {@link RandomValues}. */
class RandomValuesTest {

    @Test
    void everyFiniteHalfRoundTripsAndMidpointsTieToEven() {
        for (int h = 0; h <= 0x7BFF; h++) {
            float f = DType.halfToFloat((short) h);
            assertEquals(h, RandomValues.toHalf(f) & 0xFFFF, "half " + Integer.toHexString(h));
            assertEquals(h | 0x8000, RandomValues.toHalf(-f) & 0xFFFF, "half -" + Integer.toHexString(h));
            if (h < 0x7BFF) {
                float mid = (float) ((f + (double) DType.halfToFloat((short) (h + 1))) / 2);
                int even = (h & 1) == 0 ? h : h + 1;
                assertEquals(even, RandomValues.toHalf(mid) & 0xFFFF, "midpoint above " + Integer.toHexString(h));
                assertEquals(h, RandomValues.toHalf(Math.nextDown(mid)) & 0xFFFF);
                assertEquals(h + 1, RandomValues.toHalf(Math.nextUp(mid)) & 0xFFFF);
            }
        }
        assertEquals(0x7BFF, RandomValues.toHalf(65519.99f) & 0xFFFF);
        assertEquals(0x7C00, RandomValues.toHalf(65520f) & 0xFFFF);
        assertEquals(0x7C00, RandomValues.toHalf(Float.POSITIVE_INFINITY) & 0xFFFF);
        assertEquals(0, RandomValues.toHalf(0x1p-26f)); // below half of the smallest subnormal: zero
        assertTrue(Float.isNaN(DType.halfToFloat(RandomValues.toHalf(Float.NaN))));
    }

    @Test
    void bfloat16RoundsToNearestEven() {
        for (int b = 0; b < 0x7F80; b += 7) {
            float f = DType.bfloat16ToFloat((short) b);
            assertEquals(b, RandomValues.toBfloat16(f) & 0xFFFF);
            int bits = Float.floatToRawIntBits(f);
            float mid = Float.intBitsToFloat(bits | 0x8000); // exactly halfway to the next bfloat16
            int even = (b & 1) == 0 ? b : b + 1;
            assertEquals(even, RandomValues.toBfloat16(mid) & 0xFFFF, "midpoint above " + Integer.toHexString(b));
            assertEquals(b + 1, RandomValues.toBfloat16(Math.nextUp(mid)) & 0xFFFF);
            assertEquals(b, RandomValues.toBfloat16(Math.nextDown(mid)) & 0xFFFF);
        }
        assertTrue(Float.isNaN(DType.bfloat16ToFloat(RandomValues.toBfloat16(Float.NaN))));
    }

    @Test
    void matricesHaveMeanZeroAndTheConfiguredStdNormsSitAroundOne() {
        TensorSpec matrix = TensorSpec.matrix("m", 1024, 1024);
        float[] v = RandomValues.values(7, matrix, 0.02, 0, RandomValues.CHUNK);
        double sum = 0;
        double sq = 0;
        float max = 0;
        for (float x : v) {
            sum += x;
            sq += (double) x * x;
            max = Math.max(max, Math.abs(x));
        }
        double mean = sum / v.length;
        double std = Math.sqrt(sq / v.length - mean * mean);
        assertEquals(0, mean, 1e-4);
        assertEquals(0.02, std, 2e-4);
        assertTrue(max <= 0.02 * Math.sqrt(12) + 1e-6, "Irwin-Hall(4) is bounded by 2·sqrt(3) std: " + max);
        assertTrue(max > 0.02 * 2.5, "tails reach beyond 2.5 std: " + max);
        float[] norm = RandomValues.values(7, TensorSpec.norm("n", 4096), 0.02, 0, 4096);
        for (float x : norm) {
            assertTrue(Math.abs(x - 1) < 0.07, "norm weight " + x);
        }
    }

    @Test
    void chunksAreIndependentOfHowARangeIsCut() {
        TensorSpec t = TensorSpec.matrix("model.layers.0.mlp.up_proj.weight", 3, RandomValues.CHUNK);
        long from = RandomValues.CHUNK - 5L;
        float[] across = RandomValues.values(1, t, 0.02, from, 10);
        float[] chunk0 = new float[RandomValues.CHUNK];
        float[] chunk1 = new float[RandomValues.CHUNK];
        RandomValues.fillChunk(1, t, 0.02, 0, chunk0, RandomValues.CHUNK);
        RandomValues.fillChunk(1, t, 0.02, 1, chunk1, 5);
        for (int i = 0; i < 5; i++) {
            assertEquals(chunk0[RandomValues.CHUNK - 5 + i], across[i]);
            assertEquals(chunk1[i], across[5 + i]);
        }
        assertNotEquals(chunk0[0], chunk1[0]);
        float[] otherSeed = RandomValues.values(2, t, 0.02, from, 10);
        float[] otherName = RandomValues.values(1, TensorSpec.matrix("x", 3, RandomValues.CHUNK), 0.02, from, 10);
        assertNotEquals(across[0], otherSeed[0]);
        assertNotEquals(across[0], otherName[0]);
        assertArrayEquals(across, RandomValues.values(1, t, 0.02, from, 10));
    }

    @Test
    void encodeWritesLittleEndianElements() {
        float[] src = {1f, -2.5f, 0.0199f};
        ByteBuffer bf = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN);
        RandomValues.encode(src, 3, DType.BF16, bf);
        assertEquals(0x3F80, bf.getShort(0) & 0xFFFF);
        assertEquals(0xC020, bf.getShort(2) & 0xFFFF);
        assertEquals(RandomValues.toBfloat16(0.0199f), bf.getShort(4));
        ByteBuffer f32 = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        RandomValues.encode(src, 3, DType.F32, f32);
        assertEquals(-2.5f, f32.getFloat(4));
        ByteBuffer f16 = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN);
        RandomValues.encode(src, 3, DType.F16, f16);
        assertEquals(0x3C00, f16.getShort(0) & 0xFFFF);
    }
}
