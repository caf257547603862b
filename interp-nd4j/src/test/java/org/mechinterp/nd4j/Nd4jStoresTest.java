package org.mechinterp.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.sae.store.ActivationImport;
import org.mechinterp.sae.store.RowBlock;
import org.mechinterp.sae.store.StoreManifest;
import org.mechinterp.sae.store.StoreReader;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Stores to and from ND4J, checked through interp-sae's own reader and its own (independent) .npy import: rows
 * imported from an INDArray read back as the matrix's values rounded to F32; rows exported through ND4J re-import
 * through ActivationImport's streaming .npy reader to the same store content.
 */
class Nd4jStoresTest {
    private static final int N = 300;
    private static final int D = 7;

    /** Element (i, j): a value that F64 holds exactly and F32 must round (thirds). */
    private static double value(int i, int j) {
        return (i * D + j - 1000) / 3.0;
    }

    private static INDArray matrix() {
        double[][] m = new double[N][D];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < D; j++) {
                m[i][j] = value(i, j);
            }
        }
        return Nd4j.createFromArray(m);
    }

    @Test
    void importExportRoundTrip(@TempDir Path dir) throws Exception {
        INDArray m = matrix();
        StoreManifest made = Nd4jStores.importFrom(m).setOut(dir.resolve("store")).optShardRows(128)
                .optProgress(false).build().run();
        assertEquals(N, made.totalRows());
        try (StoreReader store = StoreReader.open(dir.resolve("store"))) {
            String hook = ActivationImport.DEFAULT_HOOK;
            assertEquals(D, store.dim(hook));
            RowBlock all = store.read(hook, 0, N);
            for (int i = 0; i < N; i++) {
                for (int j = 0; j < D; j++) {
                    assertEquals((float) value(i, j), all.activations()[i * D + j], "row " + i);
                }
            }
            INDArray some = Nd4jStores.readRows(store, hook, 100, 150); // crosses a shard boundary (128, 256)
            assertArrayEquals(new long[] {150, D}, some.shape());
            assertEquals(DataType.FLOAT, some.dataType());
            for (int i = 0; i < 150; i++) {
                for (int j = 0; j < D; j++) {
                    assertEquals((float) value(100 + i, j), some.getFloat(i, j));
                }
            }
            Path npy = dir.resolve("rows.npy");
            Nd4jStores.exportNpy(store, hook, npy);
            byte[] data = Nd4jNpyTest.Npy.parse(npy).data();
            ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(4 * N * D, data.length);
            for (int k = 0; k < N * D; k++) {
                assertEquals(all.activations()[k], b.getFloat(4 * k));
            }
            // interp-sae's own streaming .npy reader takes ND4J's file to the same rows
            ActivationImport.builder().setSource(npy).setOut(dir.resolve("again")).optProgress(false).build().run();
            try (StoreReader again = StoreReader.open(dir.resolve("again"))) {
                assertArrayEquals(java.util.Arrays.copyOf(all.activations(), N * D),
                        java.util.Arrays.copyOf(again.read(hook, 0, N).activations(), N * D));
            }
        }
    }

    @Test
    void importsANpyFileOfAnyTypeAndOrderThroughNd4j(@TempDir Path dir) throws Exception {
        for (String name : new String[] {"f16_3x5.npy", "i32_3x5.npy", "f32_3x4_fortran.npy"}) {
            Path npy = Path.of(Nd4jStoresTest.class.getResource("/npy/" + name).toURI());
            Path out = dir.resolve(name);
            Nd4jStores.importFrom(npy).setOut(out).optProgress(false).build().run();
            INDArray want = Nd4jNpy.read(npy).castTo(DataType.FLOAT);
            try (StoreReader store = StoreReader.open(out)) {
                INDArray got = Nd4jStores.readRows(store, ActivationImport.DEFAULT_HOOK, 0, (int) store.rows());
                assertEquals(want, got, name);
            }
        }
    }

    @Test
    void badInputsAreNamed(@TempDir Path dir) throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Nd4jStores.importFrom(Nd4j.zeros(DataType.FLOAT, 2, 3, 4)));
        assertTrue(e.getMessage().contains("[2, 3, 4]"), e.getMessage());
        Path vector = Path.of(Nd4jStoresTest.class.getResource("/npy/f32_7.npy").toURI());
        e = assertThrows(IllegalArgumentException.class, () -> Nd4jStores.importFrom(vector));
        assertTrue(e.getMessage().contains("f32_7.npy"), e.getMessage());
        Nd4jStores.importFrom(matrix()).setOut(dir).optProgress(false).build().run();
        try (StoreReader store = StoreReader.open(dir)) {
            e = assertThrows(IllegalArgumentException.class,
                    () -> Nd4jStores.readRows(store, ActivationImport.DEFAULT_HOOK, N - 1, 2));
            assertTrue(e.getMessage().contains("outside"), e.getMessage());
        }
    }
}
