package org.mechinterp.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * .npy through ND4J against files numpy wrote ({@code tools/make_npy_fixtures.py}, values by the formula in
 * {@link Values}): every type and shape reads with numpy's shape and exact values, and what ND4J writes carries
 * numpy's data bytes and an equivalent header.
 */
class Nd4jNpyTest {
    private static final Map<DataType, String> NAMES = Map.of(DataType.FLOAT32, "f32", DataType.FLOAT16, "f16",
            DataType.FLOAT64, "f64", DataType.INT32, "i32", DataType.INT64, "i64", DataType.INT8, "i8",
            DataType.UINT8, "u8", DataType.BOOLEAN, "bool");

    static Path fixture(DataType t, long[] shape) throws URISyntaxException {
        String label = shape.length == 0 ? "scalar"
                : String.join("x", Arrays.stream(shape).mapToObj(Long::toString).toArray(String[]::new));
        return Path.of(Nd4jNpyTest.class.getResource("/npy/" + NAMES.get(t) + "_" + label + ".npy").toURI());
    }

    @Test
    void readsNumpyFilesOfEveryTypeAndShape() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            for (DataType t : Values.TYPES) {
                for (long[] shape : Values.SHAPES) {
                    Path f = fixture(t, shape);
                    String what = f.getFileName().toString();
                    INDArray x = Nd4jNpy.read(f);
                    assertArrayEquals(shape, x.shape(), what);
                    assertEquals(Nd4jTypes.toNd4j(t), x.dataType(), what);
                    assertArrayEquals(Values.values(t, x.length()), Values.read(x), what);
                    NDArray a = Nd4jNpy.read(f, m);
                    assertArrayEquals(shape, a.getShape().getShape(), what);
                    assertEquals(t, a.getDataType(), what);
                    assertArrayEquals(Values.values(t, a.size()), Values.read(a), what);
                }
            }
        }
    }

    @Test
    void readsFortranOrder() throws Exception {
        Path f = Path.of(Nd4jNpyTest.class.getResource("/npy/f32_3x4_fortran.npy").toURI());
        INDArray x = Nd4jNpy.read(f);
        assertArrayEquals(new long[] {3, 4}, x.shape());
        assertArrayEquals(Values.values(DataType.FLOAT32, 12), Values.read(x));
    }

    @Test
    void writesNumpysBytesForEveryTypeAndShape(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            for (DataType t : Values.TYPES) {
                for (long[] shape : Values.SHAPES) {
                    Path reference = fixture(t, shape);
                    String what = reference.getFileName().toString();
                    Path fromNd4j = dir.resolve("nd4j-" + what);
                    Nd4jNpy.write(Nd4jNpy.read(reference), fromNd4j);
                    Path fromDjl = dir.resolve("djl-" + what);
                    Nd4jNpy.write(Values.djl(m, t, shape), fromDjl);
                    for (Path written : new Path[] {fromNd4j, fromDjl}) {
                        Npy want = Npy.parse(reference);
                        Npy got = Npy.parse(written);
                        assertEquals(want.descr, got.descr, written.toString());
                        assertEquals(want.shape, got.shape, written.toString());
                        assertEquals("False", got.fortran, written.toString());
                        assertArrayEquals(want.data, got.data, written + ": data bytes");
                    }
                }
            }
        }
    }

    @Test
    void badFilesAreNamed(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("missing.npy");
        assertThrows(NoSuchFileException.class, () -> Nd4jNpy.read(missing));
        Path text = Files.writeString(dir.resolve("text.npy"), "hello, not numpy");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Nd4jNpy.read(text));
        assertTrue(e.getMessage().contains("text.npy") && e.getMessage().contains("magic"), e.getMessage());
        byte[] good = Files.readAllBytes(fixture(DataType.FLOAT32, new long[] {2, 3, 4}));
        Path cut = Files.write(dir.resolve("cut.npy"), Arrays.copyOf(good, good.length - 4));
        e = assertThrows(IllegalArgumentException.class, () -> Nd4jNpy.read(cut));
        assertTrue(e.getMessage().contains("cut.npy") && e.getMessage().contains("truncated"), e.getMessage());
        Path headerOnly = Files.write(dir.resolve("header.npy"), Arrays.copyOf(good, 20));
        e = assertThrows(IllegalArgumentException.class, () -> Nd4jNpy.read(headerOnly));
        assertTrue(e.getMessage().contains("header.npy"), e.getMessage());
    }

    @Test
    void writingReplacesAtomicallyAndLeavesNoTemporaryFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("a.npy");
        Files.writeString(f, "old");
        Nd4jNpy.write(Nd4jNpy.read(fixture(DataType.INT64, new long[] {7})), f);
        assertArrayEquals(Values.values(DataType.INT64, 7), Values.read(Nd4jNpy.read(f)));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void stridedAndFortranArraysAreWrittenInLogicalOrder(@TempDir Path dir) throws Exception {
        INDArray base = Nd4jNpy.read(fixture(DataType.FLOAT64, new long[] {3, 5}));
        INDArray[] cases = {base.transpose(), base.dup('f'),
            base.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3), org.nd4j.linalg.indexing.NDArrayIndex.all())};
        for (INDArray x : cases) {
            Path f = dir.resolve("x.npy");
            Nd4jNpy.write(x, f);
            INDArray back = Nd4jNpy.read(f);
            assertArrayEquals(x.shape(), back.shape());
            assertArrayEquals(Values.read(x), Values.read(back), x.shapeInfoToString());
            assertEquals("False", Npy.parse(f).fortran);
        }
    }

    /** A .npy file parsed independently of ND4J: header fields and the data bytes. */
    record Npy(String descr, String fortran, String shape, byte[] data) {
        private static final Pattern FIELD = Pattern.compile("'(descr|fortran_order|shape)'\\s*:\\s*('[^']*'|True|False|\\([^)]*\\))");

        static Npy parse(Path file) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            int major = b.get(6);
            int headerLength = major == 1 ? Short.toUnsignedInt(b.getShort(8)) : b.getInt(8);
            int start = major == 1 ? 10 : 12;
            String dict = new String(b.array(), start, headerLength, StandardCharsets.ISO_8859_1);
            Matcher m = FIELD.matcher(dict);
            String descr = null;
            String fortran = null;
            String shape = null;
            while (m.find()) {
                switch (m.group(1)) {
                    case "descr": descr = m.group(2); break;
                    case "fortran_order": fortran = m.group(2); break;
                    default: shape = m.group(2).replaceAll("\\s", "").replace(",)", ")");
                }
            }
            return new Npy(descr, fortran, shape,
                    Arrays.copyOfRange(b.array(), start + headerLength, b.capacity()));
        }
    }
}
