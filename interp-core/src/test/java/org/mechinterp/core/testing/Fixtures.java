package org.mechinterp.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Locates the shared fixtures and the project's own test resources, and reads reference logit files. */
public final class Fixtures {
    private Fixtures() {}

    /** The {@code shared/} folder beside the checkout. */
    public static Path shared() {
        String configured = System.getProperty("interp.shared.dir");
        for (String candidate : new String[] {configured, "../shared", "../../shared"}) {
            if (candidate != null && Files.isDirectory(Paths.get(candidate, "fixtures"))) {
                return Paths.get(candidate).toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("shared/ fixtures not found (set -Dinterp.shared.dir)");
    }

    /** {@code shared/fixtures/<name>}. */
    public static Path fixture(String name) {
        Path p = shared().resolve("fixtures").resolve(name);
        assertTrue(Files.exists(p), "missing fixture " + p);
        return p;
    }

    /** The project root (where the parent pom is). */
    public static Path projectRoot() {
        String configured = System.getProperty("interp.project.dir");
        if (configured != null) {
            return Paths.get(configured).toAbsolutePath().normalize();
        }
        Path here = Paths.get("").toAbsolutePath();
        return Files.exists(here.resolve("interp-core")) ? here : here.getParent();
    }

    /** A checkpoint made by {@code tools/make_family_fixtures.py} under interp-core's test resources. */
    public static Path family(String name) {
        return projectRoot().resolve("interp-core/src/test/resources/families").resolve(name);
    }

    /** A reference logits file: {@code int32 T, int32 V, int32 tokens[T], float32 logits[T][V]}, little-endian. */
    public record ReferenceLogits(int[] tokens, float[][] logits) {
        public int length() {
            return tokens.length;
        }

        public int vocab() {
            return logits[0].length;
        }
    }

    public static ReferenceLogits readLogits(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int t = buf.getInt();
        int v = buf.getInt();
        assertEquals(8L + 4L * t + 4L * t * v, Files.size(file), "size of " + file);
        int[] tokens = new int[t];
        for (int i = 0; i < t; i++) {
            tokens[i] = buf.getInt();
        }
        float[][] logits = new float[t][v];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < v; j++) {
                logits[i][j] = buf.getFloat();
            }
        }
        return new ReferenceLogits(tokens, logits);
    }

    /** Largest |a − b| over two equally long arrays. */
    public static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length, "lengths");
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            if (Double.isNaN(d)) {
                return Double.NaN;
            }
            max = Math.max(max, d);
        }
        return max;
    }

    /** Index of the largest value. */
    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
