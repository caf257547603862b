package org.mechinterp.core.model;

/** The MLP non-linearity, named after the HF {@code hidden_act} / {@code activation_function} values. */
public enum ActivationFunction {
    /** GELU with the tanh approximation ({@code gelu_new}, {@code gelu_pytorch_tanh}). */
    GELU_TANH,
    /** Exact GELU, x·Φ(x) ({@code gelu}). */
    GELU,
    /** x·sigmoid(x) ({@code silu}, {@code swish}). */
    SILU,
    /** max(x, 0). */
    RELU;

    /**
     * Maps an HF activation name to the enum.
     *
     * @param name the name
     * @return the activation function
     * @throws IllegalArgumentException naming the activation when it is not supported
     */
    public static ActivationFunction fromHfName(String name) {
        switch (name) {
            case "gelu_new":
            case "gelu_pytorch_tanh":
            case "gelu_fast":
                return GELU_TANH;
            case "gelu":
                return GELU;
            case "silu":
            case "swish":
                return SILU;
            case "relu":
                return RELU;
            default:
                throw new IllegalArgumentException("unsupported activation function '" + name + "'");
        }
    }
}
