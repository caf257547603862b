package org.mechinterp.bench.checkpoint;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.mechinterp.core.io.DType;

/**
 * The architecture of a checkpoint to generate, defined by an HF {@code config.json}: the tensors it implies (names,
 * shapes and order exactly as {@code transformers}' {@code save_pretrained} writes them for {@code LlamaForCausalLM}
 * and {@code Qwen3ForCausalLM}) and the config text to write beside them.
 *
 * <p>Three presets embed the published configs of {@code Qwen/Qwen3-0.6B}, {@code meta-llama/Llama-3.2-1B} and
 * {@code meta-llama/Llama-3.1-8B} (resources next to this class); {@link #fromConfig} accepts any Llama or Qwen3
 * config, which is how tests use the same code path at a tiny size. Immutable.
 */
public final class ModelShape {
    private static final Map<String, String> PRESETS = new TreeMap<>(Map.of(
            "qwen3-0.6b", "qwen3-0.6b.config.json",
            "llama-3.2-1b", "llama-3.2-1b.config.json",
            "llama-3.1-8b", "llama-3.1-8b.config.json"));

    private final String name;
    private final String configText;
    private final String modelType;
    private final int hidden;
    private final int intermediate;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int vocab;
    private final boolean tied;
    private final double initializerRange;

    private ModelShape(String name, String configText) {
        JsonObject c = JsonParser.parseString(configText).getAsJsonObject();
        this.name = name;
        this.configText = configText;
        this.modelType = c.get("model_type").getAsString();
        if (!modelType.equals("llama") && !modelType.equals("qwen3")) {
            throw new IllegalArgumentException(name + ": model_type '" + modelType
                    + "' is not supported (supported: llama, qwen3)");
        }
        this.hidden = intField(c, "hidden_size", -1);
        this.intermediate = intField(c, "intermediate_size", -1);
        this.layers = intField(c, "num_hidden_layers", -1);
        this.heads = intField(c, "num_attention_heads", -1);
        this.kvHeads = intField(c, "num_key_value_heads", heads);
        this.headDim = intField(c, "head_dim", hidden / heads);
        this.vocab = intField(c, "vocab_size", -1);
        this.tied = has(c, "tie_word_embeddings") && c.get("tie_word_embeddings").getAsBoolean();
        this.initializerRange = has(c, "initializer_range") ? c.get("initializer_range").getAsDouble() : 0.02;
        if (has(c, "attention_bias") && c.get("attention_bias").getAsBoolean()
                || has(c, "mlp_bias") && c.get("mlp_bias").getAsBoolean()) {
            throw new IllegalArgumentException(name + ": attention_bias / mlp_bias are not generated");
        }
    }

    /** The names accepted by {@link #preset}: {@code llama-3.1-8b}, {@code llama-3.2-1b}, {@code qwen3-0.6b}. */
    public static List<String> presetNames() {
        return List.copyOf(PRESETS.keySet());
    }

    /**
     * A preset with the published config of a real model.
     *
     * @param name one of {@link #presetNames()} (case-insensitive)
     * @throws IllegalArgumentException for an unknown name (the message lists the known ones)
     */
    public static ModelShape preset(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        String resource = PRESETS.get(key);
        if (resource == null) {
            throw new IllegalArgumentException("unknown model '" + name + "' (known: " + String.join(", ",
                    presetNames()) + ")");
        }
        try (InputStream in = ModelShape.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("resource " + resource + " is missing from the class path");
            }
            return new ModelShape(key, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A shape from any {@code config.json} text of model_type {@code llama} or {@code qwen3}; the text is written
     * verbatim as the checkpoint's config.
     *
     * @param name a label used in progress lines, the marker file and default folder names
     * @throws IllegalArgumentException for another model_type, a missing size field, or bias terms
     */
    public static ModelShape fromConfig(String name, String configJson) {
        return new ModelShape(name, configJson);
    }

    /**
     * The same widths with {@code n} layers (a reduced-depth variant for quick tests); the config's
     * {@code num_hidden_layers} is rewritten, every other field kept.
     */
    public ModelShape withLayers(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("layers must be >= 1, got " + n);
        }
        if (n == layers) {
            return this;
        }
        JsonObject c = JsonParser.parseString(configText).getAsJsonObject();
        c.addProperty("num_hidden_layers", n);
        return new ModelShape(name + "-" + n + "l", pretty(c));
    }

    /**
     * The config text to write for weights stored in {@code dtype}: verbatim when the config's {@code torch_dtype}
     * already names it (the published BF16 case), else with {@code torch_dtype} rewritten, as
     * {@code save_pretrained} would record it.
     */
    public String configJson(DType dtype) {
        String torch = torchDtype(dtype);
        JsonObject c = JsonParser.parseString(configText).getAsJsonObject();
        if (has(c, "torch_dtype") && c.get("torch_dtype").getAsString().equals(torch)) {
            return configText;
        }
        c.addProperty("torch_dtype", torch);
        return pretty(c);
    }

    private static String torchDtype(DType dtype) {
        switch (dtype) {
            case BF16:
                return "bfloat16";
            case F16:
                return "float16";
            case F32:
                return "float32";
            default:
                throw new IllegalArgumentException("dtype " + dtype + " is not generated (use BF16, F16 or F32)");
        }
    }

    /**
     * Every tensor of the checkpoint in {@code state_dict} order (the order {@code save_pretrained} fills shards
     * in): {@code model.embed_tokens.weight}; per layer the attention projections q, k, v, o (then {@code q_norm},
     * {@code k_norm} for Qwen3), the MLP gate, up and down projections, {@code input_layernorm} and
     * {@code post_attention_layernorm}; {@code model.norm.weight}; and {@code lm_head.weight} only when the
     * embeddings are untied. Linear weights are {@code [out, in]}.
     */
    public List<TensorSpec> tensors() {
        List<TensorSpec> out = new ArrayList<>();
        out.add(TensorSpec.matrix("model.embed_tokens.weight", vocab, hidden));
        int q = heads * headDim;
        int kv = kvHeads * headDim;
        for (int i = 0; i < layers; i++) {
            String l = "model.layers." + i + ".";
            out.add(TensorSpec.matrix(l + "self_attn.q_proj.weight", q, hidden));
            out.add(TensorSpec.matrix(l + "self_attn.k_proj.weight", kv, hidden));
            out.add(TensorSpec.matrix(l + "self_attn.v_proj.weight", kv, hidden));
            out.add(TensorSpec.matrix(l + "self_attn.o_proj.weight", hidden, q));
            if (qkNorm()) {
                out.add(TensorSpec.norm(l + "self_attn.q_norm.weight", headDim));
                out.add(TensorSpec.norm(l + "self_attn.k_norm.weight", headDim));
            }
            out.add(TensorSpec.matrix(l + "mlp.gate_proj.weight", intermediate, hidden));
            out.add(TensorSpec.matrix(l + "mlp.up_proj.weight", intermediate, hidden));
            out.add(TensorSpec.matrix(l + "mlp.down_proj.weight", hidden, intermediate));
            out.add(TensorSpec.norm(l + "input_layernorm.weight", hidden));
            out.add(TensorSpec.norm(l + "post_attention_layernorm.weight", hidden));
        }
        out.add(TensorSpec.norm("model.norm.weight", hidden));
        if (!tied) {
            out.add(TensorSpec.matrix("lm_head.weight", vocab, hidden));
        }
        return out;
    }

    /** The number of stored parameters (the sum of {@link #tensors()}' element counts). */
    public long parameterCount() {
        long n = 0;
        for (TensorSpec t : tensors()) {
            n += t.numel();
        }
        return n;
    }

    /** The label of this shape (a preset name, with {@code -Nl} after {@link #withLayers}). */
    public String name() {
        return name;
    }

    /** The config's {@code model_type}: {@code llama} or {@code qwen3}. */
    public String modelType() {
        return modelType;
    }

    /** {@code num_hidden_layers}. */
    public int layers() {
        return layers;
    }

    /** Whether the attention has per-head q/k RMSNorm weights (Qwen3). */
    public boolean qkNorm() {
        return modelType.equals("qwen3");
    }

    /** {@code tie_word_embeddings}: when true no {@code lm_head.weight} is written. */
    public boolean tiedEmbeddings() {
        return tied;
    }

    /** {@code initializer_range} (0.02 when absent): the standard deviation of the matrices' values. */
    public double initializerRange() {
        return initializerRange;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s (%s: d=%d, mlp=%d, L=%d, heads=%d/%d x %d, vocab=%d, %s)", name,
                modelType, hidden, intermediate, layers, heads, kvHeads, headDim, vocab, tied ? "tied" : "untied");
    }

    private static boolean has(JsonObject c, String key) {
        return c.has(key) && !c.get(key).isJsonNull();
    }

    private int intField(JsonObject c, String key, int fallback) {
        if (!has(c, key)) {
            if (fallback < 0) {
                throw new IllegalArgumentException(name + ": config has no '" + key + "'");
            }
            return fallback;
        }
        JsonElement e = c.get(key);
        return e.getAsInt();
    }

    private static String pretty(JsonObject c) {
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(c) + "\n";
    }
}
