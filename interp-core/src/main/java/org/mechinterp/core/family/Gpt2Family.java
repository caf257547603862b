package org.mechinterp.core.family;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.mechinterp.core.model.ActivationFunction;
import org.mechinterp.core.model.BlockWeights;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.NormKind;
import org.mechinterp.core.model.NormWeights;
import org.mechinterp.core.model.TransformerWeights;

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
    public TransformerWeights loadWeights(ModelConfig cfg, WeightLoader w) throws IOException {
        String p = w.contains("transformer.wte.weight") ? "transformer." : "";
        int d = cfg.dModel();
        int m = cfg.dMlp();
        NDManager manager = w.manager();
        NDArray wte = w.tensor(p + "wte.weight", cfg.vocabSize(), d);
        NDArray wpe = w.tensor(p + "wpe.weight", cfg.maxPositions(), d);
        List<BlockWeights> blocks = new ArrayList<>();
        for (int i = 0; i < cfg.nLayers(); i++) {
            String l = p + "h." + i + ".";
            float[] qkv = w.read(l + "attn.c_attn.weight", d, 3L * d);       // [D, 3D]: q | k | v columns
            float[] qkvBias = w.read(l + "attn.c_attn.bias", 3L * d);
            blocks.add(new BlockWeights(
                    layerNorm(w, l + "ln_1", d),
                    columns(manager, qkv, d, 3 * d, 0, d), slice(manager, qkvBias, 0, d),
                    columns(manager, qkv, d, 3 * d, d, d), slice(manager, qkvBias, d, d),
                    columns(manager, qkv, d, 3 * d, 2 * d, d), slice(manager, qkvBias, 2 * d, d),
                    null, null,
                    w.tensor(l + "attn.c_proj.weight", d, d), w.vector(l + "attn.c_proj.bias", d),
                    layerNorm(w, l + "ln_2", d),
                    null,
                    w.tensor(l + "mlp.c_fc.weight", d, m), w.vector(l + "mlp.c_fc.bias", m),
                    w.tensor(l + "mlp.c_proj.weight", m, d), w.vector(l + "mlp.c_proj.bias", d)));
        }
        return new TransformerWeights(wte, wpe, blocks, layerNorm(w, p + "ln_f", d), wte.transpose());
    }

    private static NormWeights layerNorm(WeightLoader w, String prefix, int d) throws IOException {
        return new NormWeights(w.vector(prefix + ".weight", d), w.vector(prefix + ".bias", d));
    }

    /** Columns [from, from+width) of a row-major [rows, cols] matrix, as [rows, width]. */
    private static NDArray columns(NDManager m, float[] data, int rows, int cols, int from, int width) {
        float[] out = new float[rows * width];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(data, r * cols + from, out, r * width, width);
        }
        return m.create(out, new Shape(rows, width));
    }

    private static NDArray slice(NDManager m, float[] data, int from, int length) {
        float[] out = new float[length];
        System.arraycopy(data, from, out, 0, length);
        return m.create(out, new Shape(length));
    }
}
