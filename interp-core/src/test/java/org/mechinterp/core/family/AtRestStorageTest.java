package org.mechinterp.core.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.hooks.HookScope;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.core.model.ActivationCache;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.LoadOptions;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.testing.Fixtures;

/**
 * Weights at rest in their stored dtype (F32 fixtures, the F16 tiny Llama, the BF16 Qwen3) give exactly the F32
 * model's results: the same exact upcast feeds the same float32 arithmetic, so logits, caches and hook gradients
 * are bit-identical, and the family references hold at their 1e-4 tolerance. Reusing one block's storage from layer
 * to layer (no autograd) must not leak a layer's weights into the next.
 */
class AtRestStorageTest {
    private static final LoadOptions F32 = LoadOptions.builder().optStorage(LoadOptions.Storage.F32).build();
    private static final LoadOptions AT_REST = LoadOptions.builder().optStorage(LoadOptions.Storage.AT_REST).build();
    private static final TokenBatch BATCH = TokenBatch.of(new int[][] {{1, 5, 9, 14, 3, 7, 2}, {4, 8, 15}});

    @ParameterizedTest
    @ValueSource(strings = {"stories260K-llama", "tiny-random-gpt2", "tiny-random-llama-fp16", "family:qwen2",
            "family:qwen3", "family:mistral", "family:llama3", "family:qwen3-bf16-v5", "family:mistral-sw"})
    void atRestEqualsF32BitForBit(String which) throws IOException {
        Path dir = which.startsWith("family:") ? Fixtures.family(which.substring(7)) : Fixtures.fixture(which);
        try (HookedTransformer f32 = HookedTransformer.load(dir, F32);
                HookedTransformer rest = HookedTransformer.load(dir, AT_REST)) {
            assertTrue(f32.weights().resident());
            assertTrue(!rest.weights().resident());
            List<String> names = List.of(HookNames.residPost(0), HookNames.residPost(f32.config().nLayers() - 1),
                    HookNames.UNEMBED_IN);
            try (ActivationCache a = f32.runWithCache(BATCH, names);
                    ActivationCache b = rest.runWithCache(BATCH, names)) {
                assertArrayEquals(a.logits().toFloatArray(), b.logits().toFloatArray(), which + " logits");
                for (String n : names) {
                    assertArrayEquals(a.get(n).toFloatArray(), b.get(n).toFloatArray(), which + " " + n);
                }
            }
            String point = HookNames.residPost(0);
            try (ActivationCache a = f32.runWithGradients(BATCH, n -> false, point::equals,
                    logits -> logits.get(0, -1, 3));
                    ActivationCache b = rest.runWithGradients(BATCH, n -> false, point::equals,
                            logits -> logits.get(0, -1, 3))) {
                assertArrayEquals(a.get(HookNames.grad(point)).toFloatArray(),
                        b.get(HookNames.grad(point)).toFloatArray(), which + " gradient");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3-bf16-v5", "qwen2", "mistral"})
    void atRestMatchesTheFloat64Reference(String name) throws IOException {
        Path dir = Fixtures.family(name);
        try (SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"));
                HookedTransformer model = HookedTransformer.load(dir, AT_REST);
                NDManager m = NDManager.newBaseManager()) {
            long[] ids = ref.readLongs("input_ids");
            int[] tokens = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                tokens[i] = Math.toIntExact(ids[i]);
            }
            float[] got = model.forward(m, TokenBatch.of(tokens)).toFloatArray();
            double diff = Fixtures.maxAbsDiff(ref.readFloats("logits"), got);
            assertTrue(diff <= 1e-4, name + " at rest: max |Δ| = " + diff);
        }
    }

    @Test
    void residentAccessorsExplainHowToGetResidentWeights() throws IOException {
        try (HookedTransformer rest = HookedTransformer.load(Fixtures.family("qwen3-bf16-v5"), AT_REST)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> rest.weights().unembed());
            assertTrue(e.getMessage().contains("--dtype f32") && e.getMessage().contains("BF16 at rest"),
                    e.getMessage());
            assertThrows(IllegalStateException.class, () -> rest.weights().blocks());
        }
    }

    @Test
    void repeatedPassesAtRestLeaveNoArraysBehind() throws IOException {
        try (HookedTransformer rest = HookedTransformer.load(Fixtures.fixture("stories260K-llama"), AT_REST);
                NDManager owner = NDManager.newBaseManager()) {
            try (NDManager call = owner.newSubManager()) {
                rest.forward(call, BATCH);
            }
            int arrays = rest.manager().getManagedArrays().size();
            float[] first = null;
            for (int i = 0; i < 200; i++) {
                try (NDManager call = owner.newSubManager(); HookScope scope = rest.hooks().scope()) {
                    if (i % 3 == 0) {
                        scope.add(HookNames.residPost(1), (x, ctx) -> x);
                    }
                    float[] logits = rest.forward(call, BATCH).toFloatArray();
                    if (first == null) {
                        first = logits;
                    }
                    assertArrayEquals(first, logits, "pass " + i);
                }
            }
            assertEquals(arrays, countArrays(rest.manager()), "arrays accumulated under the model's manager");
            assertEquals(0, owner.getManagedArrays().size());
        }
    }

    private static int countArrays(NDManager m) {
        return m.getManagedArrays().size();
    }
}
