package org.mechinterp.sae.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import org.mechinterp.sae.model.Sae;

/**
 * Loads an SAE from a local folder or file in any supported layout, recognised by its file names:
 * <table>
 * <caption>Layouts, in the order they are tried</caption>
 * <tr><th>layout</th><th>what is there</th><th>reader</th></tr>
 * <tr><td>Gemma Scope</td><td>{@code params.npz} (or the .npz file itself)</td><td>{@link GemmaScopeFormat}</td></tr>
 * <tr><td>Llama Scope</td><td>{@code hyperparams.json} + {@code checkpoints/final.safetensors}</td>
 *     <td>{@link LlamaScopeFormat}</td></tr>
 * <tr><td>SAELens</td><td>{@code cfg.json} + {@code sae_weights.safetensors}</td><td>{@link SaeLensFormat}</td></tr>
 * <tr><td>sparsify</td><td>{@code cfg.json} + {@code sae.safetensors}</td><td>{@link SparsifyFormat}</td></tr>
 * <tr><td>Qwen-Scope</td><td>one {@code layerN.sae.safetensors} (or that file)</td>
 *     <td>{@link QwenScopeFormat}</td></tr>
 * </table>
 * Transcoders load too ({@link Sae#isTranscoder()}, with {@link Sae#outputHook()}): SAELens transcoder folders
 * (same files, a transcoder {@code architecture} in cfg.json) and Gemma Scope transcoder releases
 * ({@code gemma-scope-…-transcoders/layer_L/…/params.npz}).
 * Pickled checkpoints ({@code .pt}, {@code .pth}, {@code .ckpt}, {@code .bin}) are refused with how to convert them.
 */
public final class PretrainedSaes {
    private PretrainedSaes() {}

    /** The layouts {@link #detect} recognises. */
    public enum Layout {
        /** Gemma Scope: {@code params.npz} (JumpReLU SAE or transcoder). */
        GEMMA_SCOPE,
        /** Llama Scope: {@code hyperparams.json} with lm_saes weights. */
        LLAMA_SCOPE,
        /** SAELens: {@code cfg.json} with {@code sae_weights.safetensors}. */
        SAELENS,
        /** EleutherAI sparsify: {@code cfg.json} with {@code sae.safetensors}. */
        SPARSIFY,
        /** Qwen-Scope: a {@code layerN.sae.safetensors} file. */
        QWEN_SCOPE
    }

    /**
     * Loads the SAE at {@code path} (folder or file).
     *
     * @param path an SAE folder or weights file
     * @return the loaded SAE or transcoder
     * @throws NoSuchFileException if the path does not exist or holds no recognised layout (the message lists the
     *     file names looked for)
     * @throws IOException what the layout's reader throws (bad shapes, values, settings; named)
     */
    public static Sae load(Path path) throws IOException {
        Layout layout = detect(path);
        return switch (layout) {
            case GEMMA_SCOPE -> GemmaScopeFormat.load(path);
            case LLAMA_SCOPE -> LlamaScopeFormat.load(path);
            case SAELENS -> SaeLensFormat.load(path);
            case SPARSIFY -> SparsifyFormat.load(path, "");
            case QWEN_SCOPE -> QwenScopeFormat.load(path);
        };
    }

    /**
     * Recognises the layout of {@code path} from its file names.
     *
     * @param path an SAE folder or weights file
     * @return the layout it holds
     * @throws NoSuchFileException if the path does not exist or matches no layout
     * @throws IOException for a pickled checkpoint file
     */
    public static Layout detect(Path path) throws IOException {
        if (Files.isRegularFile(path)) {
            String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
            if (name.endsWith(".npz")) {
                return Layout.GEMMA_SCOPE;
            }
            if (name.endsWith(".sae.safetensors") || name.endsWith(".sae.pt")) {
                return Layout.QWEN_SCOPE;
            }
            if (name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".ckpt") || name.endsWith(".bin")) {
                throw new IOException(path + ": a pickled PyTorch checkpoint; pickles are not read. Convert it to "
                        + "safetensors (safetensors.torch.save_file(torch.load(path, weights_only=True), ...))");
            }
            throw new NoSuchFileException(path.toString(), null, "not a pretrained SAE file (expected params.npz or "
                    + "layerN.sae.safetensors, or a folder)");
        }
        if (!Files.isDirectory(path)) {
            throw new NoSuchFileException(path.toString());
        }
        if (Files.isRegularFile(path.resolve(GemmaScopeFormat.PARAMS))) {
            return Layout.GEMMA_SCOPE;
        }
        if (Files.isRegularFile(path.resolve(LlamaScopeFormat.HYPERPARAMS))) {
            return Layout.LLAMA_SCOPE;
        }
        if (Files.isRegularFile(path.resolve(SaeLensFormat.WEIGHTS))) {
            return Layout.SAELENS;
        }
        if (Files.isRegularFile(path.resolve(SparsifyFormat.WEIGHTS))) {
            return Layout.SPARSIFY;
        }
        if (QwenScopeFormat.isQwenScopeFolder(path)) {
            return Layout.QWEN_SCOPE;
        }
        throw new NoSuchFileException(path.toString(), null, "not an SAE folder: none of " + GemmaScopeFormat.PARAMS
                + " (Gemma Scope), " + LlamaScopeFormat.HYPERPARAMS + " (Llama Scope), " + SaeLensFormat.WEIGHTS
                + " (SAELens), " + SparsifyFormat.WEIGHTS + " (sparsify), layerN.sae.safetensors (Qwen-Scope) is there");
    }
}
