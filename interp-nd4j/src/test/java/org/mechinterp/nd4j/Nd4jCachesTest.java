package org.mechinterp.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.model.ActivationCache;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.testing.Fixtures;
import org.mechinterp.core.testing.Fixtures.ReferenceLogits;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A real cache (stories260K) seen from ND4J: the logits view reproduces llama2.c run.c's logits, every view holds
 * the cache's values and shares its memory, and the export writes each array's exact bytes.
 */
class Nd4jCachesTest {
    private static final List<String> HOOKS = List.of("hook_embed", "blocks.0.hook_resid_post",
            "blocks.2.attn.hook_pattern", "blocks.4.hook_resid_post");

    @Test
    void viewsHoldTheCachedValuesAndTheLogitsMatchRunC(@TempDir Path dir) throws Exception {
        Path model = Fixtures.fixture("stories260K-llama");
        ReferenceLogits ref = Fixtures.readLogits(model.resolve("reference/stories260K_runc_once_upon_a_time_64.bin"));
        try (HookedTransformer m = HookedTransformer.load(model);
                ActivationCache cache = m.runWithCache(TokenBatch.of(new int[][] {ref.tokens()}), HOOKS)) {
            Map<String, INDArray> views = Nd4jCaches.views(cache);
            assertEquals(HOOKS.size(), views.size());
            for (String name : HOOKS) {
                NDArray a = cache.get(name);
                INDArray v = views.get(name);
                assertArrayEquals(a.getShape().getShape(), v.shape(), name);
                assertArrayEquals(Values.read(a), Values.read(v), name);
            }
            INDArray logits = Nd4jArrays.toINDArrayView(cache.logits());
            double worst = 0;
            for (int t = 0; t < ref.length(); t++) {
                for (int j = 0; j < ref.vocab(); j++) {
                    worst = Math.max(worst, Math.abs(logits.getDouble(0, t, j) - ref.logits()[t][j]));
                }
            }
            assertTrue(worst <= 1e-4, "max |Δlogit| vs run.c through the ND4J view: " + worst);

            // a view shares the cache's memory: a write through ND4J is what the cache returns next
            INDArray resid = Nd4jCaches.view(cache, "blocks.0.hook_resid_post");
            resid.putScalar(new long[] {0, 3, 5}, 1234.5);
            assertEquals(1234.5f, cache.get("blocks.0.hook_resid_post").getFloat(0, 3, 5));

            assertEquals(HOOKS.size() + 1, Nd4jCaches.exportNpy(cache, dir));
            for (String name : HOOKS) {
                Nd4jNpyTest.Npy npy = Nd4jNpyTest.Npy.parse(dir.resolve(name + ".npy"));
                assertEquals("'<f4'", npy.descr(), name);
                assertArrayEquals(littleEndianBytes(cache.get(name)), npy.data(), name);
            }
            assertArrayEquals(littleEndianBytes(cache.logits()),
                    Nd4jNpyTest.Npy.parse(dir.resolve(Nd4jCaches.LOGITS + ".npy")).data());
        }
    }

    private static byte[] littleEndianBytes(NDArray a) {
        float[] v = a.toFloatArray();
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }
}
