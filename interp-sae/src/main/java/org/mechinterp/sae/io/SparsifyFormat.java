package org.mechinterp.sae.io;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.model.SaeMetadata;

/**
 * EleutherAI sparsify's layout (one folder per hook point): {@code cfg.json} ({@code k}, {@code num_latents} or
 * {@code expansion_factor}, optionally {@code d_in}) and {@code sae.safetensors} with {@code encoder.weight}
 * [n, d], {@code encoder.bias} [n], {@code W_dec} [n, d], {@code b_dec} [d]. A sparsify SAE is a TopK SAE with
 * the encoder applied to x − b_dec, which is what it loads as. Skip connections and multi-TopK are refused.
 */
public final class SparsifyFormat {
    /** File name of the sparsify weights in an SAE folder (beside {@code cfg.json}). */
    public static final String WEIGHTS = "sae.safetensors";

    private SparsifyFormat() {}

    /**
     * @param hookName the hook point to record in the metadata (sparsify names folders by module, not by
     *     TransformerLens hook; may be empty)
     * @param dir the SAE folder holding {@code cfg.json} and {@code sae.safetensors}
     * @return the TopK SAE
     * @throws IOException if a file is missing, the config is unsupported, or shapes disagree (names key and shapes)
     */
    public static Sae load(Path dir, String hookName) throws IOException {
        Path cfgFile = dir.resolve(SaeLensFormat.CFG);
        JsonObject cfg = SaeLensFormat.readJson(cfgFile);
        if (cfg.has("skip_connection") && cfg.get("skip_connection").getAsBoolean()) {
            throw new IOException(cfgFile + ": skip_connection SAEs (transcoders) are not supported");
        }
        int k = SaeLensFormat.integer(cfg, cfgFile, "k");
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(WEIGHTS))) {
            if (!f.contains("b_dec")) {
                throw new IOException(f.path() + ": tensor 'b_dec' is missing");
            }
            long[] bShape = f.info("b_dec").shape();
            int d = cfg.has("d_in") ? SaeLensFormat.integer(cfg, cfgFile, "d_in") : (int) bShape[bShape.length - 1];
            int n;
            if (cfg.has("num_latents") && cfg.get("num_latents").getAsInt() > 0) {
                n = cfg.get("num_latents").getAsInt();
            } else if (cfg.has("expansion_factor")) {
                n = d * cfg.get("expansion_factor").getAsInt();
            } else {
                throw new IOException(cfgFile + ": needs num_latents or expansion_factor");
            }
            Sae.Builder b = Sae.builder().setArchitecture(Architecture.TOPK).setDims(d, n).optK(k)
                    .setEncoderRows(SaeLensFormat.tensor(f, "encoder.weight", n, d))
                    .setBEnc(SaeLensFormat.tensor(f, "encoder.bias", n))
                    .setWDec(SaeLensFormat.tensor(f, "W_dec", n, d))
                    .setBDec(SaeLensFormat.tensor(f, "b_dec", d))
                    .optMetadata(new SaeMetadata("", hookName == null ? "" : hookName, 0, true));
            try {
                return b.build();
            } catch (IllegalArgumentException e) {
                throw new IOException(cfgFile + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Loads an SAE folder or file in any layout {@link PretrainedSaes} recognises (SAELens, sparsify, Gemma Scope,
     * Llama Scope, Qwen-Scope).
     *
     * @param dir an SAE folder or weights file
     * @return the loaded SAE or transcoder
     * @throws IOException if the path holds none of them, or what that layout's reader throws
     */
    public static Sae loadAny(Path dir) throws IOException {
        return PretrainedSaes.load(dir);
    }
}
