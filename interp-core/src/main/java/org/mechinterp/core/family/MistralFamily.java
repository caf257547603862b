package org.mechinterp.core.family;

import java.util.Set;
import org.mechinterp.core.model.ModelConfig;

/** Mistral: the Llama layout plus an optional {@code sliding_window} on every layer. */
public final class MistralFamily extends LlamaFamily {
    @Override
    public Set<String> modelTypes() {
        return Set.of("mistral");
    }

    @Override
    protected void customise(HfConfig config, ModelConfig.Builder builder) throws CheckpointException {
        builder.optSlidingWindows(SlidingWindows.mistral(config, config.requireInt("num_hidden_layers")));
    }
}
