package org.mechinterp.core.family;

import java.util.Set;
import org.mechinterp.core.model.ModelConfig;

/**
 * Gemma 2 ({@code modeling_gemma2.py}): the shared Gemma layout plus attention-logit soft-capping
 * c·tanh(s/c) before the mask ({@code attn_logit_softcapping}, default 50) and final-logit soft-capping
 * ({@code final_logit_softcapping}, default 30; an explicit null disables either), a sliding window
 * ({@code sliding_window}, default 4096) on the layers that {@code layer_types} marks sliding or, without it, on even
 * layers, and one RoPE base ({@code rope_theta}) for all layers.
 */
public final class Gemma2Family extends GemmaFamily {
    @Override
    public Set<String> modelTypes() {
        return Set.of("gemma2");
    }

    @Override
    protected void customise(HfConfig c, ModelConfig.Builder b, int layers) throws CheckpointException {
        boolean[] sliding = SlidingWindows.gemmaSlidingLayers(c, layers, 2);
        b.optAttnLogitSoftcap(c.optNullableDouble("attn_logit_softcapping", 50.0))
                .optFinalLogitSoftcap(c.optNullableDouble("final_logit_softcapping", 30.0))
                .optSlidingWindows(SlidingWindows.onLayers(c, sliding, c.optInt("sliding_window", 4096)))
                .optRope(c.rope());
    }
}
