package org.mechinterp.core.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.hooks.HookScope;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.testing.Fixtures;

/**
 * Native memory stays flat over 1,200 generation steps (batches of two, every other generation steered by a
 * hook, every third recomputed): no array is left in the model's manager (caches and steps closed) or the caller's.
 */
class GenerationNativeMemoryTest {
    @Test
    void manyCachedStepsDoNotGrowNativeMemory() throws IOException {
        try (HookedTransformer model = HookedTransformer.load(Fixtures.fixture("stories260K-llama"));
                NDManager owner = NDManager.newBaseManager()) {
            Generator generator = new Generator(model);
            NDArray direction = model.weights().embed().get(7).mul(3f);
            direction.attach(owner);
            int modelArrays = model.manager().getManagedArrays().size();
            int ownerArrays = owner.getManagedArrays().size();
            for (int i = 0; i < 48; i++) { // let the C allocator's footprint settle (see NativeMemoryTest)
                cycle(model, generator, direction, i);
            }
            long before = nativeResidentBytes();
            for (int i = 0; i < 48; i++) {
                cycle(model, generator, direction, i);
            }
            long growth = nativeResidentBytes() - before;
            assertEquals(modelArrays, model.manager().getManagedArrays().size(),
                    "arrays accumulated in the model's manager");
            assertEquals(ownerArrays, owner.getManagedArrays().size(), "arrays accumulated in the caller's manager");
            assertTrue(growth < 48L << 20, "resident memory outside the heap grew by " + (growth >> 20)
                    + " MiB over 1,200 generation steps");
        }
    }

    /** One batch generation of 25 tokens; steered on odd cycles, recomputed every third. */
    private static void cycle(HookedTransformer model, Generator generator, NDArray direction, int i) {
        GenerationOptions options = GenerationOptions.builder().setMaxNewTokens(25).optStopTokens()
                .optTemperature(i % 2 == 0 ? 0 : 0.8).optSeed(i).optUseCache(i % 3 != 0).build();
        int[][] prompts = {{1, 403, 407, 1 + i % 400}, {1, 365}};
        if (i % 2 == 0) {
            generator.generate(prompts, options);
            return;
        }
        try (HookScope scope = model.hooks().scope()) {
            scope.add(HookNames.residPost(1), (x, ctx) -> x.add(direction));
            generator.generate(prompts, options);
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
