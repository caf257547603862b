package org.mechinterp.core.family;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import org.mechinterp.core.model.ActivationFunction;
import org.mechinterp.core.model.BlockWeights;
import org.mechinterp.core.model.EmbeddingWeights;
import org.mechinterp.core.model.HeadWeights;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.NormKind;
import org.mechinterp.core.model.NormWeights;

/**
 * What Gemma 2 and Gemma 3 share (HF {@code modeling_gemma2.py} / {@code modeling_gemma3.py}, eager attention):
 * embedding × √D (float32, the compute dtype here), RMSNorm computing x/scale·(1 + w), pre- and post-norms around
 * attention and MLP ({@code input_layernorm}, {@code post_attention_layernorm}, {@code pre_feedforward_layernorm},
 * {@code post_feedforward_layernorm} → ln1, ln1_post, ln2, ln2_post), GeGLU with {@code gelu_pytorch_tanh}, GQA,
 * an explicit {@code head_dim}, scores scaled by {@code query_pre_attn_scalar^-0.5}, tied embeddings by default.
 * Subclasses add the version's soft-caps, windows, rotary settings and q/k norms in {@link #customise}.
 */
abstract class GemmaFamily implements ModelFamily {
    /** The prefixes under which the decoder's tensors are found, tried in order (text-only, then multimodal). */
    private static final String[] PREFIXES = {"model.", "", "model.language_model.", "language_model.model."};

    /**
     * The text decoder's config (for a multimodal config, its {@code text_config}).
     *
     * @param c the config
     * @return the text decoder's config (for a multimodal config, its {@code text_config})
     * @throws CheckpointException if the checkpoint or its config is malformed (the message names the file and field)
     */
    protected HfConfig textConfig(HfConfig c) throws CheckpointException {
        return c;
    }

    /**
     * Version-specific settings on top of the shared mapping.
     *
     * @param text the text
     * @param builder the builder to configure
     * @param layers the number of layers
     * @throws CheckpointException if the checkpoint or its config is malformed (the message names the file and field)
     */
    protected abstract void customise(HfConfig text, ModelConfig.Builder builder, int layers)
            throws CheckpointException;

    @Override
    public final ModelConfig parseConfig(HfConfig config) throws CheckpointException {
        HfConfig c = textConfig(config);
        int heads = c.requireInt("num_attention_heads");
        int d = c.requireInt("hidden_size");
        int layers = c.requireInt("num_hidden_layers");
        boolean attentionBias = c.optBoolean("attention_bias", false);
        ModelConfig.Builder b = ModelConfig.builder()
                .optModelType(config.modelType())
                .setVocabSize(c.requireInt("vocab_size"))
                .setDModel(d)
                .setNLayers(layers)
                .setNHeads(heads)
                .optNKvHeads(c.optInt("num_key_value_heads", heads))
                .optHeadDim(c.optInt("head_dim", 256))
                .setDMlp(c.requireInt("intermediate_size"))
                .optMaxPositions(c.optInt("max_position_embeddings", 8192))
                .optNorm(NormKind.RMS_NORM, c.optDouble("rms_norm_eps", 1e-6))
                .optNormWeightOffset(1)
                .optPostNorms(true)
                .optEmbeddingScale((float) Math.sqrt(d))         // HF casts √D to the compute dtype (float32 here)
                .optAttentionScale(Math.pow(c.optDouble("query_pre_attn_scalar", 256), -0.5))
                .optActivation(activation(c))
                .optGatedMlp(true)
                .optQkvBias(attentionBias)
                .optAttnOutBias(attentionBias)
                .optTiedEmbeddings(c.optBoolean("tie_word_embeddings", config.optBoolean("tie_word_embeddings", true)))
                .optBosTokenId(c.optInt("bos_token_id", 2))
                .optEosTokenIds(c.has("eos_token_id") ? c.optIds("eos_token_id") : config.optIds("eos_token_id"));
        customise(c, b, layers);
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(config.source() + ": " + e.getMessage());
        }
    }

    @Override
    public EmbeddingWeights loadEmbedding(ModelConfig cfg, WeightLoader w) throws IOException {
        return new EmbeddingWeights(w.tensor(prefix(w) + "embed_tokens.weight", cfg.vocabSize(), cfg.dModel()), null);
    }

    @Override
    public BlockWeights loadBlock(ModelConfig cfg, WeightLoader w, int i) throws IOException {
        int d = cfg.dModel();
        String l = prefix(w) + "layers." + i + ".";
        return LlamaFamily.projections(cfg, w, l, norm(w, l + "input_layernorm", d),
                norm(w, l + "pre_feedforward_layernorm", d))
                .withPostNorms(norm(w, l + "post_attention_layernorm", d), norm(w, l + "post_feedforward_layernorm", d));
    }

    @Override
    public HeadWeights loadHead(ModelConfig cfg, WeightLoader w, NDArray embed) throws IOException {
        NormWeights lnFinal = norm(w, prefix(w) + "norm", cfg.dModel());
        if (!cfg.tiedEmbeddings()) {
            return new HeadWeights(lnFinal, w.linearWeight(w.resolve("lm_head.weight", "language_model.lm_head.weight"),
                    cfg.vocabSize(), cfg.dModel()), null);
        }
        NDArray table = embed != null ? embed : loadEmbedding(cfg, w).embed();
        return new HeadWeights(lnFinal, table.transpose(), null);
    }

    /** The decoder's tensor prefix: the first of {@link #PREFIXES} holding {@code embed_tokens.weight}. */
    private static String prefix(WeightLoader w) {
        for (String p : PREFIXES) {
            if (w.contains(p + "embed_tokens.weight")) {
                return p;
            }
        }
        return PREFIXES[0]; // absent everywhere: the loader's error names model.embed_tokens.weight
    }

    /** A Gemma RMSNorm: the raw weight w (the forward pass applies 1 + w), no bias. */
    private static NormWeights norm(WeightLoader w, String prefix, int d) throws IOException {
        return new NormWeights(w.vector(prefix + ".weight", d), null);
    }

    private static ActivationFunction activation(HfConfig c) throws CheckpointException {
        String name = c.optString("hidden_activation", c.optString("hidden_act", "gelu_pytorch_tanh"));
        try {
            return ActivationFunction.fromHfName(name);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(c.source() + ": " + e.getMessage());
        }
    }
}
