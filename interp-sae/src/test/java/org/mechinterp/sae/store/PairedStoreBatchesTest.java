package org.mechinterp.sae.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code optTargetHook}: rows [x | y] of the same token from two hooks (a transcoder's input and target), with
 * shuffling, BOS dropping, the norm filter on x, and exact resume; checked against the known content of each row.
 */
class PairedStoreBatchesTest {
    static final int N = 500;
    static final int DX = 4;
    static final int DY = 3;
    static final int PROMPT = 10;

    @TempDir
    Path tmp;

    /** Hook "x": row r = r + j/1000 (row 77 scaled by 50: a norm outlier); hook "y": row r = −(r + j/1000) − 0.5. */
    Path store() throws IOException {
        StoreManifest m = new StoreManifest();
        m.source = new StoreManifest.Source();
        m.source.kind = "test";
        m.hooks.add(new StoreManifest.Hook("x", DX));
        m.hooks.add(new StoreManifest.Hook("y", DY));
        m.shardRows = 128;
        StoreWriter w = StoreWriter.create(tmp.resolve("s"), m);
        for (int r = 0; r < N; r++) {
            int i = w.reserve(1);
            for (int j = 0; j < DX; j++) {
                w.acts(0)[i * DX + j] = StoreTestSupport.value(r, j) * (r == 77 ? 50f : 1f);
            }
            for (int j = 0; j < DY; j++) {
                w.acts(1)[i * DY + j] = -StoreTestSupport.value(r, j) - 0.5f;
            }
            w.promptIds()[i] = r / PROMPT;
            w.positions()[i] = r % PROMPT;
            w.tokenIds()[i] = r;
            if (r % PROMPT == PROMPT - 1 || r == N - 1) {
                w.promptDone();
                if (w.pendingRows() >= m.shardRows) {
                    w.flush();
                }
            }
        }
        w.finish();
        return tmp.resolve("s");
    }

    StoreBatches.Builder paired(Path dir) {
        return StoreBatches.builder().setStore(dir).setHook("x").optTargetHook("y").optShuffle(5, 64)
                .optDropBos(true).optMaxNormMultiple(10);
    }

    /** The store row a served row [x | y] came from, after checking that x and y belong to the same token. */
    static int rowOf(float[] v, int o) {
        int r = Math.round(v[o]);
        for (int j = 0; j < DX; j++) {
            assertEquals(StoreTestSupport.value(r, j), v[o + j], 1e-4, "x of row " + r);
        }
        for (int j = 0; j < DY; j++) {
            assertEquals(-StoreTestSupport.value(r, j) - 0.5f, v[o + DX + j], 1e-4, "y of row " + r);
        }
        return r;
    }

    @Test
    void servesBothHooksOfTheSameTokenOncePerEpoch() throws IOException {
        try (StoreBatches b = paired(store()).build()) {
            assertEquals(DX + DY, b.dim());
            assertEquals("y", b.targetHook());
            int perEpoch = N - N / PROMPT - 1; // BOS rows and the outlier row 77 are left out
            float[] v = new float[perEpoch * b.dim()];
            b.next(v, perEpoch);
            Set<Integer> seen = new HashSet<>();
            for (int i = 0; i < perEpoch; i++) {
                int r = rowOf(v, i * b.dim());
                assertTrue(r % PROMPT != 0 && r != 77, "row " + r + " should have been filtered");
                assertTrue(seen.add(r), "row " + r + " served twice in one epoch");
            }
            assertEquals(perEpoch, seen.size());
        }
    }

    @Test
    void seekContinuesIdenticallyAndRejectsUnpairedTokens() throws IOException {
        Path dir = store();
        try (StoreBatches a = paired(dir).build(); StoreBatches b = paired(dir).build();
                StoreBatches single = StoreBatches.builder().setStore(dir).setHook("x").optShuffle(5, 64)
                        .optDropBos(true).optMaxNormMultiple(10).build()) {
            float[] v = new float[100 * a.dim()];
            a.next(v, 100);
            String pos = a.position();
            float[] rest = new float[300 * a.dim()];
            a.next(rest, 300);
            b.seek(pos);
            float[] again = new float[300 * b.dim()];
            b.next(again, 300);
            assertTrue(java.util.Arrays.equals(rest, again));
            rowOf(again, 299 * b.dim());
            assertThrows(IllegalArgumentException.class, () -> single.seek(pos));
        }
    }

    @Test
    void badTargetHooksAreRefused() throws IOException {
        Path dir = store();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StoreBatches.builder().setStore(dir).setHook("x").optTargetHook("x").build());
        assertTrue(e.getMessage().contains("must differ"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> StoreBatches.builder().setStore(dir).setHook("x").optTargetHook("nope").build());
    }
}
