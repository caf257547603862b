package org.mechinterp.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {

    @TempDir
    Path tmp;

    private static final String VALID_ENTRY = RawSafetensors.entry("w", "F32", "[2]", 0, 8);

    /** Opens {@code file} expecting a format error and checks the message names the file and all words. */
    private static SafetensorsFormatException assertFormatError(Path file, String... words) {
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(file));
        String msg = e.getMessage();
        assertTrue(msg.contains(file.toString()), "message should name the file: " + msg);
        for (String w : words) {
            assertTrue(msg.toLowerCase(Locale.ROOT).contains(w.toLowerCase(Locale.ROOT)),
                    "message should contain '" + w + "': " + msg);
        }
        return e;
    }

    private Path raw(String name, String header, byte[] data) throws Exception {
        return RawSafetensors.write(tmp.resolve(name), header, data);
    }

    @Test
    void readsMetadataNamesInfoAndValues() throws Exception {
        String header = "{\"__metadata__\":{\"format\":\"pt\"}," + RawSafetensors.entry("b", "F32", "[2]", 0, 8)
                + "," + RawSafetensors.entry("a", "I64", "[1,1]", 8, 16) + ","
                + RawSafetensors.entry("s", "F32", "[]", 16, 20) + ","
                + RawSafetensors.entry("empty", "F32", "[0,3]", 20, 20) + "}";
        ByteBuffer data = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(1.5f).putFloat(-3f).putLong(-7L).putFloat(42f);
        Path file = raw("m.safetensors", header, data.array());
        try (SafetensorsFile sf = SafetensorsFile.open(file)) {
            assertEquals(file, sf.path());
            assertEquals(List.of("b", "a", "s", "empty"), List.copyOf(sf.names()));
            assertEquals("pt", sf.metadata().get("format"));
            assertTrue(sf.contains("a"));
            assertFalse(sf.contains("__metadata__"));
            TensorInfo a = sf.info("a");
            assertEquals(DType.I64, a.dtype());
            assertArrayEquals(new long[] {1, 1}, a.shape());
            assertArrayEquals(new int[] {1, 1}, a.intShape());
            assertEquals(8, a.dataBegin());
            assertEquals(16, a.dataEnd());
            assertEquals(1, a.numel());
            assertArrayEquals(new float[] {1.5f, -3f}, sf.readFloats("b"));
            assertArrayEquals(new long[] {-7L}, sf.readLongs("a"));
            assertArrayEquals(new int[] {-7}, sf.readInts("a"));
            assertEquals(0, sf.info("s").rank());
            assertArrayEquals(new float[] {42f}, sf.readFloats("s"));
            assertEquals(0, sf.readFloats("empty").length);
            assertEquals(8, sf.mapRaw("b").remaining());

            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> sf.info("nope"));
            assertTrue(unknown.getMessage().contains("nope") && unknown.getMessage().contains("'b'"),
                    unknown.getMessage());
            IllegalArgumentException wrongType = assertThrows(IllegalArgumentException.class, () -> sf.readFloats("a"));
            assertTrue(wrongType.getMessage().contains("'a'"), wrongType.getMessage());
            assertThrows(IllegalArgumentException.class, () -> sf.readLongs("b"));
        }
    }

    @Test
    void readsAfterCloseFail() throws Exception {
        Path file = raw("c.safetensors", "{" + VALID_ENTRY + "}", new byte[8]);
        SafetensorsFile sf = SafetensorsFile.open(file);
        sf.close();
        sf.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> sf.readFloats("w"));
    }

    @Test
    void tooShortFile() throws Exception {
        Path file = tmp.resolve("short.safetensors");
        Files.write(file, new byte[] {1, 2, 3});
        assertFormatError(file, "shorter than");
        Files.write(file, new byte[0]);
        assertFormatError(file, "0 bytes");
    }

    @Test
    void lyingHeaderLength() throws Exception {
        byte[] header = ("{" + VALID_ENTRY + "}").getBytes(StandardCharsets.UTF_8);
        Path tooLong = RawSafetensors.write(tmp.resolve("a.safetensors"), header.length + 100, header, new byte[8]);
        assertFormatError(tooLong, "lying header");
        Path huge = RawSafetensors.write(tmp.resolve("b.safetensors"), 200_000_000L, header, new byte[8]);
        assertFormatError(huge, "lying header", "200000000");
        Path negative = RawSafetensors.write(tmp.resolve("c.safetensors"), -1L, header, new byte[8]);
        assertFormatError(negative, "lying header", "18446744073709551615");
    }

    @Test
    void invalidJson() throws Exception {
        assertFormatError(raw("a.safetensors", "{\"w\": {", new byte[0]), "json");
        assertFormatError(raw("b.safetensors", "[1,2]", new byte[0]), "not a json object");
        assertFormatError(raw("c.safetensors", "{w: 1}", new byte[0]), "not valid json");
        assertFormatError(raw("d.safetensors", "{" + VALID_ENTRY + "} x", new byte[8]), "trailing");
        assertFormatError(raw("e.safetensors", "", new byte[0]), "json");
        Path badUtf8 = RawSafetensors.write(tmp.resolve("f.safetensors"), 2, new byte[] {(byte) 0xC3, (byte) 0x28},
                new byte[0]);
        assertFormatError(badUtf8, "utf-8");
        assertFormatError(raw("g.safetensors", "{\"w\": 5}", new byte[0]), "'w'", "object");
        assertFormatError(raw("h.safetensors", "{\"__metadata__\":{\"k\":1}}", new byte[0]), "__metadata__");
    }

    @Test
    void paddedHeaderWithTrailingSpacesIsAccepted() throws Exception {
        try (SafetensorsFile sf = SafetensorsFile.open(raw("p.safetensors", "{" + VALID_ENTRY + "}     ",
                RawSafetensors.floats(1f, 2f)))) {
            assertArrayEquals(new float[] {1f, 2f}, sf.readFloats("w"));
        }
    }

    @Test
    void missingFields() throws Exception {
        assertFormatError(raw("a.safetensors", "{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]),
                "'w'", "missing 'dtype'");
        assertFormatError(raw("b.safetensors", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", new byte[8]),
                "'w'", "missing 'shape'");
        assertFormatError(raw("c.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", new byte[8]),
                "'w'", "missing 'data_offsets'");
    }

    @Test
    void badFieldValues() throws Exception {
        assertFormatError(raw("a.safetensors", "{" + RawSafetensors.entry("w", "Q4", "[2]", 0, 8) + "}", new byte[8]),
                "'w'", "Q4");
        assertFormatError(raw("b.safetensors", "{" + RawSafetensors.entry("w", "F32", "[-2]", 0, 8) + "}",
                new byte[8]), "'w'", "negative dimension");
        assertFormatError(raw("c.safetensors", "{" + RawSafetensors.entry("w", "F32", "[0]", 8, 0) + "}",
                new byte[8]), "'w'", "end 0 < begin 8");
        assertFormatError(raw("d.safetensors", "{" + RawSafetensors.entry("w", "F32", "[2.5]", 0, 8) + "}",
                new byte[8]), "'w'", "integer");
        assertFormatError(raw("e.safetensors", "{" + RawSafetensors.entry("w", "F32", "[\"2\"]", 0, 8) + "}",
                new byte[8]), "'w'", "shape");
        assertFormatError(raw("f.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}",
                new byte[8]), "'w'", "exactly 2");
        assertFormatError(raw("g.safetensors", "{" + VALID_ENTRY + "," + VALID_ENTRY + "}", new byte[8]),
                "'w'", "twice");
    }

    @Test
    void shapeDisagreesWithByteRange() throws Exception {
        // 3 floats need 12 bytes, the range has 8.
        assertFormatError(raw("a.safetensors", "{" + RawSafetensors.entry("w", "F32", "[3]", 0, 8) + "}",
                new byte[8]), "'w'", "need 12 bytes", "span 8 bytes");
        // Right count for F16 but declared F32.
        assertFormatError(raw("b.safetensors", "{" + RawSafetensors.entry("w", "F32", "[4]", 0, 8) + "}",
                new byte[8]), "'w'", "F32");
    }

    @Test
    void offsetsBeyondDataAreTruncation() throws Exception {
        assertFormatError(raw("a.safetensors", "{" + RawSafetensors.entry("w", "F32", "[4]", 0, 16) + "}",
                new byte[8]), "'w'", "truncated");
    }

    @Test
    void overlappingRanges() throws Exception {
        String header = "{" + RawSafetensors.entry("a", "F32", "[2]", 0, 8) + ","
                + RawSafetensors.entry("b", "F32", "[2]", 4, 12) + "}";
        SafetensorsFormatException e = assertFormatError(raw("o.safetensors", header, new byte[12]), "overlaps");
        assertTrue(e.getMessage().contains("'a'") && e.getMessage().contains("'b'"), e.getMessage());
        // Empty tensors occupy no bytes and may share an offset with a neighbour.
        String ok = "{" + RawSafetensors.entry("a", "F32", "[2]", 0, 8) + ","
                + RawSafetensors.entry("e", "F32", "[0]", 4, 4) + "}";
        SafetensorsFile.open(raw("ok.safetensors", ok, new byte[8])).close();
    }

    @Test
    void truncatingAValidFileIsDetected() throws Exception {
        Path file = tmp.resolve("full.safetensors");
        new SafetensorsWriter().addF32("first", new float[] {1, 2, 3}, 3)
                .addF32("last.weight", new float[] {4, 5, 6, 7}, 2, 2).write(file);
        byte[] bytes = Files.readAllBytes(file);
        for (int cut = 1; cut <= 5; cut++) {
            Path truncated = tmp.resolve("cut" + cut + ".safetensors");
            Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - cut));
            assertFormatError(truncated, "truncated", "'last.weight'");
        }
        // Cutting into the header is reported as a lying or truncated header.
        Path headerCut = tmp.resolve("headercut.safetensors");
        Files.write(headerCut, java.util.Arrays.copyOf(bytes, 20));
        assertFormatError(headerCut, "truncated");
    }

    @Test
    void fileShrunkAfterOpenIsReportedOnRead() throws Exception {
        Path file = tmp.resolve("shrink.safetensors");
        new SafetensorsWriter().addF32("w", new float[] {1, 2}, 2).write(file);
        try (SafetensorsFile sf = SafetensorsFile.open(file)) {
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(raf.length() - 4);
            }
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> sf.readFloats("w"));
            assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("'w'"), e.getMessage());
        }
    }

    /** A sparse 3 GiB file: tensors beyond 2 GiB are readable, a single 2 GiB tensor is refused by name. */
    @Test
    void filesLargerThanTwoGibibytes() throws Exception {
        long far = 3L << 30;
        String header = "{" + RawSafetensors.entry("big", "U8", "[2147483648]", 0, 1L << 31) + ","
                + RawSafetensors.entry("far", "F32", "[2]", far, far + 8) + "}";
        Path file = RawSafetensors.write(tmp.resolve("sparse.safetensors"), header, new byte[0]);
        long dataStart = Files.size(file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(dataStart + far + 8); // sparse: no disk blocks for the hole
            raf.seek(dataStart + far);
            raf.write(RawSafetensors.floats(0.5f, -7f));
        }
        try (SafetensorsFile sf = SafetensorsFile.open(file)) {
            assertArrayEquals(new float[] {0.5f, -7f}, sf.readFloats("far"));
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> sf.readInts("big"));
            assertTrue(e.getMessage().contains("'big'") && e.getMessage().contains("2 GiB"), e.getMessage());
        }
    }

    @Test
    void readIntsRejectsI64OutOfRange() throws Exception {
        Path file = tmp.resolve("big.safetensors");
        new SafetensorsWriter().addI64("ids", new long[] {1, 1L << 40}, 2).write(file);
        try (SafetensorsFile sf = SafetensorsFile.open(file)) {
            assertArrayEquals(new long[] {1, 1L << 40}, sf.readLongs("ids"));
            assertThrows(IllegalArgumentException.class, () -> sf.readInts("ids"));
        }
    }

    /** The real F16 fixture, decoded independently: header parsed with Gson, bits converted by the formula. */
    @Test
    void realF16Checkpoint() throws Exception {
        Path file = org.mechinterp.core.testing.Fixtures.shared().resolve("fixtures/tiny-random-llama-fp16/model.safetensors");
        assumeTrue(Files.isRegularFile(file), "shared fixtures not available: " + file);
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) buf.getLong(0);
        JsonObject header = JsonParser.parseString(new String(bytes, 8, headerLength, StandardCharsets.UTF_8))
                .getAsJsonObject();
        try (SafetensorsFile sf = SafetensorsFile.open(file)) {
            assertEquals(header.keySet().stream().filter(k -> !k.equals("__metadata__")).count(), sf.names().size());
            String name = sf.names().stream().filter(n -> sf.info(n).numel() >= 16).findFirst().orElseThrow();
            JsonObject entry = header.getAsJsonObject(name);
            assertEquals("F16", entry.get("dtype").getAsString());
            assertEquals(DType.F16, sf.info(name).dtype());
            JsonArray offsets = entry.getAsJsonArray("data_offsets");
            int begin = 8 + headerLength + offsets.get(0).getAsInt();
            float[] values = sf.readFloats(name);
            assertEquals(sf.info(name).numel(), values.length);
            for (int i = 0; i < 16; i++) {
                int bits = buf.getShort(begin + 2 * i) & 0xFFFF;
                int exp = (bits >>> 10) & 0x1F;
                int mant = bits & 0x3FF;
                double mag = exp == 0 ? mant * Math.pow(2, -24) : (1 + mant / 1024.0) * Math.pow(2, exp - 15);
                double expected = (bits >>> 15) == 1 ? -mag : mag;
                assertEquals((float) expected, values[i], 0f, name + "[" + i + "]");
            }
        }
    }
}
