package org.mechinterp.sae.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Shared fixtures of the store tests: fixture locations and small synthetic stores with known content. */
final class StoreTestSupport {
    private StoreTestSupport() {
    }

    /** The shared fixtures folder (surefire sets interp.shared.dir; else ../shared or ../../shared). */
    static Path shared() {
        String prop = System.getProperty("interp.shared.dir");
        if (prop != null && Files.isDirectory(Path.of(prop))) {
            return Path.of(prop);
        }
        for (String c : List.of("../shared", "../../shared")) {
            if (Files.isDirectory(Path.of(c, "fixtures"))) {
                return Path.of(c);
            }
        }
        throw new IllegalStateException("shared fixtures folder not found (set -Dinterp.shared.dir)");
    }

    static Path stories() {
        return shared().resolve("fixtures/stories260K-llama");
    }

    /**
     * Writes a synthetic store with one hook "x" of width d: row r has value r + j/1000 at column j (so every row
     * is identifiable from its data), prompt id r / promptLen, position r % promptLen, token id 7·r, and one label
     * column "lab" = −r. Rows listed in {@code big} are scaled by {@code bigScale}.
     */
    static StoreManifest synthetic(Path dir, int rows, int d, int promptLen, int shardRows, int[] big, float bigScale)
            throws IOException {
        StoreManifest m = new StoreManifest();
        m.source = new StoreManifest.Source();
        m.source.kind = "test";
        m.hooks.add(new StoreManifest.Hook("x", d));
        m.labelNames.add("lab");
        m.shardRows = shardRows;
        StoreWriter w = StoreWriter.create(dir, m);
        for (int r = 0; r < rows; r++) {
            int i = w.reserve(1);
            float scale = 1f;
            for (int b : big) {
                if (b == r) {
                    scale = bigScale;
                }
            }
            for (int j = 0; j < d; j++) {
                w.acts(0)[i * d + j] = value(r, j) * scale;
            }
            w.promptIds()[i] = r / promptLen;
            w.positions()[i] = r % promptLen;
            w.tokenIds()[i] = 7 * r;
            w.labels()[i] = -r;
            if (r % promptLen == promptLen - 1 || r == rows - 1) {
                w.promptDone();
                if (w.pendingRows() >= shardRows) {
                    w.flush();
                }
            }
        }
        w.finish();
        return w.manifest();
    }

    static float value(int row, int col) {
        return row + col / 1000f;
    }
}
