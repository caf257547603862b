package org.mechinterp.core.family;

import ai.djl.ndarray.NDArray;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.mechinterp.core.io.AtomicFile;
import org.mechinterp.core.io.SafetensorsWriter;
import org.mechinterp.core.model.ActivationFunction;
import org.mechinterp.core.model.BlockWeights;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.NormKind;
import org.mechinterp.core.model.RopeScaling;
import org.mechinterp.core.model.TransformerWeights;

/**
 * Writes a model as a Hugging Face checkpoint folder in the Llama layout ({@code model_type} {@code llama}) or,
 * when the config has q/k norms, the Qwen3 layout ({@code qwen3}): {@code config.json} with the transformers field
 * names and {@code model.safetensors} (F32) with the HF tensor names, linear weights transposed back to
 * {@code [out, in]}. This is the inverse of {@link LlamaFamily#loadWeights}: {@code HookedTransformer.load} of the
 * folder reproduces the weights bit for bit.
 *
 * <p>Representable models: RMSNorm, gated SiLU MLP without biases, rotary positions with plain RoPE, attention
 * biases either on all of q, k, v, o or on none, no unembedding bias. Anything else is rejected with an exception
 * naming the feature. Each file is written atomically (temporary sibling + atomic rename), weights before the
 * config, so a reader never sees a config that describes weights not yet written. Existing files of the same
 * names are replaced; other files in the folder are left alone. The model is not modified.
 */
public final class HfCheckpointWriter {
    private HfCheckpointWriter() {}

    /**
     * Writes {@code model} into {@code dir} (created if needed) with no extra config fields.
     *
     * @param model the model
     * @param dir target folder, created if needed
     * @throws IOException if a file cannot be read or written
     */
    public static void write(HookedTransformer model, Path dir) throws IOException {
        write(model.config(), model.weights(), dir, Map.of());
    }

    /**
     * Writes a checkpoint.
     *
     * @param config the architecture
     * @param weights its weights (read, not modified)
     * @param dir target folder, created if needed
     * @param extraConfig additional top-level {@code config.json} fields (e.g. {@code pad_token_id} → 0), values
     *     serialised with Gson (numbers stay numbers); they may not override the architecture fields
     * @throws IllegalArgumentException if the model cannot be expressed in the Llama/Qwen3 layout (the message
     *     names why) or an extra field collides with an architecture field
     * @throws IOException if a file cannot be read or written
     */
    public static void write(ModelConfig config, TransformerWeights weights, Path dir, Map<String, ?> extraConfig)
            throws IOException {
        requireRepresentable(config, weights);
        JsonObject json = configJson(config);
        for (Map.Entry<String, ?> e : extraConfig.entrySet()) {
            if (json.has(e.getKey())) {
                throw new IllegalArgumentException("extra config field '" + e.getKey()
                        + "' would override an architecture field");
            }
            json.add(e.getKey(), new com.google.gson.Gson().toJsonTree(e.getValue()));
        }
        Files.createDirectories(dir);
        SafetensorsWriter st = new SafetensorsWriter().metadata("format", "pt");
        int d = config.dModel();
        st.addF32("model.embed_tokens.weight", weights.embed().toFloatArray(), config.vocabSize(), d);
        for (int i = 0; i < config.nLayers(); i++) {
            BlockWeights b = weights.blocks().get(i);
            String l = "model.layers." + i + ".";
            String a = l + "self_attn.";
            st.addF32(l + "input_layernorm.weight", b.ln1().weight().toFloatArray(), d);
            linear(st, a + "q_proj.weight", b.wq());
            linear(st, a + "k_proj.weight", b.wk());
            linear(st, a + "v_proj.weight", b.wv());
            linear(st, a + "o_proj.weight", b.wo());
            if (config.qkvBias()) {
                vector(st, a + "q_proj.bias", b.bq());
                vector(st, a + "k_proj.bias", b.bk());
                vector(st, a + "v_proj.bias", b.bv());
                vector(st, a + "o_proj.bias", b.bo());
            }
            if (config.qkNorm()) {
                vector(st, a + "q_norm.weight", b.qNorm());
                vector(st, a + "k_norm.weight", b.kNorm());
            }
            st.addF32(l + "post_attention_layernorm.weight", b.ln2().weight().toFloatArray(), d);
            linear(st, l + "mlp.gate_proj.weight", b.wGate());
            linear(st, l + "mlp.up_proj.weight", b.wIn());
            linear(st, l + "mlp.down_proj.weight", b.wOut());
        }
        st.addF32("model.norm.weight", weights.lnFinal().weight().toFloatArray(), d);
        if (!config.tiedEmbeddings()) {
            linear(st, "lm_head.weight", weights.unembed());
        }
        st.write(dir.resolve("model.safetensors"));
        writeAtomically(dir.resolve("config.json"), new GsonBuilder().setPrettyPrinting().disableHtmlEscaping()
                .create().toJson(json) + "\n");
    }

    /**
     * The {@code config.json} object this writer produces for {@code config}.
     *
     * @param config the architecture
     * @return the {@code config.json} object this writer produces for {@code config}
     */
    public static JsonObject configJson(ModelConfig config) {
        boolean qwen3 = config.qkNorm();
        JsonObject o = new JsonObject();
        JsonArray arch = new JsonArray();
        arch.add(qwen3 ? "Qwen3ForCausalLM" : "LlamaForCausalLM");
        o.add("architectures", arch);
        o.addProperty("model_type", qwen3 ? "qwen3" : "llama");
        o.addProperty("vocab_size", config.vocabSize());
        o.addProperty("hidden_size", config.dModel());
        o.addProperty("intermediate_size", config.dMlp());
        o.addProperty("num_hidden_layers", config.nLayers());
        o.addProperty("num_attention_heads", config.nHeads());
        o.addProperty("num_key_value_heads", config.nKvHeads());
        o.addProperty("head_dim", config.headDim());
        o.addProperty("max_position_embeddings", config.maxPositions());
        o.addProperty("hidden_act", "silu");
        o.addProperty("rms_norm_eps", config.normEps());
        o.addProperty("rope_theta", config.rope().theta());
        o.addProperty("attention_bias", config.qkvBias());
        o.addProperty("attention_dropout", 0.0);
        o.addProperty("mlp_bias", false);
        o.addProperty("tie_word_embeddings", config.tiedEmbeddings());
        if (config.bosTokenId() >= 0) {
            o.addProperty("bos_token_id", config.bosTokenId());
        }
        int[] eos = config.eosTokenIds();
        if (eos.length == 1) {
            o.addProperty("eos_token_id", eos[0]);
        } else if (eos.length > 1) {
            JsonArray e = new JsonArray();
            for (int id : eos) {
                e.add(id);
            }
            o.add("eos_token_id", e);
        }
        o.addProperty("torch_dtype", "float32");
        o.addProperty("use_cache", true);
        return o;
    }

    private static void requireRepresentable(ModelConfig c, TransformerWeights w) {
        String why = null;
        if (c.norm() != NormKind.RMS_NORM) {
            why = "it uses " + c.norm() + " (the Llama layout has RMSNorm only)";
        } else if (!c.gatedMlp() || c.activation() != ActivationFunction.SILU) {
            why = "its MLP is not a gated SiLU MLP";
        } else if (c.mlpBias()) {
            why = "its MLP has biases";
        } else if (c.positions() != ModelConfig.Positions.ROTARY) {
            why = "it uses learned positions";
        } else if (c.rope().kind() != RopeScaling.Kind.NONE) {
            why = "its RoPE scaling (" + c.rope() + ") is not plain";
        } else if (c.qkvBias() != c.attnOutBias()) {
            why = "attention biases must be on all of q, k, v, o or on none";
        } else if (w.unembedBias() != null) {
            why = "it has an unembedding bias";
        } else if (w.blocks().size() != c.nLayers()) {
            why = "the weights have " + w.blocks().size() + " blocks but the config " + c.nLayers();
        }
        if (why != null) {
            throw new IllegalArgumentException("cannot write " + c + " as a Llama/Qwen3 checkpoint: " + why);
        }
    }

    /** Canonical [in, out] back to nn.Linear's [out, in]. */
    private static void linear(SafetensorsWriter st, String name, NDArray w) {
        long in = w.getShape().get(0);
        long out = w.getShape().get(1);
        st.addF32(name, WeightLoader.transpose(w.toFloatArray(), (int) in, (int) out), out, in);
    }

    private static void vector(SafetensorsWriter st, String name, NDArray v) {
        st.addF32(name, v.toFloatArray(), v.getShape().get(0));
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        AtomicFile.writeString(file, text);   // mode by umask, named errors
    }
}
