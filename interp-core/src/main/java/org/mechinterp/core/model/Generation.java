package org.mechinterp.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;

/**
 * Decoding helpers on top of {@link HookedTransformer#forward}. Hooks registered on the model apply at each step.
 * {@link #greedy} recomputes the whole sequence per token and is the reference for
 * {@link org.mechinterp.core.generate.Generator} (KV cache, sampling, batches, stop tokens).
 */
public final class Generation {
    private Generation() {}

    /**
     * Logits [V] at the last position of one sequence.
     *
     * @param model the model
     * @param tokens the token ids
     * @return a new Java array (no native memory is retained)
     */
    public static float[] lastLogits(HookedTransformer model, int[] tokens) {
        try (NDManager call = model.manager().newSubManager()) {
            NDArray logits = model.forward(call, TokenBatch.of(tokens));
            return logits.get(0, tokens.length - 1).toFloatArray();
        }
    }

    /**
     * Greedy decoding: appends the argmax token {@code newTokens} times, re-running the full sequence each step (no
     * key/value cache, so every step is an independent, hookable forward pass).
     *
     * @param model the model
     * @param prompt the prompt token ids
     * @param newTokens the new tokens
     * @return the prompt followed by the generated tokens
     */
    public static int[] greedy(HookedTransformer model, int[] prompt, int newTokens) {
        int[] tokens = Arrays.copyOf(prompt, prompt.length + newTokens);
        for (int i = prompt.length; i < tokens.length; i++) {
            tokens[i] = argmax(lastLogits(model, Arrays.copyOf(tokens, i)));
        }
        return tokens;
    }

    /**
     * Index of the largest value (the first one on ties, as torch.argmax).
     *
     * @param values the values
     * @return index of the largest value (the first one on ties, as torch.argmax)
     */
    public static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
