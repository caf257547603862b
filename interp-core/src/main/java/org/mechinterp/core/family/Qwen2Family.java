package org.mechinterp.core.family;

import java.util.Set;
import org.mechinterp.core.model.ModelConfig;

/**
 * Qwen2 / Qwen2.5: the Llama layout with biases on the q, k and v projections (not on o); sliding windows from
 * {@code use_sliding_window}, {@code max_window_layers} and {@code layer_types}.
 */
public final class Qwen2Family extends LlamaFamily {
    @Override
    public Set<String> modelTypes() {
        return Set.of("qwen2");
    }

    @Override
    protected void customise(HfConfig config, ModelConfig.Builder builder) throws CheckpointException {
        builder.optQkvBias(true).optAttnOutBias(false)
                .optSlidingWindows(SlidingWindows.qwen(config, config.requireInt("num_hidden_layers")));
    }
}
