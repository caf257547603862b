package org.mechinterp.core.model;

/** The normalisation a transformer uses before attention, before the MLP and before the unembedding. */
public enum NormKind {
    /** (x − mean)/sqrt(var + eps)·w + b, as GPT-2. */
    LAYER_NORM,
    /** x/sqrt(mean(x²) + eps)·w, as Llama, Mistral and Qwen. */
    RMS_NORM
}
