package org.mechinterp.core.family;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.util.Set;
import org.mechinterp.core.model.ActivationFunction;
import org.mechinterp.core.model.BlockWeights;
import org.mechinterp.core.model.EmbeddingWeights;
import org.mechinterp.core.model.HeadWeights;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.NormKind;
import org.mechinterp.core.model.NormWeights;

/**
 * Llama checkpoints ({@code model.layers.i.self_attn.q_proj.weight}, ...), and the base of the Mistral and Qwen
 * families, which differ only in {@link #customise}: RMSNorm, SwiGLU MLP, RoPE (incl. Llama-3 scaling), GQA.
 */
public class LlamaFamily implements ModelFamily {
    @Override
    public Set<String> modelTypes() {
        return Set.of("llama");
    }

    @Override
    public final ModelConfig parseConfig(HfConfig c) throws CheckpointException {
        if (c.optBoolean("mlp_bias", false)) {
            throw new CheckpointException(c.source() + ": mlp_bias=true is not supported");
        }
        int heads = c.requireInt("num_attention_heads");
        boolean attentionBias = c.optBoolean("attention_bias", false);
        ModelConfig.Builder b = ModelConfig.builder()
                .optModelType(c.modelType())
                .setVocabSize(c.requireInt("vocab_size"))
                .setDModel(c.requireInt("hidden_size"))
                .setNLayers(c.requireInt("num_hidden_layers"))
                .setNHeads(heads)
                .optNKvHeads(c.optInt("num_key_value_heads", heads))
                .optHeadDim(c.optPositiveInt("head_dim", 0))
                .setDMlp(c.requireInt("intermediate_size"))
                .optMaxPositions(c.optInt("max_position_embeddings", 2048))
                .optNorm(NormKind.RMS_NORM, c.optDouble("rms_norm_eps", 1e-6))
                .optActivation(activation(c))
                .optGatedMlp(true)
                .optQkvBias(attentionBias)
                .optAttnOutBias(attentionBias)
                .optTiedEmbeddings(c.optBoolean("tie_word_embeddings", false))
                .optRope(c.rope())
                .optBosTokenId(c.optInt("bos_token_id", -1))
                .optEosTokenIds(c.optIds("eos_token_id"));
        customise(c, b);
        return b.build();
    }

    /**
     * Family-specific settings on top of the Llama mapping; the default adds nothing.
     *
     * @param config the model configuration
     * @param builder the builder to configure
     * @throws CheckpointException if the checkpoint or its config is malformed (the message names the file and field)
     */
    protected void customise(HfConfig config, ModelConfig.Builder builder) throws CheckpointException {}

    @Override
    public EmbeddingWeights loadEmbedding(ModelConfig cfg, WeightLoader w) throws IOException {
        return new EmbeddingWeights(w.tensor(prefix(w) + "embed_tokens.weight", cfg.vocabSize(), cfg.dModel()), null);
    }

    @Override
    public BlockWeights loadBlock(ModelConfig cfg, WeightLoader w, int i) throws IOException {
        String l = prefix(w) + "layers." + i + ".";
        int d = cfg.dModel();
        return projections(cfg, w, l, new NormWeights(w.vector(l + "input_layernorm.weight", d), null),
                new NormWeights(w.vector(l + "post_attention_layernorm.weight", d), null));
    }

    /**
     * The q/k/v/o projections (with the biases and q/k norms the config asks for) and the gated MLP of a block in
     * Llama's tensor layout under {@code l} (e.g. {@code model.layers.3.}), between the two given norms. Shared with
     * the Gemma families, which differ only in their norms.
     */
    static BlockWeights projections(ModelConfig cfg, WeightLoader w, String l, NormWeights ln1, NormWeights ln2)
            throws IOException {
        int d = cfg.dModel();
        int qDim = cfg.nHeads() * cfg.headDim();
        int kvDim = cfg.nKvHeads() * cfg.headDim();
        int m = cfg.dMlp();
        String a = l + "self_attn.";
        return new BlockWeights(
                ln1,
                w.linearWeight(a + "q_proj.weight", qDim, d), bias(w, cfg.qkvBias(), a + "q_proj.bias", qDim),
                w.linearWeight(a + "k_proj.weight", kvDim, d), bias(w, cfg.qkvBias(), a + "k_proj.bias", kvDim),
                w.linearWeight(a + "v_proj.weight", kvDim, d), bias(w, cfg.qkvBias(), a + "v_proj.bias", kvDim),
                cfg.qkNorm() ? w.vector(a + "q_norm.weight", cfg.headDim()) : null,
                cfg.qkNorm() ? w.vector(a + "k_norm.weight", cfg.headDim()) : null,
                w.linearWeight(a + "o_proj.weight", d, qDim), bias(w, cfg.attnOutBias(), a + "o_proj.bias", d),
                ln2,
                w.linearWeight(l + "mlp.gate_proj.weight", m, d),
                w.linearWeight(l + "mlp.up_proj.weight", m, d), null,
                w.linearWeight(l + "mlp.down_proj.weight", d, m), null);
    }

    @Override
    public HeadWeights loadHead(ModelConfig cfg, WeightLoader w, NDArray embed) throws IOException {
        int d = cfg.dModel();
        NormWeights lnFinal = new NormWeights(w.vector(prefix(w) + "norm.weight", d), null);
        if (!cfg.tiedEmbeddings()) {
            return new HeadWeights(lnFinal, w.linearWeight("lm_head.weight", cfg.vocabSize(), d), null);
        }
        NDArray table = embed != null ? embed : loadEmbedding(cfg, w).embed();
        return new HeadWeights(lnFinal, table.transpose(), null);
    }

    /** "model." for checkpoints saved from a *ForCausalLM, "" for bare models. */
    private static String prefix(WeightLoader w) {
        return w.contains("model.embed_tokens.weight") ? "model." : "";
    }

    private static NDArray bias(WeightLoader w, boolean present, String name, int n) throws IOException {
        return present ? w.vector(name, n) : null;
    }

    private static ActivationFunction activation(HfConfig c) throws CheckpointException {
        String name = c.optString("hidden_act", "silu");
        try {
            return ActivationFunction.fromHfName(name);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(c.source() + ": " + e.getMessage());
        }
    }
}
