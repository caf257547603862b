package org.mechinterp.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {

    @TempDir
    Path tmp;

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void roundTripsAllWrittenDtypes() throws Exception {
        float[] f = {0f, -1.25f, Float.MAX_VALUE, Float.MIN_VALUE, Float.NEGATIVE_INFINITY, 3.5e-20f};
        long[] l = {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE};
        int[] i = {Integer.MIN_VALUE, 7, Integer.MAX_VALUE};
        Path file = tmp.resolve("rt.safetensors");
        new SafetensorsWriter()
                .metadata("format", "pt")
                .metadata("note", "ünïcödé <html> & \"quotes\"")
                .addF32("layers.0.w", f, 2, 3)
                .addI64("ids", l, 4)
                .addI32("pos", i, 1, 3)
                .addF32("scalar", new float[] {9f})
                .addF32("empty", new float[0], 0, 5)
                .write(file);
        try (SafetensorsFile sf = SafetensorsFile.open(file)) {
            assertEquals(List.of("layers.0.w", "ids", "pos", "scalar", "empty"), List.copyOf(sf.names()));
            assertEquals(Map.of("format", "pt", "note", "ünïcödé <html> & \"quotes\""), sf.metadata());
            assertArrayEquals(f, sf.readFloats("layers.0.w"));
            assertArrayEquals(new long[] {2, 3}, sf.info("layers.0.w").shape());
            assertArrayEquals(l, sf.readLongs("ids"));
            assertArrayEquals(i, sf.readInts("pos"));
            assertArrayEquals(new long[] {-2147483648L, 7, 2147483647L}, sf.readLongs("pos"));
            assertEquals(DType.I32, sf.info("pos").dtype());
            assertArrayEquals(new float[] {9f}, sf.readFloats("scalar"));
            assertEquals(0, sf.info("scalar").rank());
            assertArrayEquals(new long[] {0, 5}, sf.info("empty").shape());
            // Contiguous layout in insertion order.
            assertEquals(0, sf.info("layers.0.w").dataBegin());
            assertEquals(24, sf.info("ids").dataBegin());
            assertEquals(56, sf.info("pos").dataBegin());
        }
    }

    @Test
    void headerIsSpacePaddedToMultipleOfEight() throws Exception {
        for (int n = 1; n <= 9; n++) {
            Path file = tmp.resolve("pad" + n + ".safetensors");
            new SafetensorsWriter().addF32("x".repeat(n), new float[] {1f}, 1).write(file);
            byte[] bytes = Files.readAllBytes(file);
            long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertEquals(0, headerLength % 8, "header length " + headerLength);
            String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
            assertTrue(header.startsWith("{") && header.strip().endsWith("}"), header);
            assertTrue(header.substring(header.lastIndexOf('}') + 1).chars().allMatch(c -> c == ' '), header);
            assertEquals(8 + headerLength + 4, bytes.length);
        }
    }

    @Test
    void rejectsBadArguments() {
        SafetensorsWriter w = new SafetensorsWriter().addF32("a", new float[4], 2, 2);
        assertThrows(IllegalArgumentException.class, () -> w.addF32("b", new float[3], 2, 2));
        assertThrows(IllegalArgumentException.class, () -> w.addI64("c", new long[2], 3));
        assertThrows(IllegalArgumentException.class, () -> w.addI32("d", new int[1], -1));
        assertThrows(IllegalArgumentException.class, () -> w.addF32("a", new float[1], 1));
        assertThrows(IllegalArgumentException.class, () -> w.addF32("__metadata__", new float[1], 1));
        assertThrows(IllegalArgumentException.class, () -> w.addF32("", new float[1], 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.addF32("x", new float[5]));
        assertTrue(e.getMessage().contains("'x'"), e.getMessage());
    }

    @Test
    void atomicWriteLeavesNoTempFilesAndReplaces() throws Exception {
        Path file = tmp.resolve("model.safetensors");
        new SafetensorsWriter().addF32("w", new float[] {1f}, 1).write(file);
        new SafetensorsWriter().addF32("w", new float[] {2f, 3f}, 2).write(file);
        assertEquals(List.of("model.safetensors"), listing());
        try (SafetensorsFile sf = SafetensorsFile.open(file)) {
            assertArrayEquals(new float[] {2f, 3f}, sf.readFloats("w"));
        }
    }

    @Test
    void failedWriteCleansUpAndLeavesTargetUntouched() throws Exception {
        // The rename cannot replace a non-empty directory, so the write fails at the last step.
        Path target = tmp.resolve("occupied");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep.txt"), "precious");
        assertThrows(IOException.class,
                () -> new SafetensorsWriter().addF32("w", new float[] {1f}, 1).write(target));
        assertEquals(List.of("occupied"), listing());
        assertEquals("precious", Files.readString(target.resolve("keep.txt")));

        // A missing folder fails before anything is written.
        assertThrows(IOException.class, () -> new SafetensorsWriter().addF32("w", new float[] {1f}, 1)
                .write(tmp.resolve("no-such-dir").resolve("x.safetensors")));
        assertEquals(List.of("occupied"), listing());
    }
}
