package org.mechinterp.sae.io;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.core.io.TensorInfo;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.model.SaeMetadata;

/**
 * Qwen-Scope (Qwen's TopK SAEs on the Qwen3/Qwen3.5 residual stream, repositories named like
 * {@code Qwen/SAE-Res-Qwen3.5-2B-Base-W32K-L0_50}): one file per layer, {@code layerN.sae.pt}, a dict of
 * {@code W_enc} [m, d], {@code W_dec} [d, m], {@code b_enc} [m], {@code b_dec} [d]. The {@code .pt} files are
 * pickles and are not read; convert each to {@code layerN.sae.safetensors} with the same keys (see
 * {@link #CONVERT}), which is what this reads.
 *
 * <p>Math (the model card's TopK SAE; encoding as in the published usage code, with no b_dec subtraction):
 * z = W_enc·x + b_enc, f = ReLU(TopK_k(z)), x̂ = W_dec·f + b_dec, with k the release's "Top-K" (the
 * {@code L0_k} suffix of the repository name). The hook is {@code blocks.N.hook_resid_post} (the output of decoder
 * layer N) for {@code SAE-Res} releases.
 */
public final class QwenScopeFormat {
    /** How to turn a released {@code .pt} into the file this reads. */
    public static final String CONVERT = "python -c \"import torch,safetensors.torch as s; "
            + "s.save_file(torch.load('layerN.sae.pt', weights_only=True), 'layerN.sae.safetensors')\"";
    private static final Pattern FILE = Pattern.compile("layer(\\d+)\\.sae\\.(safetensors|pt)");
    private static final Pattern RELEASE = Pattern.compile("SAE-(Res|[A-Za-z]+)-(.+)-W\\d+K?-L0_(\\d+)$");

    private QwenScopeFormat() {}

    /**
     * Loads a Qwen-Scope SAE: a {@code layerN.sae.safetensors} file, or a folder holding exactly one. k, the hook
     * and the model come from the path (release folder {@code SAE-Res-<model>-W<width>-L0_<k>}).
     *
     * @param path a {@code layerN.sae.safetensors} file or its folder
     * @return the TopK SAE
     * @throws IOException if no file or several are there, only {@code .pt} files are there, k cannot be read from
     *     the path, or the tensors are missing, misshapen or not finite
     */
    public static Sae load(Path path) throws IOException {
        Path file = Files.isDirectory(path) ? onlyFile(path) : path;
        Matcher release = release(file);
        if (release == null) {
            throw new IOException(file + ": the TopK k of a Qwen-Scope SAE is read from its release folder name "
                    + "(SAE-Res-<model>-W<width>-L0_<k>), which is not on this path; use "
                    + "QwenScopeFormat.load(file, k, metadata)");
        }
        Matcher m = FILE.matcher(file.getFileName().toString());
        String hook = m.matches() && release.group(1).equals("Res")
                ? "blocks." + m.group(1) + ".hook_resid_post" : "";
        SaeMetadata meta = new SaeMetadata("Qwen/" + release.group(2), hook, 0, false);
        return load(file, Integer.parseInt(release.group(3)), meta);
    }

    /**
     * Loads {@code file} with the given k and metadata.
     *
     * @param file the {@code .safetensors} file
     * @param k latents kept per token
     * @param metadata the model and hook to record
     * @return the TopK SAE
     * @throws IOException if a tensor is missing, misshapen (named with both shapes) or not finite
     */
    public static Sae load(Path file, int k, SaeMetadata metadata) throws IOException {
        if (file.getFileName().toString().endsWith(".pt")) {
            throw new IOException(file + ": .pt files are pickles and are not read; convert it with " + CONVERT);
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            if (!f.contains("W_enc")) {
                throw new IOException(file + ": tensor 'W_enc' [m, d] is missing (the file holds " + f.names() + ")");
            }
            TensorInfo enc = f.info("W_enc");
            if (enc.shape().length != 2) {
                throw new IOException(file + ": 'W_enc' has shape " + java.util.Arrays.toString(enc.shape())
                        + "; expected [m, d]");
            }
            int m = (int) enc.shape()[0];
            int d = (int) enc.shape()[1];
            float[] rows = SaeLensFormat.finiteTensor(f, "W_enc", m, d);
            float[] decT = SaeLensFormat.finiteTensor(f, "W_dec", d, m);
            float[] bEnc = SaeLensFormat.finiteTensor(f, "b_enc", m);
            float[] bDec = SaeLensFormat.finiteTensor(f, "b_dec", d);
            float[] wDec = new float[m * d];
            for (int j = 0; j < d; j++) {
                for (int i = 0; i < m; i++) {
                    wDec[i * d + j] = decT[j * m + i];
                }
            }
            try {
                return Sae.builder().setArchitecture(Architecture.TOPK).setDims(d, m).optK(k)
                        .optApplyBDecToInput(false).setEncoderRows(rows).setWDec(wDec).setBEnc(bEnc).setBDec(bDec)
                        .optMetadata(metadata).build();
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": " + e.getMessage(), e);
            }
        }
    }

    /** Whether {@code dir} holds Qwen-Scope layer files ({@code .safetensors} or {@code .pt}). */
    static boolean isQwenScopeFolder(Path dir) throws IOException {
        return !layerFiles(dir, false).isEmpty() || !layerFiles(dir, true).isEmpty();
    }

    private static Path onlyFile(Path dir) throws IOException {
        List<Path> st = layerFiles(dir, false);
        if (st.size() == 1) {
            return st.get(0);
        }
        if (st.size() > 1) {
            throw new IOException(dir + " holds " + st.size() + " Qwen-Scope layers; give the file of one, e.g. "
                    + st.get(0));
        }
        if (!layerFiles(dir, true).isEmpty()) {
            throw new IOException(dir + " holds only layerN.sae.pt files: pickles, not read; convert one with "
                    + CONVERT);
        }
        throw new NoSuchFileException(dir.toString(), null, "no layerN.sae.safetensors file");
    }

    private static List<Path> layerFiles(Path dir, boolean pt) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                Matcher m = FILE.matcher(p.getFileName().toString());
                if (m.matches() && m.group(2).equals(pt ? "pt" : "safetensors")) {
                    out.add(p);
                }
            }
        }
        out.sort(null);
        return out;
    }

    private static Matcher release(Path file) {
        for (Path p = file.toAbsolutePath().getParent(); p != null && p.getFileName() != null; p = p.getParent()) {
            Matcher m = RELEASE.matcher(p.getFileName().toString());
            if (m.find()) {
                return m;
            }
        }
        return null;
    }

}
