package org.mechinterp.sae.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Test support for other packages: writes a small store with one hook and label columns from plain arrays (the
 * store writer itself is package-private).
 */
public final class LabeledStoreFixture {
    private LabeledStoreFixture() {
    }

    /**
     * @param dir a new folder
     * @param hook hook name
     * @param acts activations [rows, d]
     * @param d width
     * @param promptIds prompt id of each row (rows of a prompt contiguous, positions 0.. within it)
     * @param labelNames label column names
     * @param labels [rows, labelNames.size()] (NaN = missing)
     */
    public static void write(Path dir, String hook, float[] acts, int d, long[] promptIds, List<String> labelNames,
            float[] labels) throws IOException {
        StoreManifest m = new StoreManifest();
        m.source = new StoreManifest.Source();
        m.source.kind = "test";
        m.hooks.add(new StoreManifest.Hook(hook, d));
        m.labelNames.addAll(labelNames);
        m.shardRows = 64;
        StoreWriter w = StoreWriter.create(dir, m);
        int nl = labelNames.size();
        int rows = promptIds.length;
        int pos = 0;
        for (int r = 0; r < rows; r++) {
            int i = w.reserve(1);
            System.arraycopy(acts, r * d, w.acts(0), i * d, d);
            w.promptIds()[i] = promptIds[r];
            w.positions()[i] = pos++;
            w.tokenIds()[i] = -1;
            System.arraycopy(labels, r * nl, w.labels(), i * nl, nl);
            if (r == rows - 1 || promptIds[r + 1] != promptIds[r]) {
                pos = 0;
                w.promptDone();
                if (w.pendingRows() >= m.shardRows) {
                    w.flush();
                }
            }
        }
        w.finish();
    }
}
