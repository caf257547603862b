package org.mechinterp.sae.io;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.model.SaeMetadata;

/**
 * OpenMOSS Llama Scope layout (lm_saes, e.g. {@code fnlp/Llama3_1-8B-Base-LXR-8x/Llama3_1-8B-Base-L15R-8x/}):
 * {@code hyperparams.json} and the weights in {@code checkpoints/final.safetensors} (also looked for, in lm_saes'
 * order: {@code sae_weights.safetensors}, {@code checkpoints/pruned.safetensors}) with {@code encoder.weight}
 * [m, d], {@code encoder.bias} [m], {@code decoder.weight} [d, m] and {@code decoder.bias} [d] (any float dtype,
 * BF16 included). {@code .pt} checkpoints are pickles and are not read.
 *
 * <p>hyperparams.json fields read (defaults are lm_saes' of the release, Oct 2024): {@code d_model}, {@code d_sae}
 * (or d_model·{@code expansion_factor}), {@code act_fn} (jumprelu, topk, relu), {@code jump_relu_threshold} (0),
 * {@code top_k} (50), {@code norm_activation} ("token-wise"; only "dataset-wise", "inference" and "none" can be
 * folded into fixed weights), {@code dataset_average_activation_norm} {in, out}, {@code sparsity_include_decoder_norm}
 * (true), {@code use_decoder_bias} (true), {@code apply_decoder_bias_to_pre_encoder} (true), {@code hook_point_in}
 * and {@code hook_point_out} (must be equal: otherwise it is a transcoder), {@code use_glu_encoder} (must be false).
 *
 * <p>Math, as lm_saes' {@code SparseAutoEncoder.from_pretrained} turns a release into inference weights: with
 * s_in = √d / norm_in and s_out = √d / norm_out (dataset-wise; 1 otherwise), b_enc ← b_enc/s_in,
 * b_dec ← b_dec/s_out, W_dec ← W_dec·s_in/s_out; then, with decoder-norm sparsity, n_i = ‖W_dec[:, i]‖,
 * W_dec[:, i] ← W_dec[:, i]/n_i, W_enc[i] ← n_i·W_enc[i], b_enc[i] ← n_i·b_enc[i]. On raw x:
 * z = W_enc(x − b_dec) + b_enc (without − b_dec unless apply_decoder_bias_to_pre_encoder), f = z·1[z &gt; θ] with
 * the one scalar θ = jump_relu_threshold (a TopK SAE with θ &gt; 0 is used as this JumpReLU, as lm_saes does),
 * ReLU(TopK_k(z)) for TopK with θ = 0, ReLU(z) for relu; x̂ = W_dec f + b_dec. The reconstruction equals SAELens'
 * Llama Scope loader's; SAELens' codes are s_in times these (it keeps the normalised units) and it skips the
 * decoder-norm step, which changes nothing when the released decoder columns have unit norm.
 */
public final class LlamaScopeFormat {
    /** Name of the Llama Scope settings file in an SAE folder. */
    public static final String HYPERPARAMS = "hyperparams.json";
    /** Weight files in the order lm_saes looks for them. */
    public static final String[] WEIGHTS = {"sae_weights.safetensors", "checkpoints/pruned.safetensors",
            "checkpoints/final.safetensors"};

    private LlamaScopeFormat() {}

    /**
     * Loads a Llama Scope folder.
     *
     * @param dir the SAE folder
     * @return the SAE for raw activations, with dataset-wise normalisation and decoder norms folded into its weights
     * @throws NoSuchFileException if hyperparams.json or every weight file is missing
     * @throws IOException if a setting cannot be expressed as a fixed SAE (named), a tensor is missing or misshapen
     *     (named with both shapes), or a value is not finite
     */
    public static Sae load(Path dir) throws IOException {
        Path cfgFile = dir.resolve(HYPERPARAMS);
        JsonObject hp = SaeLensFormat.readJson(cfgFile);
        int d = SaeLensFormat.integer(hp, cfgFile, "d_model");
        int m = hp.has("d_sae") && !hp.get("d_sae").isJsonNull() ? SaeLensFormat.integer(hp, cfgFile, "d_sae")
                : Math.multiplyExact(d, SaeLensFormat.integer(hp, cfgFile, "expansion_factor"));
        String hookIn = SaeLensFormat.string(hp, "hook_point_in", "");
        String hookOut = SaeLensFormat.string(hp, "hook_point_out", hookIn);
        if (!hookIn.equals(hookOut)) {
            throw new IOException(cfgFile + ": hook_point_in " + hookIn + " differs from hook_point_out " + hookOut
                    + ": a transcoder, not an SAE");
        }
        if (bool(hp, "use_glu_encoder", false)) {
            throw new IOException(cfgFile + ": use_glu_encoder SAEs are not supported");
        }
        double[] scale = normScales(hp, cfgFile, d);
        Path weights = weightsFile(dir);
        boolean useDecBias = bool(hp, "use_decoder_bias", true);
        float[] enc;
        float[] bEnc;
        float[] dec;
        float[] bDec = new float[d];
        try (SafetensorsFile f = SafetensorsFile.open(weights)) {
            enc = SaeLensFormat.finiteTensor(f, "encoder.weight", m, d);
            bEnc = SaeLensFormat.finiteTensor(f, "encoder.bias", m);
            dec = SaeLensFormat.finiteTensor(f, "decoder.weight", d, m);
            if (useDecBias) {
                bDec = SaeLensFormat.finiteTensor(f, "decoder.bias", d);
            }
        }
        float[] wDec = inferenceWeights(hp, scale, d, m, enc, bEnc, dec, bDec);
        Sae.Builder b = Sae.builder().setDims(d, m).setEncoderRows(enc).setBEnc(bEnc).setWDec(wDec).setBDec(bDec)
                .optApplyBDecToInput(useDecBias && bool(hp, "apply_decoder_bias_to_pre_encoder", true))
                .optMetadata(new SaeMetadata(modelFromPath(dir), hookIn, 1024, true));
        activation(b, hp, cfgFile, m);
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IOException(cfgFile + ": " + e.getMessage(), e);
        }
    }

    /** Llama Scope folders are named after the model ({@code Llama3_1-8B-Base-L15R-8x}); "" when not. */
    private static String modelFromPath(Path dir) {
        for (Path p = dir.toAbsolutePath(); p != null && p.getFileName() != null; p = p.getParent()) {
            if (p.getFileName().toString().startsWith("Llama3_1-8B")) {
                return "meta-llama/Llama-3.1-8B";
            }
        }
        return "";
    }

    /** The first weight file present, in lm_saes' order. */
    static Path weightsFile(Path dir) throws IOException {
        for (String w : WEIGHTS) {
            if (Files.isRegularFile(dir.resolve(w))) {
                return dir.resolve(w);
            }
        }
        if (Files.isRegularFile(dir.resolve("checkpoints/final.pt"))) {
            throw new IOException(dir + ": only checkpoints/final.pt is there; .pt files are pickles and are not "
                    + "read. Convert it: python -c \"import torch,safetensors.torch as s; s.save_file(torch.load("
                    + "'final.pt', weights_only=True)['sae'], 'final.safetensors')\"");
        }
        throw new NoSuchFileException(dir.toString(), null, "no Llama Scope weights: none of "
                + String.join(", ", WEIGHTS) + " is there");
    }

    /** {s_in, s_out}: √d / dataset norm for dataset-wise normalisation, 1 when nothing is normalised. */
    private static double[] normScales(JsonObject hp, Path cfgFile, int d) throws IOException {
        String norm = SaeLensFormat.string(hp, "norm_activation", "token-wise");
        switch (norm) {
            case "none":
            case "inference":
                return new double[] {1, 1};
            case "dataset-wise": {
                JsonElement e = hp.get("dataset_average_activation_norm");
                if (e == null || !e.isJsonObject()) {
                    throw new IOException(cfgFile + ": norm_activation is dataset-wise but "
                            + "dataset_average_activation_norm {in, out} is missing");
                }
                JsonObject n = e.getAsJsonObject();
                double in = positive(n, cfgFile, "in");
                double out = n.has("out") ? positive(n, cfgFile, "out") : in;
                return new double[] {Math.sqrt(d) / in, Math.sqrt(d) / out};
            }
            default:
                throw new IOException(cfgFile + ": norm_activation '" + norm + "' rescales each token or batch and "
                        + "cannot be folded into fixed weights (supported: dataset-wise, inference, none)");
        }
    }

    /**
     * Applies lm_saes' release-to-inference transform in place to the encoder rows and biases and returns the
     * decoder as [m, d] rows (the input {@code dec} is [d, m]).
     */
    private static float[] inferenceWeights(JsonObject hp, double[] s, int d, int m, float[] enc, float[] bEnc,
            float[] dec, float[] bDec) {
        boolean decoderNorm = bool(hp, "sparsity_include_decoder_norm", true);
        float[] wDec = new float[m * d];
        for (int i = 0; i < m; i++) {
            double norm2 = 0;
            double[] col = new double[d];
            for (int j = 0; j < d; j++) {
                col[j] = dec[j * m + i] * s[0] / s[1];
                norm2 += col[j] * col[j];
            }
            double n = decoderNorm ? Math.sqrt(norm2) : 1;
            for (int j = 0; j < d; j++) {
                wDec[i * d + j] = (float) (col[j] / n);
                enc[i * d + j] = (float) (enc[i * d + j] * n);
            }
            bEnc[i] = (float) (bEnc[i] / s[0] * n);
        }
        for (int j = 0; j < d; j++) {
            bDec[j] = (float) (bDec[j] / s[1]);
        }
        return wDec;
    }

    private static void activation(Sae.Builder b, JsonObject hp, Path cfgFile, int m) throws IOException {
        String act = SaeLensFormat.string(hp, "act_fn", "relu").toLowerCase(java.util.Locale.ROOT);
        double theta = hp.has("jump_relu_threshold") && !hp.get("jump_relu_threshold").isJsonNull()
                ? hp.get("jump_relu_threshold").getAsDouble() : 0;
        if (!Double.isFinite(theta)) {
            throw new IOException(cfgFile + ": jump_relu_threshold is " + theta);
        }
        if (act.equals("jumprelu") || (act.equals("topk") && theta > 0)) {
            float[] t = new float[m];
            java.util.Arrays.fill(t, (float) theta);
            b.setArchitecture(Architecture.JUMPRELU).optThreshold(t);
        } else if (act.equals("topk")) {
            int k = hp.has("top_k") ? SaeLensFormat.integer(hp, cfgFile, "top_k") : 50;
            b.setArchitecture(Architecture.TOPK).optK(k);
        } else if (act.equals("relu")) {
            b.setArchitecture(Architecture.RELU);
        } else {
            throw new IOException(cfgFile + ": act_fn '" + act + "' is not supported (jumprelu, topk, relu)");
        }
    }


    private static double positive(JsonObject o, Path file, String key) throws IOException {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            throw new IOException(file + ": dataset_average_activation_norm." + key + " is missing");
        }
        double v = e.getAsDouble();
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IOException(file + ": dataset_average_activation_norm." + key + " must be finite and > 0, got "
                    + v);
        }
        return v;
    }

    static boolean bool(JsonObject o, String key, boolean dflt) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? dflt : e.getAsBoolean();
    }
}
