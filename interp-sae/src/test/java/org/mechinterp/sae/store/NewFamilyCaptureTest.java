package org.mechinterp.sae.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.Interp;
import org.mechinterp.core.model.ActivationCache;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;

/**
 * SAE activation capture on the new families: a Gemma 2 checkpoint (post norms, soft-caps, sliding windows) and a
 * Pythia one (parallel residual, partial rotary) capture the residual stream, the post-norm MLP output and Gemma's
 * own {@code ln2_post.hook_normalized} exactly as {@code runWithCache} gives them prompt by prompt.
 */
class NewFamilyCaptureTest {
    private static final int[][] PROMPTS = {{5, 17, 3, 42, 8}, {11, 29, 2}, {30, 31, 1, 7, 9, 12, 4}};

    @TempDir
    Path tmp;

    @Test
    void gemma2CaptureEqualsRunWithCache() throws IOException {
        captureAndCompare("gemma2", List.of("blocks.1.hook_resid_post", "blocks.2.hook_mlp_out",
                "blocks.0.ln2_post.hook_normalized"));
    }

    @Test
    void pythiaCaptureEqualsRunWithCache() throws IOException {
        captureAndCompare("pythia", List.of("blocks.1.hook_resid_post", "blocks.0.hook_attn_out"));
    }

    private void captureAndCompare(String family, List<String> hooks) throws IOException {
        Interp.configureDjl();
        Path corpus = tmp.resolve(family + ".jsonl");
        StringBuilder lines = new StringBuilder();
        for (int[] p : PROMPTS) {
            lines.append("{\"tokens\": ").append(java.util.Arrays.toString(p)).append("}\n");
        }
        Files.writeString(corpus, lines);
        Path out = tmp.resolve(family + "-store");
        Path dir = Path.of(System.getProperty("interp.project.dir", ".."))
                .resolve("interp-core/src/test/resources/families").resolve(family);
        try (HookedTransformer model = HookedTransformer.load(dir)) {
            StoreManifest m = ActivationCapture.builder().setModel(model).setCorpus(corpus).setOut(out)
                    .setHooks(hooks).optPromptsPerPass(1).optShardRows(4).optProgress(false).build().run();
            long row = 0;
            try (StoreReader r = StoreReader.open(out)) {
                r.verifyAll();
                for (int[] ids : PROMPTS) {
                    try (ActivationCache cache = model.runWithCache(TokenBatch.of(ids), hooks)) {
                        for (String hook : hooks) {
                            RowBlock block = r.read(hook, row, ids.length);
                            float[] got = java.util.Arrays.copyOf(block.activations(), ids.length * r.dim(hook));
                            assertArrayEquals(cache.get(hook).toFloatArray(), got, family + " " + hook);
                        }
                    }
                    row += ids.length;
                }
            }
            assertEquals(row, m.totalRows());
        }
    }
}
