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
import org.mechinterp.core.generate.GenerationOptions;
import org.mechinterp.core.generate.Generator;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.core.model.ActivationCache;
import org.mechinterp.core.model.Generation;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.LoadOptions;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.testing.Fixtures;

/**
 * Gemma 2, Gemma 3 and GPT-NeoX against the independent numpy float64 reference
 * ({@code tools/family_fixtures_gemma_neox.py}, F32, F16 and BF16 checkpoints): logits, hook_embed, every layer's
 * resid_post, attn_out, mlp_out and attention pattern, and the final-norm output within 1e-4; greedy ids equal with
 * a full recomputation and with the KV cache; the same with the weights at rest in their stored 16 bits.
 */
class NewFamilyParityTest {
    static final double TOLERANCE = 1e-4;
    static final String[] FIXTURES = {"gemma2", "gemma2-f16", "gemma3", "gemma3-mm-bf16", "pythia", "neox-seq-bf16"};

    @ParameterizedTest
    @ValueSource(strings = {"gemma2", "gemma2-f16", "gemma3", "gemma3-mm-bf16", "pythia", "neox-seq-bf16"})
    void everyComponentMatchesFloat64Reference(String name) throws IOException {
        try (HookedTransformer model = HookedTransformer.load(Fixtures.family(name))) {
            assertMatchesReference(name, model);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma2-f16", "gemma3-mm-bf16", "neox-seq-bf16"})
    void weightsAtRestMatchToo(String name) throws IOException {
        LoadOptions atRest = LoadOptions.builder().optStorage(LoadOptions.Storage.AT_REST).build();
        try (HookedTransformer model = HookedTransformer.load(Fixtures.family(name), atRest)) {
            assertMatchesReference(name + " (at rest)", model);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma2", "gemma3", "pythia"})
    void greedyWithKvCacheEqualsReference(String name) throws IOException {
        Path dir = Fixtures.family(name);
        try (SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"));
                HookedTransformer model = HookedTransformer.load(dir)) {
            int[] ids = toInts(ref.readLongs("input_ids"));
            int[] greedy = toInts(ref.readLongs("greedy_ids"));
            int n = greedy.length - ids.length;
            GenerationOptions options = GenerationOptions.builder().setMaxNewTokens(n).optStopTokens().build();
            assertArrayEquals(greedy, new Generator(model).generate(ids, options).tokens(0), name + " cached");
        }
    }

    /** Checks every stored reference tensor of fixture {@code name} against {@code model}. */
    static void assertMatchesReference(String label, HookedTransformer model) throws IOException {
        String name = label.split(" ")[0];
        try (SafetensorsFile ref = SafetensorsFile.open(Fixtures.family(name).resolve("reference.safetensors"))) {
            int[] ids = toInts(ref.readLongs("input_ids"));
            List<String> names = new ArrayList<>(List.of(HookNames.EMBED, HookNames.UNEMBED_IN));
            for (int l = 0; l < model.config().nLayers(); l++) {
                names.addAll(List.of(HookNames.residPost(l), HookNames.attnOut(l), HookNames.mlpOut(l),
                        HookNames.pattern(l)));
            }
            double worst;
            try (ActivationCache cache = model.runWithCache(TokenBatch.of(ids), names)) {
                worst = assertClose(label, "logits", ref.readFloats("logits"), cache.logits().toFloatArray());
                for (String hook : names) {
                    assertEquals(1, cache.get(hook).getShape().get(0), "batch dim first");
                    worst = Math.max(worst, assertClose(label, hook, ref.readFloats(hook),
                            cache.get(hook).toFloatArray()));
                }
            }
            System.out.printf("%s: worst max |Δ| over logits and %d activations = %.2e%n", label, names.size(), worst);
            int[] greedy = toInts(ref.readLongs("greedy_ids"));
            assertArrayEquals(greedy, Generation.greedy(model, ids, greedy.length - ids.length), label + " greedy");
        }
    }

    static double maxLogitDiff(String name, HookedTransformer model) throws IOException {
        try (SafetensorsFile ref = SafetensorsFile.open(Fixtures.family(name).resolve("reference.safetensors"))) {
            int[] ids = toInts(ref.readLongs("input_ids"));
            try (ActivationCache cache = model.runWithCache(TokenBatch.of(ids), List.of())) {
                return Fixtures.maxAbsDiff(ref.readFloats("logits"), cache.logits().toFloatArray());
            }
        }
    }

    private static double assertClose(String model, String what, float[] want, float[] got) {
        assertEquals(want.length, got.length, model + " " + what + " size");
        double diff = Fixtures.maxAbsDiff(want, got);
        assertTrue(diff <= TOLERANCE, model + " " + what + ": max |Δ| = " + diff + " > " + TOLERANCE);
        return diff;
    }

    static int[] toInts(long[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.toIntExact(v[i]);
        }
        return out;
    }
}
