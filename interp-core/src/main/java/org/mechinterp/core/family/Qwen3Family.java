package org.mechinterp.core.family;

import java.util.Set;
import org.mechinterp.core.model.ModelConfig;

/**
 * Qwen3: the Llama layout plus per-head RMSNorm of q and k before RoPE; head_dim is explicit; sliding windows as
 * Qwen2.
 */
public final class Qwen3Family extends LlamaFamily {
    @Override
    public Set<String> modelTypes() {
        return Set.of("qwen3");
    }

    @Override
    protected void customise(HfConfig config, ModelConfig.Builder builder) throws CheckpointException {
        builder.optQkNorm(true)
                .optSlidingWindows(SlidingWindows.qwen(config, config.requireInt("num_hidden_layers")));
    }
}
