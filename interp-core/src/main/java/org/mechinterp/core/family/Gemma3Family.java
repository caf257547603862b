package org.mechinterp.core.family;

import com.google.gson.JsonObject;
import java.util.Set;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.RopeScaling;

/**
 * Gemma 3 text decoders ({@code gemma3_text}, and {@code gemma3} multimodal configs whose {@code text_config} holds
 * one; only the language model is loaded): the shared Gemma layout plus per-head q/k RMSNorm (1 + w) over head_dim
 * before RoPE, no soft-capping unless the config sets it, layer kinds from {@code layer_types} or, in older configs,
 * {@code sliding_window_pattern} (default 6: every sixth layer global), and two rotary settings: local (sliding)
 * layers use {@code rope_local_base_freq} (default 10 000) without scaling, global layers {@code rope_theta}
 * (default 1 000 000) with {@code rope_scaling}; transformers-5 configs give both as {@code rope_parameters}
 * {"sliding_attention": {...}, "full_attention": {...}}.
 */
public final class Gemma3Family extends GemmaFamily {
    @Override
    public Set<String> modelTypes() {
        return Set.of("gemma3_text", "gemma3");
    }

    @Override
    protected HfConfig textConfig(HfConfig c) throws CheckpointException {
        return c.has("text_config") ? c.section("text_config") : c;
    }

    @Override
    protected void customise(HfConfig c, ModelConfig.Builder b, int layers) throws CheckpointException {
        boolean[] sliding = SlidingWindows.gemmaSlidingLayers(c, layers, c.optInt("sliding_window_pattern", 6));
        RopeScaling local = localRope(c);
        RopeScaling global = globalRope(c);
        RopeScaling[] perLayer = new RopeScaling[layers];
        for (int l = 0; l < layers; l++) {
            perLayer[l] = sliding[l] ? local : global;
        }
        b.optQkNorm(true)
                .optAttnLogitSoftcap(c.optNullableDouble("attn_logit_softcapping", 0))
                .optFinalLogitSoftcap(c.optNullableDouble("final_logit_softcapping", 0))
                .optSlidingWindows(SlidingWindows.onLayers(c, sliding, c.optInt("sliding_window", 4096)))
                .optRope(global)
                .optLayerRopes(perLayer);
    }

    private static RopeScaling localRope(HfConfig c) throws CheckpointException {
        JsonObject params = perKind(c, "sliding_attention");
        if (params != null) {
            return c.rope(theta(params, 10_000.0), params);
        }
        return RopeScaling.plain(c.optDouble("rope_local_base_freq", 10_000.0));
    }

    private static RopeScaling globalRope(HfConfig c) throws CheckpointException {
        JsonObject params = perKind(c, "full_attention");
        if (params != null) {
            return c.rope(theta(params, 1_000_000.0), params);
        }
        JsonObject scaling = c.has("rope_scaling") ? c.json().getAsJsonObject("rope_scaling") : null;
        return c.rope(c.optDouble("rope_theta", 1_000_000.0), scaling);
    }

    /** transformers-5 {@code rope_parameters[kind]}, or null for older configs. */
    private static JsonObject perKind(HfConfig c, String kind) {
        if (!c.has("rope_parameters") || !c.json().get("rope_parameters").isJsonObject()) {
            return null;
        }
        JsonObject all = c.json().getAsJsonObject("rope_parameters");
        return all.has(kind) && all.get(kind).isJsonObject() ? all.getAsJsonObject(kind) : null;
    }

    private static double theta(JsonObject params, double fallback) {
        return params.has("rope_theta") && !params.get("rope_theta").isJsonNull()
                ? params.get("rope_theta").getAsDouble() : fallback;
    }
}
