package org.mechinterp.core.family;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.util.Set;
import org.mechinterp.core.model.ActivationFunction;
import org.mechinterp.core.model.BlockWeights;
import org.mechinterp.core.model.EmbeddingWeights;
import org.mechinterp.core.model.HeadWeights;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.NormKind;
import org.mechinterp.core.model.NormWeights;
import org.mechinterp.core.model.RopeScaling;

/**
 * GPT-NeoX / Pythia ({@code modeling_gpt_neox.py}): LayerNorm with biases, exact GELU ({@code hidden_act}),
 * attention and MLP biases ({@code attention_bias}, default true), untied {@code embed_out}, partial rotary on the
 * first {@code int(head_dim·rotary_pct)} channels of each head (base {@code rotary_emb_base}; transformers 5:
 * {@code rope_parameters} {@code rope_theta} / {@code partial_rotary_factor}), and {@code use_parallel_residual}
 * (default true): x + attn(ln1(x)) + mlp(ln2(x)), else the sequential block.
 *
 * <p>The fused {@code query_key_value} [3·H·Dh, D] holds, per head h, the rows of q_h, then k_h, then v_h
 * (HF views its output as [.., H, 3·Dh]); W_Q/W_K/W_V are gathered from that layout at load time.
 */
public final class GptNeoXFamily implements ModelFamily {
    @Override
    public Set<String> modelTypes() {
        return Set.of("gpt_neox");
    }

    @Override
    public ModelConfig parseConfig(HfConfig c) throws CheckpointException {
        int heads = c.requireInt("num_attention_heads");
        int d = c.requireInt("hidden_size");
        if (d % heads != 0) {
            throw new CheckpointException(c.source() + ": hidden_size " + d + " is not divisible by "
                    + heads + " attention heads");
        }
        JsonObject params = c.has("rope_parameters") ? c.json().getAsJsonObject("rope_parameters") : null;
        double pct = c.optDouble("rotary_pct", number(params, "partial_rotary_factor", 0.25));
        double theta = c.optDouble("rotary_emb_base", c.optDouble("rope_theta",
                number(params, "rope_theta", 10_000.0)));
        JsonObject scaling = c.has("rope_scaling") ? c.json().getAsJsonObject("rope_scaling") : params;
        boolean bias = c.optBoolean("attention_bias", true);
        ModelConfig.Builder b = ModelConfig.builder()
                .optModelType(c.modelType())
                .setVocabSize(c.requireInt("vocab_size"))
                .setDModel(d)
                .setNLayers(c.requireInt("num_hidden_layers"))
                .setNHeads(heads)
                .setDMlp(c.requireInt("intermediate_size"))
                .optMaxPositions(c.optInt("max_position_embeddings", 2048))
                .optNorm(NormKind.LAYER_NORM, c.optDouble("layer_norm_eps", 1e-5))
                .optActivation(activation(c))
                .optGatedMlp(false)
                .optMlpBias(true)
                .optQkvBias(bias)
                .optAttnOutBias(bias)
                .optTiedEmbeddings(c.optBoolean("tie_word_embeddings", false))
                .optRope(c.rope(theta, scaling))
                .optRotaryDim((int) (d / heads * pct))                       // HF: int(head_size * rotary_pct)
                .optParallelResidual(c.optBoolean("use_parallel_residual", true))
                .optBosTokenId(c.optInt("bos_token_id", 0))
                .optEosTokenIds(c.optIds("eos_token_id"));
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(c.source() + ": " + e.getMessage());
        }
    }

    @Override
    public EmbeddingWeights loadEmbedding(ModelConfig cfg, WeightLoader w) throws IOException {
        return new EmbeddingWeights(w.tensor(prefix(w) + "embed_in.weight", cfg.vocabSize(), cfg.dModel()), null);
    }

    @Override
    public BlockWeights loadBlock(ModelConfig cfg, WeightLoader w, int i) throws IOException {
        int d = cfg.dModel();
        int m = cfg.dMlp();
        String l = prefix(w) + "layers." + i + ".";
        String a = l + "attention.";
        NDArray qkv = w.tensor(a + "query_key_value.weight", 3L * d, d);                        // [3D, D] (out, in)
        NDArray qkvBias = cfg.qkvBias() ? w.vector(a + "query_key_value.bias", 3L * d) : null;
        NDArray[] weights = splitHeads(cfg, qkv);
        NDArray[] biases = qkvBias == null ? new NDArray[3] : splitHeads(cfg, qkvBias);
        return new BlockWeights(
                layerNorm(w, l + "input_layernorm", d),
                weights[0], biases[0], weights[1], biases[1], weights[2], biases[2],
                null, null,
                w.linearWeight(a + "dense.weight", d, d), cfg.attnOutBias() ? w.vector(a + "dense.bias", d) : null,
                layerNorm(w, l + "post_attention_layernorm", d),
                null,
                w.linearWeight(l + "mlp.dense_h_to_4h.weight", m, d), w.vector(l + "mlp.dense_h_to_4h.bias", m),
                w.linearWeight(l + "mlp.dense_4h_to_h.weight", d, m), w.vector(l + "mlp.dense_4h_to_h.bias", d));
    }

    @Override
    public HeadWeights loadHead(ModelConfig cfg, WeightLoader w, NDArray embed) throws IOException {
        NormWeights lnFinal = layerNorm(w, prefix(w) + "final_layer_norm", cfg.dModel());
        if (!cfg.tiedEmbeddings()) {
            return new HeadWeights(lnFinal, w.linearWeight("embed_out.weight", cfg.vocabSize(), cfg.dModel()), null);
        }
        NDArray table = embed != null ? embed : loadEmbedding(cfg, w).embed();
        return new HeadWeights(lnFinal, table.transpose(), null);
    }

    /**
     * Splits the fused projection by HF's per-head layout: rows [h·3·Dh, h·3·Dh + Dh) are q_h, the next Dh k_h, the
     * next Dh v_h. A weight [3D, D] becomes W_Q, W_K, W_V [D, H·Dh] (transposed views of contiguous copies); a bias
     * [3D] becomes b_Q, b_K, b_V [H·Dh]. The fused array is closed.
     */
    static NDArray[] splitHeads(ModelConfig cfg, NDArray fused) {
        int heads = cfg.nHeads();
        int dh = cfg.headDim();
        boolean matrix = fused.getShape().dimension() == 2;
        long in = matrix ? fused.getShape().get(1) : 1;
        NDArray[] out = new NDArray[3];
        try (NDArray perHead = fused.reshape(heads, 3, dh, in)) {                            // a view
            for (int part = 0; part < 3; part++) {
                try (NDArray rows = perHead.get(new NDIndex(":, {}", part))) {                 // [H, Dh, in] view
                    NDArray packed = rows.reshape((long) heads * dh, in);                    // contiguous copy
                    out[part] = matrix ? packed.transpose() : packed.reshape((long) heads * dh);
                    if (out[part] != packed) {
                        packed.close(); // the view keeps the storage alive
                    }
                }
            }
        }
        fused.close();
        return out;
    }

    /** "gpt_neox." for checkpoints saved from GPTNeoXForCausalLM, "" for bare models. */
    private static String prefix(WeightLoader w) {
        return w.contains("gpt_neox.embed_in.weight") ? "gpt_neox." : "";
    }

    private static NormWeights layerNorm(WeightLoader w, String prefix, int d) throws IOException {
        return new NormWeights(w.vector(prefix + ".weight", d), w.vector(prefix + ".bias", d));
    }

    private static double number(JsonObject o, String key, double fallback) {
        return o != null && o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsDouble() : fallback;
    }

    private static ActivationFunction activation(HfConfig c) throws CheckpointException {
        try {
            return ActivationFunction.fromHfName(c.optString("hidden_act", "gelu"));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(c.source() + ": " + e.getMessage());
        }
    }
}
