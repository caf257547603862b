package org.mechinterp.core.family;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
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
 * GPT-2 checkpoints: LayerNorm, learned positions, GELU MLP, Conv1D weights stored [in, out] (already our
 * orientation), q/k/v packed in {@code c_attn}; keys with or without the {@code transformer.} prefix. Non-weight
 * buffers ({@code attn.bias}, {@code attn.masked_bias}) are ignored.
 */
public final class Gpt2Family implements ModelFamily {
    @Override
    public Set<String> modelTypes() {
        return Set.of("gpt2");
    }

    @Override
    public ModelConfig parseConfig(HfConfig c) throws CheckpointException {
        if (c.optBoolean("scale_attn_by_inverse_layer_idx", false)) {
            throw new CheckpointException(c.source() + ": scale_attn_by_inverse_layer_idx=true is not supported");
        }
        int d = c.requireInt("n_embd", "hidden_size");
        ActivationFunction act;
        try {
            act = ActivationFunction.fromHfName(c.optString("activation_function", "gelu_new"));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(c.source() + ": " + e.getMessage());
        }
        return ModelConfig.builder()
                .optModelType(c.modelType())
                .setVocabSize(c.requireInt("vocab_size"))
                .setDModel(d)
                .setNLayers(c.requireInt("n_layer", "num_hidden_layers"))
                .setNHeads(c.requireInt("n_head", "num_attention_heads"))
                .setDMlp(c.optInt("n_inner", 4 * d))
                .optMaxPositions(c.optInt("n_positions", 1024))
                .optNorm(NormKind.LAYER_NORM, c.optDouble("layer_norm_epsilon", 1e-5))
                .optActivation(act)
                .optGatedMlp(false)
                .optMlpBias(true)
                .optQkvBias(true)
                .optAttnOutBias(true)
                .optTiedEmbeddings(true)
                .optLearnedPositions()
                .optBosTokenId(c.optInt("bos_token_id", -1))
                .optEosTokenIds(c.optIds("eos_token_id"))
                .build();
    }

    @Override
    public EmbeddingWeights loadEmbedding(ModelConfig cfg, WeightLoader w) throws IOException {
        String p = prefix(w);
        return new EmbeddingWeights(w.tensor(p + "wte.weight", cfg.vocabSize(), cfg.dModel()),
                w.tensor(p + "wpe.weight", cfg.maxPositions(), cfg.dModel()));
    }

    @Override
    public BlockWeights loadBlock(ModelConfig cfg, WeightLoader w, int i) throws IOException {
        int d = cfg.dModel();
        int m = cfg.dMlp();
        String l = prefix(w) + "h." + i + ".";
        // Conv1D weights are stored [in, out] already; c_attn's columns are q | k | v (views, no copies).
        NDArray qkv = w.tensor(l + "attn.c_attn.weight", d, 3L * d);                            // [D, 3D]
        NDArray qkvBias = w.vector(l + "attn.c_attn.bias", 3L * d);
        return new BlockWeights(
                layerNorm(w, l + "ln_1", d),
                part(qkv, ":, {}:{}", 0, d), part(qkvBias, "{}:{}", 0, d),
                part(qkv, ":, {}:{}", d, 2 * d), part(qkvBias, "{}:{}", d, 2 * d),
                part(qkv, ":, {}:{}", 2 * d, 3 * d), part(qkvBias, "{}:{}", 2 * d, 3 * d),
                null, null,
                w.tensor(l + "attn.c_proj.weight", d, d), w.vector(l + "attn.c_proj.bias", d),
                layerNorm(w, l + "ln_2", d),
                null,
                w.tensor(l + "mlp.c_fc.weight", d, m), w.vector(l + "mlp.c_fc.bias", m),
                w.tensor(l + "mlp.c_proj.weight", m, d), w.vector(l + "mlp.c_proj.bias", d));
    }

    @Override
    public HeadWeights loadHead(ModelConfig cfg, WeightLoader w, NDArray embed) throws IOException {
        NDArray wte = embed != null ? embed : w.tensor(prefix(w) + "wte.weight", cfg.vocabSize(), cfg.dModel());
        return new HeadWeights(layerNorm(w, prefix(w) + "ln_f", cfg.dModel()), wte.transpose(), null);
    }

    private static String prefix(WeightLoader w) {
        return w.contains("transformer.wte.weight") ? "transformer." : "";
    }

    private static NormWeights layerNorm(WeightLoader w, String prefix, int d) throws IOException {
        return new NormWeights(w.vector(prefix + ".weight", d), w.vector(prefix + ".bias", d));
    }

    /** A view of part of {@code whole}, in the same manager. */
    private static NDArray part(NDArray whole, String index, long from, long to) {
        return whole.get(new NDIndex(index, from, to));
    }
}
