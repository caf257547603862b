package org.mechinterp.sae.model;

import java.util.Locale;

/**
 * The sparse autoencoder families, named as on the command line ({@code relu|topk|batchtopk|matryoshka|jumprelu}).
 *
 * <p>Notation (all families): z = W_encᵀ(x − b_dec) + b_enc ∈ R^n, x̂ = W_decᵀ f + b_dec.
 * <ul>
 *   <li>{@link #RELU}: f = ReLU(z); trained with the decoder-norm-weighted L1 penalty λ Σ_i f_i‖W_dec,i‖.
 *       SAELens name "standard".</li>
 *   <li>{@link #TOPK}: f = ReLU(TopK_k(z)) per token. SAELens name "topk".</li>
 *   <li>{@link #BATCHTOPK}: training only — the top B·k entries of ReLU(z) over a batch of B tokens; saved as a
 *       {@link #JUMPRELU} with one global threshold learned during training.</li>
 *   <li>{@link #MATRYOSHKA}: training only — BatchTopK selection with the reconstruction loss summed over nested
 *       prefixes of the dictionary (Matryoshka BatchTopK); saved as a {@link #JUMPRELU} like BatchTopK.</li>
 *   <li>{@link #JUMPRELU}: f = z ⊙ H(z − θ), θ per latent. SAELens name "jumprelu".</li>
 * </ul>
 */
public enum Architecture {
    /** Plain ReLU SAE trained with the decoder-norm-weighted L1 penalty; saved as SAELens "standard". */
    RELU("standard"),
    /** Per-token TopK SAE keeping the k largest pre-activations; saved as SAELens "topk". */
    TOPK("topk"),
    /**
     * BatchTopK (training only): top B·k entries over the batch; saved as JumpReLU with the learned global threshold.
     */
    BATCHTOPK("jumprelu"),
    /** Matryoshka BatchTopK (training only): loss summed over nested dictionary prefixes; saved as JumpReLU. */
    MATRYOSHKA("jumprelu"),
    /** JumpReLU SAE, f = z ⊙ H(z − θ) with a threshold θ per latent; saved as SAELens "jumprelu". */
    JUMPRELU("jumprelu");

    private final String saeLensName;

    Architecture(String saeLensName) {
        this.saeLensName = saeLensName;
    }

    /**
     * The {@code architecture} value of a SAELens {@code cfg.json} for an SAE of this family once saved.
     *
     * @return the SAELens architecture string, e.g. {@code "standard"}, {@code "topk"} or {@code "jumprelu"}
     */
    public String saeLensName() {
        return saeLensName;
    }

    /**
     * Whether training uses the sparse TopK kernels (TopK, BatchTopK and Matryoshka).
     *
     * @return true for TOPK, BATCHTOPK and MATRYOSHKA
     */
    public boolean isTopKFamily() {
        return this == TOPK || this == BATCHTOPK || this == MATRYOSHKA;
    }

    /**
     * Whether the selection keeps the top B·k entries of the whole batch (BatchTopK and Matryoshka).
     *
     * @return true for BATCHTOPK and MATRYOSHKA
     */
    public boolean isBatchTopK() {
        return this == BATCHTOPK || this == MATRYOSHKA;
    }

    /**
     * The family an SAE of this kind becomes at inference (BatchTopK and Matryoshka become JumpReLU).
     *
     * @return JUMPRELU for BATCHTOPK and MATRYOSHKA, this family otherwise
     */
    public Architecture inferenceArchitecture() {
        return isBatchTopK() ? JUMPRELU : this;
    }

    /**
     * Parses a command-line name ({@code relu}, {@code topk}, {@code batchtopk}, {@code jumprelu}; case-insensitive).
     *
     * @param name the name as typed; surrounding whitespace is ignored; may be null (rejected)
     * @return the matching family
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Architecture parse(String name) {
        if (name != null) {
            for (Architecture a : values()) {
                if (a.name().equalsIgnoreCase(name.strip())) {
                    return a;
                }
            }
        }
        throw new IllegalArgumentException("unknown SAE architecture '" + name
                + "' (expected one of relu, topk, batchtopk, matryoshka, jumprelu)");
    }

    /**
     * The command-line name, lower case.
     *
     * @return the enum constant's name in lower case, e.g. {@code batchtopk}; accepted back by {@link #parse(String)}
     */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
