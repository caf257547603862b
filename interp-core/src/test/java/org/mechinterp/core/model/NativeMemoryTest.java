package org.mechinterp.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.hooks.HookScope;
import org.mechinterp.core.testing.Fixtures;

/**
 * Native memory stays flat over 1,000 forward passes that cache every hook point (interleaved with hooked and gradient runs):
 * no array lands in the model's manager, and resident memory outside the Java heap does not grow.
 */
class NativeMemoryTest {
    private static final int[] TOKENS = new int[24];

    static {
        for (int i = 0; i < TOKENS.length; i++) {
            TOKENS[i] = 1 + (i * 37) % 500;
        }
    }

    @Test
    void thousandCachedForwardPassesDoNotGrowNativeMemory() throws IOException {
        try (HookedTransformer model = HookedTransformer.load(Fixtures.fixture("stories260K-llama"));
                NDManager owner = NDManager.newBaseManager()) {
            TokenBatch batch = TokenBatch.of(TOKENS);
            int modelArrays = model.manager().getManagedArrays().size();
            // One all-points cache holds ~0.5 MB here: a leak of caches would add ~500 MB over the loop.
            // The C allocator's footprint settles only after ~1,000-2,500 passes (blocks free their activations as
            // they end, so memory is reused in a different pattern); measured: ~250 MiB then flat to 20,000 passes.
            for (int i = 0; i < 1500; i++) {
                cycle(model, batch, owner, i);
            }
            long before = nativeResidentBytes();
            for (int i = 0; i < 1000; i++) {
                cycle(model, batch, owner, i);
            }
            long growth = nativeResidentBytes() - before;
            assertEquals(modelArrays, model.manager().getManagedArrays().size(),
                    "arrays accumulated in the model's manager");
            assertEquals(0, owner.getManagedArrays().size(), "arrays accumulated in the caller's manager");
            assertTrue(growth < 48L << 20, "resident memory outside the heap grew by " + (growth >> 20)
                    + " MiB over 1,000 cached forward passes");
        }
    }

    /** A cached forward pass every time; a hooked one and a gradient run every tenth time. */
    private static void cycle(HookedTransformer model, TokenBatch batch, NDManager owner, int i) {
        try (ActivationCache cache = model.runWithCache(batch, name -> true)) {
            cache.get(HookNames.residPost(4)).getFloat(0, 0, 0);
        }
        if (i % 10 != 0) {
            return;
        }
        try (HookScope scope = model.hooks().scope(); NDManager call = owner.newSubManager()) {
            scope.add(HookNames.residPre(2), (x, ctx) -> x.mul(0.5f));
            model.forward(call, batch).getFloat(0, 0, 0);
        }
        try (ActivationCache grads = model.runWithGradients(batch, n -> false, Set.of(HookNames.EMBED)::contains,
                logits -> logits.get(0, 5, 7))) {
            grads.grad(HookNames.EMBED).getFloat(0, 0, 0);
        }
    }

    /** VmRSS minus the committed Java heap, in bytes (Linux). */
    private static long nativeResidentBytes() throws IOException {
        System.gc();
        long rssKb = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("VmRSS:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
                .findFirst().orElseThrow();
        return rssKb * 1024 - Runtime.getRuntime().totalMemory();
    }
}
