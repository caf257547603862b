package org.mechinterp.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DTypeTest {

    @TempDir
    Path tmp;

    @Test
    void byteSizesAndParsing() throws Exception {
        assertEquals(8, DType.F64.byteSize());
        assertEquals(4, DType.F32.byteSize());
        assertEquals(2, DType.F16.byteSize());
        assertEquals(2, DType.BF16.byteSize());
        assertEquals(8, DType.I64.byteSize());
        assertEquals(1, DType.BOOL.byteSize());
        for (DType t : DType.values()) {
            assertEquals(t, DType.parse(t.name()));
        }
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> DType.parse("F8_E4M3"));
        assertTrue(e.getMessage().contains("F8_E4M3"), e.getMessage());
        assertThrows(SafetensorsFormatException.class, () -> DType.parse("f32"));
    }

    @Test
    void halfSpecialValues() {
        assertEquals(1.0f, DType.halfToFloat((short) 0x3C00));
        assertEquals(-2.5f, DType.halfToFloat((short) 0xC100));
        assertEquals(65504f, DType.halfToFloat((short) 0x7BFF)); // largest finite half
        assertEquals(0x1p-24f, DType.halfToFloat((short) 0x0001)); // smallest subnormal
        assertEquals(1023 * 0x1p-24f, DType.halfToFloat((short) 0x03FF)); // largest subnormal
        assertEquals(0x1p-14f, DType.halfToFloat((short) 0x0400)); // smallest normal
        assertEquals(0.333251953125f, DType.halfToFloat((short) 0x3555));
        assertEquals(Float.POSITIVE_INFINITY, DType.halfToFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, DType.halfToFloat((short) 0xFC00));
        assertTrue(Float.isNaN(DType.halfToFloat((short) 0x7E00)));
        assertTrue(Float.isNaN(DType.halfToFloat((short) 0x7C01)));
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(DType.halfToFloat((short) 0x8000)));
        assertEquals(Float.floatToRawIntBits(0.0f), Float.floatToRawIntBits(DType.halfToFloat((short) 0x0000)));
    }

    /** Every one of the 65536 halves against the textbook formula evaluated in double. */
    @Test
    void halfExhaustive() {
        for (int bits = 0; bits < 0x10000; bits++) {
            int sign = bits >>> 15;
            int exp = (bits >>> 10) & 0x1F;
            int mant = bits & 0x3FF;
            float actual = DType.halfToFloat((short) bits);
            if (exp == 0x1F) {
                assertTrue(mant == 0 ? Float.isInfinite(actual) : Float.isNaN(actual), Integer.toHexString(bits));
                continue;
            }
            double magnitude = exp == 0 ? mant * Math.pow(2, -24) : (1 + mant / 1024.0) * Math.pow(2, exp - 15);
            double expected = sign == 1 ? -magnitude : magnitude;
            assertEquals((float) expected, actual, 0f, Integer.toHexString(bits));
            assertEquals(sign == 1, (Float.floatToRawIntBits(actual) >>> 31) == 1, Integer.toHexString(bits));
        }
    }

    @Test
    void bfloat16Values() {
        assertEquals(1.0f, DType.bfloat16ToFloat((short) 0x3F80));
        assertEquals(-2.5f, DType.bfloat16ToFloat((short) 0xC020));
        assertEquals(3.140625f, DType.bfloat16ToFloat((short) 0x4049));
        assertEquals(Float.POSITIVE_INFINITY, DType.bfloat16ToFloat((short) 0x7F80));
        assertEquals(Float.NEGATIVE_INFINITY, DType.bfloat16ToFloat((short) 0xFF80));
        assertTrue(Float.isNaN(DType.bfloat16ToFloat((short) 0x7FC0)));
        assertEquals(0x1p-133f, DType.bfloat16ToFloat((short) 0x0001)); // smallest bf16 subnormal
        assertEquals(Float.MAX_VALUE, DType.bfloat16ToFloat((short) 0x7F7F), Math.ulp(Float.MAX_VALUE) * 65536);
    }

    @Test
    void f16AndBf16DecodedFromFile() throws Exception {
        int[] halves = {0x3C00, 0xC100, 0x7BFF, 0x0001, 0x7C00, 0xFC00, 0x7E00, 0x8000};
        int[] bhalves = {0x3F80, 0xC020, 0x4049, 0x7F80, 0x7FC0, 0x0001};
        String header = "{" + RawSafetensors.entry("h", "F16", "[2,4]", 0, 16) + ","
                + RawSafetensors.entry("b", "BF16", "[6]", 16, 28) + ","
                + RawSafetensors.entry("d", "F64", "[2]", 32, 48) + "}";
        byte[] data = new byte[48];
        System.arraycopy(RawSafetensors.shorts(halves), 0, data, 0, 16);
        System.arraycopy(RawSafetensors.shorts(bhalves), 0, data, 16, 12);
        System.arraycopy(RawSafetensors.doubles(0.1, -1e300), 0, data, 32, 16);
        Path file = RawSafetensors.write(tmp.resolve("half.safetensors"), header, data);
        try (SafetensorsFile sf = SafetensorsFile.open(file)) {
            float[] h = sf.readFloats("h");
            assertEquals(8, h.length);
            assertArrayEquals(new float[] {1f, -2.5f, 65504f, 0x1p-24f, Float.POSITIVE_INFINITY,
                    Float.NEGATIVE_INFINITY}, java.util.Arrays.copyOf(h, 6));
            assertTrue(Float.isNaN(h[6]));
            assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(h[7]));
            float[] b = sf.readFloats("b");
            assertArrayEquals(new float[] {1f, -2.5f, 3.140625f, Float.POSITIVE_INFINITY},
                    java.util.Arrays.copyOf(b, 4));
            assertTrue(Float.isNaN(b[4]));
            assertEquals(0x1p-133f, b[5]);
            assertArrayEquals(new float[] {0.1f, Float.NEGATIVE_INFINITY}, sf.readFloats("d"));
        }
    }
}
