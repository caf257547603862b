package org.mechinterp.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.family.CheckpointException;
import org.mechinterp.core.family.HfConfig;
import org.mechinterp.core.family.ModelFamilies;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.hooks.HookScope;
import org.mechinterp.core.testing.Fixtures;

/**
 * Sliding-window attention beyond the numpy reference of {@code FamilyParityTest}: the mask rule against its
 * definition, left padding, zeros outside the window in cached passes, and how configs spell windows.
 */
class SlidingWindowTest {
    private static final float M = HookedTransformer.MASKED_SCORE;

    @Test
    void maskIsHfSlidingWindowOverlayWithPaddingAndCachedKeys() {
        int[][] paddings = {{0, 3}, {2, 0}};
        for (int[] padding : paddings) {
            for (int past : new int[] {0, 4}) {
                for (int window : new int[] {0, 1, 3, 6}) {
                    SlotLayout layout = new SlotLayout(padding, past, past == 0 ? 7 : 2);
                    float[] mask = layout.additiveMask(window, M);
                    int tq = layout.queryLength();
                    int k = layout.keyLength();
                    for (int b = 0; b < padding.length; b++) {
                        for (int q = 0; q < tq; q++) {
                            int i = past + q;
                            for (int j = 0; j < k; j++) {
                                // HF: causal (kv <= q) AND overlay (kv > q - window) AND padding_mask[kv]
                                boolean real = i >= padding[b];
                                boolean visible = real ? j <= i && j >= padding[b] && (window == 0 || j > i - window)
                                        : j == i;
                                float want = visible ? 0f : M;
                                assertEquals(want, mask[(b * tq + q) * k + j], "b " + b + " i " + i + " j " + j
                                        + " window " + window + " past " + past);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void paddedSequenceWithWindowGetsItsActivationsAlone() throws IOException {
        try (HookedTransformer model = HookedTransformer.load(Fixtures.family("mistral-sw"))) {
            int[] longer = {5, 9, 12, 40, 33, 7, 21, 18, 2, 61, 44, 3};
            int[] shorter = {11, 30, 8, 57, 19, 26, 4};
            List<String> names = List.of(HookNames.residPost(1), HookNames.pattern(1));
            try (ActivationCache alone = model.runWithCache(TokenBatch.of(shorter), names);
                    ActivationCache both = model.runWithCache(TokenBatch.of(new int[][] {longer, shorter}), names)) {
                int pad = longer.length - shorter.length;
                NDArray a = alone.get(HookNames.residPost(1)).get(0);
                NDArray b = both.get(HookNames.residPost(1)).get(new NDIndex("1, {}:", pad));
                assertTrue(Fixtures.maxAbsDiff(a.toFloatArray(), b.toFloatArray()) < 1e-5, "resid_post");
                NDArray pa = alone.get(HookNames.pattern(1)).get(0);
                NDArray pb = both.get(HookNames.pattern(1)).get(new NDIndex("1, :, {}:, {}:", pad, pad));
                double patternDiff = Fixtures.maxAbsDiff(pa.toFloatArray(), pb.toFloatArray());
                assertTrue(patternDiff < 1e-5, "pattern: max |diff| " + patternDiff);
            }
        }
    }

    @Test
    void cachedPatternsAreZeroOutsideTheWindowAndMatchTheFullPass() throws IOException {
        try (HookedTransformer model = HookedTransformer.load(Fixtures.family("qwen2-sw"));
                NDManager m = NDManager.newBaseManager()) {
            int[] tokens = {7, 34, 52, 46, 34, 26, 54, 25, 9, 11};
            int prompt = 6;
            int layer = 2;                                     // window 4; layer 0 is full attention
            assertEquals(4, model.config().slidingWindow(layer));
            assertEquals(0, model.config().slidingWindow(0));
            List<float[]> rows = new ArrayList<>();
            try (KvCache cache = model.newKvCache(); HookScope scope = model.hooks().scope()) {
                scope.add(HookNames.pattern(layer), (x, ctx) -> {
                    rows.add(x.get(new NDIndex("0, :, -1, :")).toFloatArray());     // [H,K] of the newest query
                    return x;
                });
                model.forward(m, TokenBatch.of(java.util.Arrays.copyOf(tokens, prompt)), cache);
                for (int i = prompt; i < tokens.length; i++) {
                    model.forward(m, TokenBatch.of(tokens[i]), cache);
                }
            }
            try (ActivationCache full = model.runWithCache(TokenBatch.of(tokens), List.of(HookNames.pattern(layer)))) {
                NDArray pattern = full.get(HookNames.pattern(layer)).get(0);            // [H,T,T]
                int heads = model.config().nHeads();
                for (int s = 0; s < rows.size(); s++) {
                    int i = prompt - 1 + s;
                    float[] got = rows.get(s);
                    int keys = i + 1;
                    assertEquals(heads * keys, got.length, "cached pattern covers all keys so far");
                    float[] want = pattern.get(new NDIndex(":, {}, :{}", i, keys)).toFloatArray();
                    assertTrue(Fixtures.maxAbsDiff(want, got) < 1e-5, "query " + i);
                    for (int h = 0; h < heads; h++) {
                        for (int j = 0; j < keys; j++) {
                            if (j <= i - 4) {
                                assertEquals(0f, got[h * keys + j], "outside the window: query " + i + " key " + j);
                            } else {
                                assertTrue(got[h * keys + j] > 0, "inside the window: query " + i + " key " + j);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void configsSpellWindowsAsTransformersReadsThem() throws CheckpointException {
        assertArrayEquals(new int[] {3, 3}, windows("{\"model_type\": \"mistral\", \"sliding_window\": 3}", 2));
        assertArrayEquals(new int[] {0, 0}, windows("{\"model_type\": \"mistral\", \"sliding_window\": null}", 2));
        assertArrayEquals(new int[] {0, 0, 0}, windows("{\"model_type\": \"qwen2\", \"sliding_window\": 8, "
                + "\"use_sliding_window\": false, \"max_window_layers\": 1}", 3));
        assertArrayEquals(new int[] {0, 8, 8}, windows("{\"model_type\": \"qwen2\", \"sliding_window\": 8, "
                + "\"use_sliding_window\": true, \"max_window_layers\": 1}", 3));
        // transformers' default max_window_layers is 28: a 3-layer model then has no sliding layer
        assertArrayEquals(new int[] {0, 0, 0}, windows("{\"model_type\": \"qwen2\", \"sliding_window\": 8, "
                + "\"use_sliding_window\": true}", 3));
        // an explicit layer_types list wins over max_window_layers (Gemma-style alternation is just config)
        assertArrayEquals(new int[] {8, 0, 8}, windows("{\"model_type\": \"qwen3\", \"sliding_window\": 8, "
                + "\"use_sliding_window\": true, \"max_window_layers\": 3, \"layer_types\": [\"sliding_attention\", "
                + "\"full_attention\", \"sliding_attention\"]}", 3));
        CheckpointException e = assertThrows(CheckpointException.class, () -> windows("{\"model_type\": \"qwen2\", "
                + "\"use_sliding_window\": false, \"layer_types\": [\"sliding_attention\", \"full_attention\"]}", 2));
        assertTrue(e.getMessage().contains("layer 0 as sliding_attention but no sliding window"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> windows("{\"model_type\": \"qwen2\", \"layer_types\": "
                + "[\"chunked_attention\", \"full_attention\"]}", 2));
        assertTrue(e.getMessage().contains("layer type 'chunked_attention'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ModelConfig.builder().setVocabSize(4).setDModel(4)
                .setNLayers(2).setNHeads(1).setDMlp(4).optSlidingWindows(3).build());
    }

    private static int[] windows(String body, int layers) throws CheckpointException {
        String json = body.substring(0, body.length() - 1) + ", \"vocab_size\": 16, \"hidden_size\": 8, "
                + "\"num_hidden_layers\": " + layers + ", \"num_attention_heads\": 2, \"intermediate_size\": 16}";
        HfConfig c = HfConfig.parse(Path.of("config.json"), json);
        ModelConfig config = ModelFamilies.forModelType(c.modelType()).parseConfig(c);
        int[] out = new int[layers];
        for (int l = 0; l < layers; l++) {
            out[l] = config.slidingWindow(l);
        }
        return out;
    }
}
