package org.mechinterp.core.family;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;

/**
 * Per-layer sliding windows read from HF configs, as transformers interprets them (0 = full attention). The forward
 * pass only sees {@code ModelConfig.slidingWindow(layer)}; how a family spells its windows is handled here.
 */
final class SlidingWindows {
    private SlidingWindows() {}

    /**
     * Mistral ({@code configuration_mistral.py}): {@code sliding_window} (an int, or null/absent for none) applies to
     * every layer.
     */
    static int[] mistral(HfConfig c, int layers) throws CheckpointException {
        int window = positive(c, c.optInt("sliding_window", 0));
        int[] out = new int[layers];
        java.util.Arrays.fill(out, window);
        return out;
    }

    /**
     * Qwen2 / Qwen3 ({@code Qwen2Config.__post_init__}): the window is {@code sliding_window} (default 4096) only when
     * {@code use_sliding_window} is true; an explicit {@code layer_types} list ("full_attention" /
     * "sliding_attention") says which layers use it, otherwise layers {@code >= max_window_layers} (default 28) do.
     *
     * @throws CheckpointException for a layer_types list of the wrong length, an unknown layer type, or a sliding
     *     layer without a window (transformers refuses that model too)
     */
    static int[] qwen(HfConfig c, int layers) throws CheckpointException {
        int window = c.optBoolean("use_sliding_window", false) ? positive(c, c.optInt("sliding_window", 4096)) : 0;
        int[] out = new int[layers];
        if (!c.has("layer_types")) {
            int firstSliding = c.optInt("max_window_layers", 28);
            for (int l = Math.max(0, firstSliding); l < layers; l++) {
                out[l] = window;
            }
            return out;
        }
        JsonElement types = c.json().get("layer_types");
        if (!types.isJsonArray() || types.getAsJsonArray().size() != layers) {
            throw new CheckpointException(c.source() + ": layer_types must be a list of " + layers
                    + " entries (one per layer), got " + types);
        }
        JsonArray list = types.getAsJsonArray();
        for (int l = 0; l < layers; l++) {
            String type = list.get(l).isJsonNull() ? "null" : list.get(l).getAsString();
            if (type.equals("sliding_attention")) {
                if (window == 0) {
                    throw new CheckpointException(c.source() + ": layer_types marks layer " + l
                            + " as sliding_attention but no sliding window is set (use_sliding_window is false or "
                            + "sliding_window is null)");
                }
                out[l] = window;
            } else if (!type.equals("full_attention")) {
                throw new CheckpointException(c.source() + ": layer type '" + type + "' of layer " + l
                        + " is not supported (supported: full_attention, sliding_attention)");
            }
        }
        return out;
    }

    /**
     * Which layers are local (sliding) in Gemma 2 / Gemma 3: an explicit {@code layer_types} list
     * ("sliding_attention" / "full_attention"), else HF's default pattern: layer i is sliding iff
     * {@code (i + 1) % pattern != 0} (Gemma 2: pattern 2, so even layers slide; Gemma 3: {@code sliding_window_pattern},
     * default 6).
     *
     * @throws CheckpointException for a layer_types list of the wrong length or an unknown layer type
     */
    static boolean[] gemmaSlidingLayers(HfConfig c, int layers, int pattern) throws CheckpointException {
        boolean[] sliding = new boolean[layers];
        if (!c.has("layer_types")) {
            if (pattern <= 0) {
                throw new CheckpointException(c.source() + ": sliding_window_pattern must be > 0, got " + pattern);
            }
            for (int l = 0; l < layers; l++) {
                sliding[l] = (l + 1) % pattern != 0;
            }
            return sliding;
        }
        JsonElement types = c.json().get("layer_types");
        if (!types.isJsonArray() || types.getAsJsonArray().size() != layers) {
            throw new CheckpointException(c.source() + ": layer_types must be a list of " + layers
                    + " entries (one per layer), got " + types);
        }
        for (int l = 0; l < layers; l++) {
            JsonElement e = types.getAsJsonArray().get(l);
            String type = e.isJsonNull() ? "null" : e.getAsString();
            if (!type.equals("sliding_attention") && !type.equals("full_attention")) {
                throw new CheckpointException(c.source() + ": layer type '" + type + "' of layer " + l
                        + " is not supported (supported: full_attention, sliding_attention)");
            }
            sliding[l] = type.equals("sliding_attention");
        }
        return sliding;
    }

    /** {@code window} on the sliding layers, 0 (full attention) elsewhere. */
    static int[] onLayers(HfConfig c, boolean[] sliding, int window) throws CheckpointException {
        positive(c, window);
        int[] out = new int[sliding.length];
        for (int l = 0; l < out.length; l++) {
            out[l] = sliding[l] ? window : 0;
        }
        return out;
    }

    private static int positive(HfConfig c, int window) throws CheckpointException {
        if (window < 0) {
            throw new CheckpointException(c.source() + ": sliding_window must be a positive number of tokens, got "
                    + window);
        }
        return window;
    }
}
