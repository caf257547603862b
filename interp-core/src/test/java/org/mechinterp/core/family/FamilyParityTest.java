package org.mechinterp.core.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.core.model.ActivationCache;
import org.mechinterp.core.model.Generation;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.testing.Fixtures;

/**
 * The families without a shared fixture (Qwen2, Qwen3, Mistral sharded, Llama-3 rope scaling, BF16 with a
 * transformers-v5 config, Mistral and Qwen2 sliding windows) against the independent numpy float64 reference of
 * {@code tools/make_family_fixtures.py}: logits, every resid_post, the unembedding input and layer 0's attention
 * pattern (every layer's for the sliding-window models) within 1e-4, greedy ids equal.
 */
class FamilyParityTest {
    private static final double TOLERANCE = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "qwen3", "mistral", "llama3", "qwen3-bf16-v5", "mistral-sw", "qwen2-sw"})
    void matchesFloat64Reference(String name) throws IOException {
        Path dir = Fixtures.family(name);
        try (SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"));
                HookedTransformer model = HookedTransformer.load(dir)) {
            int[] ids = toInts(ref.readLongs("input_ids"));
            List<String> names = new ArrayList<>(model.residPostNames());
            names.add(HookNames.UNEMBED_IN);
            for (int l = 0; l < model.config().nLayers(); l++) {
                if (l == 0 || ref.names().contains(HookNames.pattern(l))) {   // every layer's for the -sw models
                    names.add(HookNames.pattern(l));
                }
            }
            try (ActivationCache cache = model.runWithCache(TokenBatch.of(ids), names)) {
                assertClose(name, "logits", ref.readFloats("logits"), cache.logits().toFloatArray());
                for (String hook : names) {
                    float[] want = ref.readFloats(hook);
                    float[] got = cache.get(hook).toFloatArray();
                    assertEquals(1, cache.get(hook).getShape().get(0), "batch dim first");
                    assertClose(name, hook, want, got);
                }
            }
            int[] greedy = toInts(ref.readLongs("greedy_ids"));
            assertArrayEquals(greedy, Generation.greedy(model, ids, greedy.length - ids.length), name + " greedy");
        }
    }

    private static void assertClose(String model, String what, float[] want, float[] got) {
        double diff = Fixtures.maxAbsDiff(want, got);
        assertTrue(diff <= TOLERANCE, model + " " + what + ": max |Δ| = " + diff + " > " + TOLERANCE);
    }

    private static int[] toInts(long[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.toIntExact(v[i]);
        }
        return out;
    }
}
