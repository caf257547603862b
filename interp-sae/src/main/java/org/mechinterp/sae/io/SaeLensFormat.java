package org.mechinterp.sae.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.core.io.SafetensorsWriter;
import org.mechinterp.core.io.TensorInfo;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.model.SaeMetadata;

/**
 * The SAELens checkpoint layout: a folder with {@code cfg.json} and {@code sae_weights.safetensors}
 * ({@code W_enc} [d_in, d_sae], {@code W_dec} [d_sae, d_in], {@code b_enc} [d_sae], {@code b_dec} [d_in], and
 * {@code threshold} [d_sae] for JumpReLU), optionally {@code sparsity.safetensors} ({@code sparsity} = log10
 * feature density [d_sae]).
 *
 * <p>{@code cfg.json} written: {@code architecture} ("standard", "topk", "jumprelu"), {@code d_in},
 * {@code d_sae}, {@code dtype} "float32", {@code device} "cpu", {@code apply_b_dec_to_input},
 * {@code normalize_activations} "none" (normalisation is folded into the weights), {@code k} (TopK), {@code metadata}
 * {model_name, hook_name, hook_head_index, context_size, prepend_bos}, and our {@code provenance} object. Loading
 * also accepts the older flat SAELens config (hook and model at the top level, TopK's k in
 * {@code activation_fn_kwargs}) and F16/BF16/F64 weights (converted to float32).
 *
 * <p><b>Transcoders</b> (SAELens {@code Transcoder}, {@code SkipTranscoder}, {@code JumpReLUTranscoder},
 * {@code JumpReLUSkipTranscoder}): architecture {@code transcoder}, {@code skip_transcoder},
 * {@code jumprelu_transcoder}, {@code jumprelu_skip_transcoder}, and for TopK (which SAELens 6 has no transcoder
 * class for) {@code topk_transcoder} / {@code topk_skip_transcoder} with {@code k}; {@code d_out},
 * {@code apply_b_dec_to_input} false, {@code metadata.hook_name_out}; tensors {@code W_enc} [d_in, d_sae],
 * {@code W_dec} [d_sae, d_out], {@code b_enc} [d_sae], {@code b_dec} [d_out], {@code W_skip} [d_out, d_in] (skip
 * variants), {@code threshold} [d_sae] (JumpReLU). Loading also takes {@code hook_name_out} at the top level (the
 * flat configs of SAELens' pretrained transcoder loaders).
 */
public final class SaeLensFormat {
    /** File name of the SAELens config in an SAE folder. */
    public static final String CFG = "cfg.json";
    /** File name of the SAELens weights in an SAE folder. */
    public static final String WEIGHTS = "sae_weights.safetensors";
    /** File name of the optional log10 feature densities in an SAE folder. */
    public static final String SPARSITY = "sparsity.safetensors";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private SaeLensFormat() {}

    /**
     * Saves {@code sae} into {@code dir} (created if missing): the weights first, then {@code cfg.json}, each file
     * replaced atomically.
     *
     * @param sae the SAE or transcoder to save; not modified
     * @param dir the output folder
     * @throws IOException if a file cannot be written or renamed
     */
    public static void save(Sae sae, Path dir) throws IOException {
        Files.createDirectories(dir);
        int d = sae.dIn();
        int dOut = sae.dOut();
        int n = sae.dSae();
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt")
                .addF32("W_enc", sae.wEnc(), d, n)
                .addF32("W_dec", sae.wDec(), n, dOut)
                .addF32("b_enc", sae.bEnc(), n)
                .addF32("b_dec", sae.bDec(), dOut);
        if (sae.architecture() == Architecture.JUMPRELU) {
            w.addF32("threshold", sae.threshold(), n);
        }
        if (sae.hasSkip()) {
            w.addF32("W_skip", sae.wSkip(), dOut, d);
        }
        w.write(dir.resolve(WEIGHTS));
        AtomicFiles.writeString(dir.resolve(CFG), GSON.toJson(cfg(sae)) + "\n");
    }

    /**
     * The {@code cfg.json} object for {@code sae}.
     *
     * @param sae the SAE or transcoder
     * @return a new JSON object with its architecture, dims, hooks, metadata and provenance
     */
    public static JsonObject cfg(Sae sae) {
        JsonObject o = new JsonObject();
        o.addProperty("architecture", architectureName(sae));
        o.addProperty("d_in", sae.dIn());
        if (sae.isTranscoder()) {
            o.addProperty("d_out", sae.dOut());
        }
        o.addProperty("d_sae", sae.dSae());
        o.addProperty("dtype", "float32");
        o.addProperty("device", "cpu");
        o.addProperty("apply_b_dec_to_input", sae.applyBDecToInput());
        o.addProperty("normalize_activations", "none");
        if (sae.architecture() == Architecture.TOPK) {
            o.addProperty("k", sae.k());
        }
        JsonObject meta = new JsonObject();
        SaeMetadata m = sae.metadata();
        meta.addProperty("model_name", m.modelName());
        meta.addProperty("hook_name", m.hookName());
        meta.add("hook_head_index", null);
        if (sae.isTranscoder()) {
            meta.addProperty("hook_name_out", sae.outputHook());
            meta.add("hook_head_index_out", null);
        }
        meta.addProperty("context_size", m.contextSize());
        meta.addProperty("prepend_bos", m.prependBos());
        o.add("metadata", meta);
        o.add("provenance", sae.provenance());
        return o;
    }

    /** The {@code architecture} value for {@code sae} (see the class comment for transcoders). */
    static String architectureName(Sae sae) {
        if (!sae.isTranscoder()) {
            return sae.architecture().saeLensName();
        }
        String prefix = switch (sae.architecture()) {
            case RELU -> "";
            case TOPK -> "topk_";
            default -> "jumprelu_";
        };
        return prefix + (sae.hasSkip() ? "skip_" : "") + "transcoder";
    }

    /**
     * Writes {@code sparsity.safetensors} with {@code sparsity} = log10 feature density [d_sae].
     *
     * @param dir the SAE folder (created if missing)
     * @param log10Density log10 density per latent [d_sae]; not modified
     * @throws IOException if the file cannot be written
     */
    public static void saveSparsity(Path dir, float[] log10Density) throws IOException {
        Files.createDirectories(dir);
        new SafetensorsWriter().metadata("format", "pt").addF32("sparsity", log10Density, log10Density.length)
                .write(dir.resolve(SPARSITY));
    }

    /**
     * Loads a SAELens folder.
     *
     * @param dir the SAE folder
     * @return the SAE or transcoder
     * @throws NoSuchFileException if {@code cfg.json} or the weights file is missing
     * @throws IOException if the config is malformed, the architecture or normalisation is unsupported, a
     *     tensor is missing, or a tensor's shape disagrees with the config (the message names the key and both
     *     shapes)
     */
    public static Sae load(Path dir) throws IOException {
        Path cfgFile = dir.resolve(CFG);
        JsonObject cfg = readJson(cfgFile);
        Layout layout = layout(cfg, cfgFile);
        Architecture arch = layout.architecture();
        boolean transcoder = layout.transcoder();
        boolean skip = layout.skip();
        int dIn = integer(cfg, cfgFile, "d_in");
        int dSae = integer(cfg, cfgFile, "d_sae");
        String norm = string(cfg, "normalize_activations", "none");
        if (!norm.equals("none")) {
            throw new IOException(cfgFile + ": normalize_activations is '" + norm + "'; only 'none' is supported "
                    + "(fold the normalisation into the weights before saving)");
        }
        int k = arch == Architecture.TOPK ? topK(cfg, cfgFile) : 0;
        JsonObject meta = cfg.has("metadata") && cfg.get("metadata").isJsonObject() ? cfg.getAsJsonObject("metadata")
                : cfg;
        SaeMetadata metadata = metadata(meta);
        boolean applyBDec = !cfg.has("apply_b_dec_to_input") || cfg.get("apply_b_dec_to_input").isJsonNull()
                || cfg.get("apply_b_dec_to_input").getAsBoolean();
        int dOut = dIn;
        if (transcoder) {
            dOut = integer(cfg, cfgFile, "d_out");
            if (applyBDec && cfg.has("apply_b_dec_to_input")) {
                throw new IOException(cfgFile + ": a transcoder needs apply_b_dec_to_input false (its b_dec has "
                        + "width d_out)");
            }
            applyBDec = false;
        }
        Sae.Builder b = Sae.builder().setArchitecture(arch).setDims(dIn, dSae).optK(k).optApplyBDecToInput(applyBDec)
                .optMetadata(metadata);
        if (transcoder) {
            b.optTranscoder(dOut, string(meta, "hook_name_out", string(cfg, "hook_name_out", "")));
        }
        if (cfg.has("provenance") && cfg.get("provenance").isJsonObject()) {
            b.optProvenance(cfg.getAsJsonObject("provenance"));
        }
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(WEIGHTS))) {
            b.setWEnc(tensor(f, "W_enc", dIn, dSae), dIn, dSae);
            b.setWDec(tensor(f, "W_dec", dSae, dOut));
            b.setBEnc(tensor(f, "b_enc", dSae));
            b.setBDec(tensor(f, "b_dec", dOut));
            if (arch == Architecture.JUMPRELU) {
                b.optThreshold(tensor(f, "threshold", dSae));
            }
            if (skip) {
                b.optWSkip(tensor(f, "W_skip", dOut, dIn));
            }
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IOException(cfgFile + ": " + e.getMessage(), e);
        }
    }

    /** What cfg.json's {@code architecture} names: the activation, and whether it is a (skip) transcoder. */
    private record Layout(Architecture architecture, boolean transcoder, boolean skip) {
    }

    private static Layout layout(JsonObject cfg, Path cfgFile) throws IOException {
        String archName = string(cfg, "architecture", "standard");
        boolean transcoder = archName.endsWith("transcoder");
        boolean skip = archName.endsWith("skip_transcoder");
        if (transcoder) {
            String family = archName.substring(0, archName.length() - (skip ? "skip_transcoder" : "transcoder")
                    .length());
            archName = family.isEmpty() ? "standard" : family.substring(0, family.length() - 1);
        }
        Architecture arch;
        switch (archName) {
            case "standard":
                arch = Architecture.RELU;
                break;
            case "topk":
                arch = Architecture.TOPK;
                break;
            case "jumprelu":
                arch = Architecture.JUMPRELU;
                break;
            default:
                throw new IOException(cfgFile + ": architecture '" + string(cfg, "architecture", "")
                        + "' is not supported (supported: standard, topk, jumprelu, transcoder, skip_transcoder, "
                        + "jumprelu_transcoder, jumprelu_skip_transcoder, topk_transcoder, topk_skip_transcoder)");
        }
        return new Layout(arch, transcoder, skip);
    }

    /** {@code k} of a TopK SAE: top-level, or in {@code activation_fn_kwargs} (older SAELens). */
    private static int topK(JsonObject cfg, Path cfgFile) throws IOException {
        JsonElement kk = cfg.get("k");
        if ((kk == null || kk.isJsonNull()) && cfg.has("activation_fn_kwargs")
                && cfg.get("activation_fn_kwargs").isJsonObject()) {
            kk = cfg.getAsJsonObject("activation_fn_kwargs").get("k");
        }
        if (kk == null || kk.isJsonNull()) {
            throw new IOException(cfgFile + ": a topk SAE needs 'k'");
        }
        return kk.getAsInt();
    }

    private static SaeMetadata metadata(JsonObject meta) {
        return new SaeMetadata(string(meta, "model_name", ""), string(meta, "hook_name", ""),
                meta.has("context_size") && !meta.get("context_size").isJsonNull()
                        ? meta.get("context_size").getAsInt() : 0,
                !meta.has("prepend_bos") || meta.get("prepend_bos").isJsonNull()
                        || meta.get("prepend_bos").getAsBoolean());
    }

    /** Reads a float tensor and checks its shape. */
    static float[] tensor(SafetensorsFile f, String key, long... expected) throws IOException {
        if (!f.contains(key)) {
            throw new IOException(f.path() + ": tensor '" + key + "' is missing (expected shape "
                    + Arrays.toString(expected) + ")");
        }
        TensorInfo info = f.info(key);
        if (!Arrays.equals(info.shape(), expected)) {
            throw new IOException(f.path() + ": tensor '" + key + "' has shape " + Arrays.toString(info.shape())
                    + " but the configuration requires " + Arrays.toString(expected));
        }
        return f.readFloats(key);
    }

    /** {@link #tensor} that also refuses NaN and infinite values, naming the tensor and the element. */
    static float[] finiteTensor(SafetensorsFile f, String key, long... expected) throws IOException {
        float[] v = tensor(f, key, expected);
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new IOException(f.path() + ": tensor '" + key + "' element " + i + " is " + v[i]
                        + "; the weights must be finite");
            }
        }
        return v;
    }

    static JsonObject readJson(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        try {
            JsonElement e = JsonParser.parseString(text);
            if (!e.isJsonObject()) {
                throw new IOException(file + ": expected a JSON object");
            }
            return e.getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException(file + ": not valid JSON (" + e.getMessage() + ")", e);
        }
    }

    static String string(JsonObject o, String key, String dflt) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? dflt : e.getAsString();
    }

    static int integer(JsonObject o, Path file, String key) throws IOException {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            throw new IOException(file + ": '" + key + "' is missing");
        }
        try {
            int v = e.getAsInt();
            if (v < 1) {
                throw new IOException(file + ": '" + key + "' must be >= 1, got " + v);
            }
            return v;
        } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException ex) {
            throw new IOException(file + ": '" + key + "' must be an integer, got " + e);
        }
    }
}
