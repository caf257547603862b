package org.mechinterp.sae.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreBatchesTest {
    static final int N = 1000;
    static final int D = 6;
    static final int PROMPT = 10;

    @TempDir
    Path tmp;

    private Path store() throws IOException {
        Path dir = tmp.resolve("s");
        // shards of 130 rows (13 prompts) so chunks of 64 rows straddle shard boundaries
        StoreTestSupport.synthetic(dir, N, D, PROMPT, 130, new int[0], 1f);
        return dir;
    }

    private static StoreBatches.Builder base(Path dir) {
        return StoreBatches.builder().setStore(dir).setHook("x");
    }

    /** Reads {@code total} rows in batches of {@code batch}, returning row indices; checks data matches metadata. */
    private static List<Long> drain(StoreBatches b, int total, int batch) throws IOException {
        List<Long> rows = new ArrayList<>();
        RowBlock block = b.newBlock(batch);
        int left = total;
        while (left > 0) {
            int n = Math.min(batch, left);
            b.next(block, n);
            for (int i = 0; i < n; i++) {
                long r = block.rowIndices()[i];
                rows.add(r);
                for (int j = 0; j < D; j++) {
                    assertEquals(StoreTestSupport.value((int) r, j), block.activations()[i * D + j], 0f);
                }
                assertEquals(r / PROMPT, block.promptIds()[i]);
                assertEquals(r % PROMPT, block.positions()[i]);
                assertEquals(7 * r, block.tokenIds()[i]);
                assertEquals(-r, block.label(i, 0), 0f);
            }
            left -= n;
        }
        return rows;
    }

    @Test
    void shuffledEpochServesEveryRowExactlyOnce() throws IOException {
        try (StoreBatches b = base(store()).optShuffle(7, 64).build()) {
            // batch 37 straddles chunk (64) and epoch (1000) boundaries
            List<Long> rows = drain(b, 3 * N, 37);
            for (int e = 0; e < 3; e++) {
                List<Long> epoch = rows.subList(e * N, (e + 1) * N);
                assertEquals(N, new HashSet<>(epoch).size(), "epoch " + e + " repeats rows");
            }
            assertNotEquals(rows.subList(0, N), rows.subList(N, 2 * N), "epochs must be shuffled differently");
            List<Long> sorted = new ArrayList<>(rows.subList(0, N));
            sorted.sort(null);
            assertNotEquals(sorted, rows.subList(0, N), "rows must not come in store order");
            assertEquals(2, b.epoch(), "the epoch advances when its next row is requested");
            b.next(new float[D], 1);
            assertEquals(3, b.epoch());
        }
    }

    @Test
    void shuffleIsDeterministicPerSeedAndDiffersAcrossSeeds() throws IOException {
        Path dir = store();
        List<Long> a;
        List<Long> a2;
        List<Long> c;
        try (StoreBatches b = base(dir).optShuffle(1, 100).build()) {
            a = drain(b, 1500, 64);
        }
        try (StoreBatches b = base(dir).optShuffle(1, 100).build()) {
            a2 = drain(b, 1500, 17);
        }
        try (StoreBatches b = base(dir).optShuffle(2, 100).build()) {
            c = drain(b, 1500, 64);
        }
        assertEquals(a, a2, "same seed, different batch sizes: same row order");
        assertNotEquals(a, c);
    }

    @Test
    void unshuffledIsStoreOrderAndWraps() throws IOException {
        try (StoreBatches b = base(store()).build()) {
            List<Long> rows = drain(b, N + 5, 128);
            for (int i = 0; i < rows.size(); i++) {
                assertEquals(i % N, rows.get(i).longValue());
            }
        }
    }

    @Test
    void seekToPositionContinuesIdentically() throws IOException {
        Path dir = store();
        try (StoreBatches b = base(dir).optShuffle(3, 128).optDropBos(true).build();
                StoreBatches other = base(dir).optShuffle(3, 128).optDropBos(true).build()) {
            drain(b, 1234, 50); // into the second epoch, mid-chunk
            String pos = b.position();
            float[] expected = new float[700 * D];
            b.next(expected, 700);
            other.seek(pos);
            float[] got = new float[700 * D];
            other.next(got, 700);
            assertArrayEquals(expected, got);
            assertEquals(b.position(), other.position());
            // seeking back on the same stream replays too
            b.seek(pos);
            float[] again = new float[700 * D];
            b.next(again, 700);
            assertArrayEquals(expected, again);
        }
    }

    @Test
    void seekRejectsTokensOfOtherSettings() throws IOException {
        Path dir = store();
        try (StoreBatches b = base(dir).optShuffle(3, 128).build();
                StoreBatches other = base(dir).optShuffle(4, 128).build()) {
            String pos = b.position();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> other.seek(pos));
            assertTrue(e.getMessage().contains("other settings"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> other.seek("{not json"));
        }
    }

    @Test
    void dropBosRemovesPositionZeroOnly() throws IOException {
        try (StoreBatches b = base(store()).optShuffle(5, 200).optDropBos(true).build()) {
            int perEpoch = N - N / PROMPT;
            List<Long> rows = drain(b, perEpoch, 64);
            Set<Long> set = new HashSet<>(rows);
            assertEquals(perEpoch, set.size());
            for (long r = 0; r < N; r++) {
                assertEquals(r % PROMPT != 0, set.contains(r), "row " + r);
            }
        }
    }

    @Test
    void maxNormFilterMatchesBruteForce() throws IOException {
        Path dir = tmp.resolve("big");
        int[] big = {15, 333, 777};
        StoreTestSupport.synthetic(dir, N, D, PROMPT, 130, big, 1000f);
        double multiple = 1.5;
        // brute force: exact median of all non-BOS row norms (the sample covers all rows: N < 4096)
        double[] norms = new double[N];
        List<Double> nonBos = new ArrayList<>();
        for (int r = 0; r < N; r++) {
            double s = 0;
            float scale = (r == 15 || r == 333 || r == 777) ? 1000f : 1f;
            for (int j = 0; j < D; j++) {
                double v = StoreTestSupport.value(r, j) * scale;
                s += v * v;
            }
            norms[r] = Math.sqrt(s);
            if (r % PROMPT != 0) {
                nonBos.add(norms[r]);
            }
        }
        nonBos.sort(null);
        int m = nonBos.size();
        double median = m % 2 == 1 ? nonBos.get(m / 2) : 0.5 * (nonBos.get(m / 2 - 1) + nonBos.get(m / 2));
        Set<Long> expected = new HashSet<>();
        for (int r = 0; r < N; r++) {
            if (r % PROMPT != 0 && norms[r] <= multiple * median) {
                expected.add((long) r);
            }
        }
        try (StoreBatches b = StoreBatches.builder().setStore(dir).setHook("x").optShuffle(9, 256)
                .optDropBos(true).optMaxNormMultiple(multiple).optLabels(false).build()) {
            assertEquals(median, b.medianNorm(), 1e-9 * median);
            Set<Long> got = new HashSet<>();
            RowBlock block = b.newBlock(expected.size());
            b.next(block, expected.size());
            for (int i = 0; i < block.rows(); i++) {
                got.add(block.rowIndices()[i]);
            }
            assertEquals(expected, got);
            for (int r : big) {
                assertFalse(got.contains((long) r), "outlier row " + r + " must be dropped");
            }
        }
    }

    @Test
    void sampledMedianIsCloseToTheTrueMedian() throws IOException {
        Path dir = store();
        try (StoreBatches b = base(dir).optMaxNormMultiple(10).optNormSampleRows(300).build()) {
            // norms grow ~linearly with the row index: the true median is ≈ the norm of row 500
            double trueMedian = 499.5 * Math.sqrt(D);
            assertEquals(trueMedian, b.medianNorm(), 0.1 * trueMedian);
            assertEquals(10 * b.medianNorm(), b.normThreshold(), 1e-12);
        }
    }

    @Test
    void badSettingsAreRejectedClearly() throws IOException {
        Path dir = store();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StoreBatches.builder().setStore(dir).setHook("nope").build());
        assertTrue(e.getMessage().contains("no hook 'nope'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> base(dir).optShuffle(1, 0).build());
        assertThrows(IllegalArgumentException.class, () -> base(dir).optMaxNormMultiple(-1));
        assertThrows(IllegalArgumentException.class, () -> StoreBatches.builder().setHook("x").build());
        try (StoreBatches b = base(dir).build()) {
            assertThrows(IllegalArgumentException.class, () -> b.next(new float[D], 2));
        }
    }

    @Test
    void sequentialReaderVisitsRowsInOrderWithMetadata() throws IOException {
        try (StoreReader r = StoreReader.open(store())) {
            assertEquals(N, r.rows());
            assertEquals(List.of("x"), r.hooks());
            RowBlock block = r.newBlock("x", 77);
            long seen = 0;
            for (long first = 0; first < r.rows(); first += 77) {
                int n = (int) Math.min(77, r.rows() - first);
                r.read("x", first, n, block);
                for (int i = 0; i < n; i++) {
                    long row = first + i;
                    assertEquals(row, block.rowIndices()[i]);
                    assertArrayEquals(new float[] {StoreTestSupport.value((int) row, 0),
                            StoreTestSupport.value((int) row, 1)}, Arrays.copyOf(block.row(i), 2));
                    assertEquals(-row, block.label(i, 0), 0f);
                }
                seen += n;
            }
            assertEquals(N, seen);
            assertThrows(IllegalArgumentException.class, () -> r.read("x", N - 1, 2, block));
        }
    }
}
