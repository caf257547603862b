package org.mechinterp.core.model;

import ai.djl.ndarray.NDArray;

/**
 * The weights of one transformer block, stored as [in, out] so the forward pass multiplies activations on the left
 * ({@code x.matMul(w)}). Optional parts are null when the config says the model has none (biases, q/k norms, the
 * gate of a non-gated MLP, the post norms). Owned by the model's manager; never close them yourself.
 *
 * @param ln1 norm before attention
 * @param wq [D, H·Dh]
 * @param bq [H·Dh] or null
 * @param wk [D, Hkv·Dh]
 * @param bk [Hkv·Dh] or null
 * @param wv [D, Hkv·Dh]
 * @param bv [Hkv·Dh] or null
 * @param qNorm [Dh] per-head RMSNorm weight for q, or null
 * @param kNorm [Dh] per-head RMSNorm weight for k, or null
 * @param wo [H·Dh, D]
 * @param bo [D] or null
 * @param ln2 norm before the MLP
 * @param wGate [D, Dmlp] for gated MLPs, else null
 * @param wIn [D, Dmlp] (the "up" projection of gated MLPs, c_fc of GPT-2)
 * @param bIn [Dmlp] or null
 * @param wOut [Dmlp, D]
 * @param bOut [D] or null
 * @param ln1Post norm on the attention output before it joins the residual stream (Gemma's
 *     {@code post_attention_layernorm}), or null
 * @param ln2Post norm on the MLP output before it joins the residual stream (Gemma's
 *     {@code post_feedforward_layernorm}), or null
 */
public record BlockWeights(
        NormWeights ln1,
        NDArray wq, NDArray bq, NDArray wk, NDArray bk, NDArray wv, NDArray bv,
        NDArray qNorm, NDArray kNorm,
        NDArray wo, NDArray bo,
        NormWeights ln2,
        NDArray wGate, NDArray wIn, NDArray bIn, NDArray wOut, NDArray bOut,
        NormWeights ln1Post, NormWeights ln2Post) {

    /**
     * A block without post norms (every family but Gemma 2/3).
     *
     * @param ln1 norm before attention
     * @param wq [D, H·Dh]
     * @param bq [H·Dh] or null
     * @param wk [D, Hkv·Dh]
     * @param bk [Hkv·Dh] or null
     * @param wv [D, Hkv·Dh]
     * @param bv [Hkv·Dh] or null
     * @param qNorm [Dh] per-head RMSNorm weight for q, or null
     * @param kNorm [Dh] per-head RMSNorm weight for k, or null
     * @param wo [H·Dh, D]
     * @param bo [D] or null
     * @param ln2 norm before the MLP
     * @param wGate [D, Dmlp] for gated MLPs, else null
     * @param wIn [D, Dmlp] (the "up" projection of gated MLPs, c_fc of GPT-2)
     * @param bIn [Dmlp] or null
     * @param wOut [Dmlp, D]
     * @param bOut [D] or null
     */
    public BlockWeights(NormWeights ln1, NDArray wq, NDArray bq, NDArray wk, NDArray bk, NDArray wv, NDArray bv,
            NDArray qNorm, NDArray kNorm, NDArray wo, NDArray bo, NormWeights ln2, NDArray wGate, NDArray wIn,
            NDArray bIn, NDArray wOut, NDArray bOut) {
        this(ln1, wq, bq, wk, bk, wv, bv, qNorm, kNorm, wo, bo, ln2, wGate, wIn, bIn, wOut, bOut, null, null);
    }

    /**
     * This block with the given post norms (null for none).
     *
     * @param attnPost the attn post
     * @param mlpPost the mlp post
     * @return this block with the given post norms (null for none)
     */
    public BlockWeights withPostNorms(NormWeights attnPost, NormWeights mlpPost) {
        return new BlockWeights(ln1, wq, bq, wk, bk, wv, bv, qNorm, kNorm, wo, bo, ln2, wGate, wIn, bIn, wOut, bOut,
                attnPost, mlpPost);
    }
}
