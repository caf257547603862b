package org.mechinterp.sae.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.io.SafetensorsWriter;

/** .npy, .safetensors and in-memory imports round-trip; malformed matrices are refused with clear messages. */
class ActivationImportTest {
    static final int N = 257;
    static final int D = 5;

    @TempDir
    Path tmp;

    private static double[] data(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] v = new double[N * D];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextGaussian() * 3 + 0.1234567890123;
        }
        return v;
    }

    /** Writes a .npy file by hand, byte for byte as numpy.save does (header padded to 64 bytes, ends in \n). */
    static byte[] npy(int major, String descr, String fortran, String shape, byte[] payload) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
        int prefix = major == 1 ? 10 : 12;
        int total = (prefix + dict.length() + 1 + 63) / 64 * 64;
        StringBuilder h = new StringBuilder(dict);
        while (prefix + h.length() + 1 < total) {
            h.append(' ');
        }
        h.append('\n');
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        ByteBuffer len = ByteBuffer.allocate(major == 1 ? 2 : 4).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) {
            len.putShort((short) h.length());
        } else {
            len.putInt(h.length());
        }
        out.writeBytes(len.array());
        out.writeBytes(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(payload);
        return out.toByteArray();
    }

    static byte[] f4(double[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (double x : v) {
            b.putFloat((float) x);
        }
        return b.array();
    }

    static byte[] f8(double[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (double x : v) {
            b.putDouble(x);
        }
        return b.array();
    }

    private StoreManifest importFile(Path file, String tensor, Path out) throws IOException {
        ActivationImport.Builder b = ActivationImport.builder().setSource(file).setOut(out).optShardRows(100)
                .optProgress(false);
        if (tensor != null) {
            b.optTensor(tensor);
        }
        return b.build().run();
    }

    /** Every stored row equals (float) of the source value; metadata is row index / 0 / −1. */
    private static void checkStore(Path out, String hook, double[] v) throws IOException {
        try (StoreReader r = StoreReader.open(out)) {
            r.verifyAll();
            assertEquals(N, r.rows());
            assertEquals(D, r.dim(hook));
            assertEquals(3, r.manifest().shards().size()); // 100 + 100 + 57
            RowBlock b = r.read(hook, 0, N);
            for (int i = 0; i < N * D; i++) {
                assertEquals((float) v[i], b.activations()[i], 0f, "element " + i);
            }
            for (int i = 0; i < N; i++) {
                assertEquals(i, b.promptIds()[i]);
                assertEquals(0, b.positions()[i]);
                assertEquals(-1, b.tokenIds()[i]);
            }
            assertTrue(r.labelNames().isEmpty());
        }
    }

    @Test
    void npyFloat32AndFloat64RoundTrip() throws IOException {
        double[] v = data(1);
        Path f4 = tmp.resolve("a.npy");
        Files.write(f4, npy(1, "<f4", "False", "(" + N + ", " + D + ")", f4(v)));
        StoreManifest m = importFile(f4, null, tmp.resolve("s4"));
        assertEquals("import", m.source().kind());
        assertEquals(Checksums.sha256(f4), m.source().sha256());
        checkStore(tmp.resolve("s4"), ActivationImport.DEFAULT_HOOK, v);

        Path f8 = tmp.resolve("b.npy");
        Files.write(f8, npy(2, "<f8", "False", "(" + N + ", " + D + ")", f8(v))); // version 2 header too
        importFile(f8, null, tmp.resolve("s8"));
        checkStore(tmp.resolve("s8"), ActivationImport.DEFAULT_HOOK, v);
    }

    /**
     * Importing into an existing store says so (not "holds no manifest"); an interrupted import (the disk filled
     * after the manifest was written) does not block the retry, which starts over.
     */
    @Test
    void existingStoresAreNamedAndInterruptedImportsAreRedone() throws IOException {
        double[] v = data(3);
        Path f4 = tmp.resolve("a.npy");
        Files.write(f4, npy(1, "<f4", "False", "(" + N + ", " + D + ")", f4(v)));
        Path out = tmp.resolve("s");
        importFile(f4, null, out);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> importFile(f4, null, out));
        assertTrue(e.getMessage().contains("already holds a complete activation store (" + N + " rows"),
                e.getMessage());

        // what a failed import leaves: the initial manifest (complete false, no shards) and a temporary file
        String manifest = Files.readString(out.resolve(StoreManifest.FILE_NAME));
        try (var files = Files.list(out)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.writeString(out.resolve(StoreManifest.FILE_NAME), manifest.replace("\"complete\": true",
                "\"complete\": false"));
        Files.writeString(out.resolve(".shard-00000.safetensors.x1.tmp"), "partial");
        importFile(f4, null, out);
        checkStore(out, ActivationImport.DEFAULT_HOOK, v);
    }

    @Test
    void npyFloat16IsWidenedExactly() throws IOException {
        // halves chosen by bit pattern: 1.0, -2.5, 65504 (max), 2^-24 (smallest subnormal), 0.333 rounded
        short[] bits = {0x3C00, (short) 0xC100, 0x7BFF, 0x0001, 0x3555};
        float[] want = {1f, -2.5f, 65504f, 0x1p-24f, 0.33325195f};
        ByteBuffer b = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : bits) {
            b.putShort(s);
        }
        Path f = tmp.resolve("h.npy");
        Files.write(f, npy(1, "<f2", "False", "(1, 5)", b.array()));
        importFile(f, null, tmp.resolve("s"));
        try (StoreReader r = StoreReader.open(tmp.resolve("s"))) {
            assertArrayEquals(want, r.read(ActivationImport.DEFAULT_HOOK, 0, 1).row(0));
        }
    }

    @Test
    void safetensorsRoundTripWithAndWithoutTensorName() throws IOException {
        double[] v = data(2);
        float[] fv = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            fv[i] = (float) v[i];
        }
        Path one = tmp.resolve("one.safetensors");
        new SafetensorsWriter().addF32("resid", fv, N, D).addF32("scale", new float[] {1, 2}, 2).write(one);
        importFile(one, null, tmp.resolve("s1")); // the only 2-D tensor is chosen
        checkStore(tmp.resolve("s1"), "resid", v);

        Path two = tmp.resolve("two.safetensors");
        new SafetensorsWriter().addF32("a", new float[] {1, 2, 3, 4}, 2, 2).addF32("b", fv, N, D).write(two);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> importFile(two, null, tmp.resolve("s2")));
        assertTrue(e.getMessage().contains("2 2-D tensors") && e.getMessage().contains("--tensor"), e.getMessage());
        importFile(two, "b", tmp.resolve("s3"));
        checkStore(tmp.resolve("s3"), "b", v);
        e = assertThrows(IllegalArgumentException.class, () -> importFile(two, "c", tmp.resolve("s4")));
        assertTrue(e.getMessage().contains("no tensor 'c'"), e.getMessage());
    }

    @Test
    void inMemoryMatrixRoundTrips() throws IOException {
        double[] v = data(3);
        float[] fv = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            fv[i] = (float) v[i];
        }
        ActivationImport.builder().setMatrix(fv, N, D).setOut(tmp.resolve("s")).optShardRows(100)
                .optProgress(false).build().run();
        checkStore(tmp.resolve("s"), ActivationImport.DEFAULT_HOOK, v);
    }

    @Test
    void malformedNpyIsRefusedWithClearMessages() throws IOException {
        double[] v = data(4);
        String shape = "(" + N + ", " + D + ")";
        assertRefused(npy(1, "<f4", "True", shape, f4(v)), "fortran_order");
        assertRefused(npy(1, ">f4", "False", shape, f4(v)), "big-endian");
        assertRefused(npy(1, "<i4", "False", shape, f4(v)), "'<i4' is not supported");
        assertRefused(npy(1, "<f4", "False", "(" + N * D + ",)", f4(v)), "not 2-D");
        assertRefused(npy(1, "<f4", "False", "(1, " + N + ", " + D + ")", f4(v)), "not 2-D");
        assertRefused(Arrays.copyOf(npy(1, "<f4", "False", shape, f4(v)), 64 + N * D * 4 - 3), "truncated");
        assertRefused(npy(7, "<f4", "False", shape, f4(v)), "version 7");
        byte[] good = npy(1, "<f4", "False", shape, f4(v));
        good[1] = 'X';
        assertRefused(good, "magic");
        assertRefused("{'descr': '<f4'}".getBytes(StandardCharsets.US_ASCII), "magic");
    }

    private void assertRefused(byte[] file, String expected) throws IOException {
        Path f = tmp.resolve("bad.npy");
        Files.write(f, file);
        Path out = tmp.resolve("bad-store");
        Exception e = assertThrows(Exception.class, () -> importFile(f, null, out));
        assertTrue(e instanceof IllegalArgumentException || e instanceof java.io.EOFException, e.toString());
        assertTrue(e.getMessage().contains(expected) && e.getMessage().contains("bad.npy"), e.getMessage());
        assertTrue(!Files.exists(out), "no store is created for a bad matrix");
    }
}
