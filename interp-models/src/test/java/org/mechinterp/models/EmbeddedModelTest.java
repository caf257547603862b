package org.mechinterp.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.testing.Fixtures;
import org.mechinterp.core.testing.Fixtures.ReferenceLogits;
import org.mechinterp.core.tokenizer.Tokenizer;

/**
 * The bundled models extract from this module alone (interp-core on the class path, no command-line library) and
 * are the real checkpoints: stories260K's files equal the shared fixture's copy byte for byte, and its logits match
 * llama2.c run.c's forward pass.
 */
class EmbeddedModelTest {
    @Test
    void storiesExtractsTheCheckpointOfTheSharedFixture() throws IOException {
        Path dir = EmbeddedModel.path();
        assertEquals(dir, EmbeddedModel.path(), "extracted once per JVM");
        assertTrue(dir.startsWith(Path.of(System.getProperty("interp.cache.dir")).toAbsolutePath()),
                "extracted under interp.cache.dir: " + dir);
        Path fixture = Fixtures.fixture("stories260K-llama");
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
            assertArrayEquals(Files.readAllBytes(fixture.resolve(f)), Files.readAllBytes(dir.resolve(f)), f);
        }
        for (String f : EmbeddedModel.FILES) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
    }

    @Test
    void storiesLogitsMatchRunC() throws IOException {
        ReferenceLogits ref = Fixtures.readLogits(Fixtures.fixture("stories260K-llama")
                .resolve("reference/stories260K_runc_once_upon_a_time_64.bin"));
        try (HookedTransformer model = HookedTransformer.load(EmbeddedModel.path());
                NDManager m = NDManager.newBaseManager()) {
            NDArray logits = model.forward(m, TokenBatch.of(new int[][] {ref.tokens()}));
            float[] got = logits.toFloatArray();
            int v = ref.vocab();
            double worst = 0;
            for (int t = 0; t < ref.length(); t++) {
                for (int j = 0; j < v; j++) {
                    worst = Math.max(worst, Math.abs(got[t * v + j] - ref.logits()[t][j]));
                }
            }
            assertTrue(worst <= 1e-4, "max |Δlogit| vs run.c = " + worst); // same tolerance as ReferenceParityTest
        }
    }

    @Test
    void physicsModelExtractsAndLoadsWithItsTokenizer() throws IOException {
        Path dir = EmbeddedPhysicsModel.path();
        for (String f : EmbeddedPhysicsModel.FILES) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        try (HookedTransformer model = HookedTransformer.load(dir); Tokenizer tok = Tokenizer.load(dir)) {
            assertEquals("qwen3", model.config().modelType());
            assertEquals(model.config().vocabSize(), tok.vocabSize());
        }
    }

    @Test
    void aDamagedCopyIsReplaced() throws IOException {
        Path dir = EmbeddedModel.path();
        Path root = dir.getParent();
        Path damaged = dir.resolve("model.safetensors");
        long size = Files.size(damaged);
        // EmbeddedResources re-checks sizes: a truncated file makes the folder incomplete and it is written anew
        Files.write(damaged, new byte[10]);
        Path again = EmbeddedResources.extract(EmbeddedModel.class, EmbeddedModel.NAME, EmbeddedModel.NAME + "/",
                EmbeddedModel.FILES);
        assertEquals(dir, again);
        assertEquals(size, Files.size(damaged));
        assertEquals(root, again.getParent());
    }
}
