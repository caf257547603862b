package org.mechinterp.sae.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.model.SaeMetadata;

/**
 * Google DeepMind's Gemma Scope release layout: one {@code params.npz} per SAE, in folders
 * {@code gemma-scope-<2b|9b|27b>-<pt|it>-<res|mlp|att|transcoders>/layer_L/width_W/average_l0_A/} (or
 * {@code .../embedding/...} for the embedding SAEs). The archive holds exactly {@code W_enc} [d, m],
 * {@code W_dec} [m, d], {@code b_enc} [m], {@code b_dec} [d] and {@code threshold} [m] (float arrays; SAELens'
 * lower-case {@code w_enc}/{@code w_dec} spelling is accepted too).
 *
 * <p>Math (the Gemma Scope tutorial and SAELens' loader): a JumpReLU SAE on the raw input, z = x·W_enc + b_enc
 * (no b_dec subtraction), f = ReLU(z)·1[z &gt; θ], x̂ = f·W_dec + b_dec; θ is passed as stored (the {@link Sae}
 * builder handles negative thresholds, see {@link Sae}).
 *
 * <p>The hook is read from the path: {@code layer_L} and the release name give {@code blocks.L.hook_resid_post}
 * (res), {@code blocks.L.hook_mlp_out} (mlp) or {@code blocks.L.attn.hook_z} (att; d = heads·d_head, the hook
 * flattened), and the model {@code google/gemma-2-<size>[-it]}. Embedding SAEs were trained on the embedding before
 * Gemma's ·√d scale while {@code hook_embed} is after it, so, as in SAELens, they are loaded with the scale folded
 * in ({@link Sae#foldInputScale} with 1/√d, which also scales b_dec, unlike SAELens).
 *
 * <p><b>Transcoders</b> ({@code gemma-scope-…-transcoders}): the same five arrays, loaded as SAELens'
 * {@code gemma_2_transcoder} loader does: a JumpReLU transcoder ({@link Sae#isTranscoder()}) reading
 * {@code blocks.L.ln2.hook_normalized} (the normalised MLP input) and predicting {@code blocks.L.hook_mlp_out},
 * d_out = d_in, z = x·W_enc + b_enc (no b_dec on the input: b_dec lives in the output space),
 * ŷ = f·W_dec + b_dec.
 */
public final class GemmaScopeFormat {
    /** File name of a Gemma Scope checkpoint inside its {@code layer_L/width_W/average_l0_K} folder. */
    public static final String PARAMS = "params.npz";
    private static final Pattern LAYER = Pattern.compile("layer_(\\d+)");
    /** Found anywhere in a folder name, so that a Hugging Face cache folder (models--google--gemma-scope-…) counts. */
    private static final Pattern RELEASE =
            Pattern.compile("gemma-scope-(\\d+b)-(pt|it)-(res|mlp|att|transcoders?)(?![a-z])");

    private GemmaScopeFormat() {}

    /**
     * The five arrays of a {@code params.npz}, checked against each other.
     *
     * @param dIn d
     * @param dSae m
     * @param wEnc W_enc [d, m] row-major
     * @param wDec W_dec [m, d]
     * @param bEnc b_enc [m]
     * @param bDec b_dec [d]
     * @param threshold θ [m] as stored
     */
    public record Params(int dIn, int dSae, float[] wEnc, float[] wDec, float[] bEnc, float[] bDec,
                         float[] threshold) {}

    /**
     * Reads and checks the arrays of a {@code params.npz} (the file, or a folder holding it).
     *
     * @param path {@code params.npz} or its folder
     * @return the checked arrays with d_in and d_sae
     * @throws IOException if the file is missing or unreadable, an entry is not a finite float array (object arrays
     *     are refused), or an array is missing, extra or of the wrong shape (each named with its shape)
     */
    public static Params readParams(Path path) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve(PARAMS) : path;
        Map<String, NpzArchive.FloatArray> arrays = NpzArchive.read(file);
        Set<String> extra = new LinkedHashSet<>(arrays.keySet());
        NpzArchive.FloatArray wEnc = take(arrays, extra, file, "W_enc");
        if (wEnc.shape().length != 2) {
            throw new IOException(file + ": 'W_enc' has shape " + wEnc.shapeText() + "; expected [d, m]");
        }
        int d = (int) wEnc.shape()[0];
        int m = (int) wEnc.shape()[1];
        NpzArchive.FloatArray wDec = check(take(arrays, extra, file, "W_dec"), file, m, d);
        NpzArchive.FloatArray bEnc = check(take(arrays, extra, file, "b_enc"), file, m);
        NpzArchive.FloatArray bDec = check(take(arrays, extra, file, "b_dec"), file, d);
        NpzArchive.FloatArray threshold = check(take(arrays, extra, file, "threshold"), file, m);
        if (!extra.isEmpty()) {
            StringBuilder s = new StringBuilder();
            for (String name : extra) {
                s.append(s.length() == 0 ? "" : ", ").append("'").append(name).append("' ")
                        .append(arrays.get(name).shapeText());
            }
            throw new IOException(file + ": unexpected arrays " + s + "; a Gemma Scope params.npz holds exactly "
                    + "W_enc, W_dec, b_enc, b_dec and threshold");
        }
        return new Params(d, m, wEnc.values(), wDec.values(), bEnc.values(), bDec.values(), threshold.values());
    }

    /**
     * Loads a Gemma Scope SAE, with the hook and model read from the path ({@link #metadataFromPath}).
     *
     * @param path {@code params.npz} or its folder
     * @return the SAE (or, under a transcoders release, the transcoder), with metadata from the path
     * @throws IOException as {@link #readParams}
     */
    public static Sae load(Path path) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve(PARAMS) : path;
        String release = releaseSite(file);
        if (release != null && release.startsWith("transcoder")) {
            return loadTranscoder(file, metadataFromPath(file), outputHookFromPath(file));
        }
        return load(file, metadataFromPath(file));
    }

    /**
     * Loads a Gemma Scope transcoder with the given input metadata and output hook (use this when the folder was
     * renamed and the hooks cannot be read from the path).
     *
     * @param outputHook the hook it predicts, normally {@code blocks.L.hook_mlp_out}
     * @param path {@code params.npz} or its folder
     * @param metadata the input side: model and input hook
     * @return the JumpReLU transcoder
     * @throws IOException as {@link #readParams}
     */
    public static Sae loadTranscoder(Path path, SaeMetadata metadata, String outputHook) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve(PARAMS) : path;
        Params p = readParams(file);
        try {
            return Sae.builder().setArchitecture(Architecture.JUMPRELU).setDims(p.dIn(), p.dSae())
                    .optTranscoder(p.dIn(), outputHook).setWEnc(p.wEnc(), p.dIn(), p.dSae()).setWDec(p.wDec())
                    .setBEnc(p.bEnc()).setBDec(p.bDec()).optThreshold(p.threshold()).optMetadata(metadata).build();
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** {@code blocks.L.hook_mlp_out} for a file under {@code layer_L}, else "". */
    static String outputHookFromPath(Path file) {
        Integer layer = layerFromPath(file);
        return layer == null ? "" : "blocks." + layer + ".hook_mlp_out";
    }

    private static Integer layerFromPath(Path file) {
        for (Path p = file.toAbsolutePath(); p != null; p = p.getParent()) {
            Matcher m = LAYER.matcher(name(p));
            if (m.matches()) {
                return Integer.parseInt(m.group(1));
            }
        }
        return null;
    }

    /**
     * Loads a Gemma Scope SAE with the given metadata (use this when the folder was renamed and the hook cannot be
     * read from the path).
     *
     * @param path {@code params.npz} or its folder
     * @param metadata the model and hook to record
     * @return the JumpReLU SAE
     * @throws IOException as {@link #readParams}
     */
    public static Sae load(Path path, SaeMetadata metadata) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve(PARAMS) : path;
        Params p = readParams(file);
        Sae sae;
        try {
            sae = Sae.builder().setArchitecture(Architecture.JUMPRELU).setDims(p.dIn(), p.dSae())
                    .optApplyBDecToInput(false).setWEnc(p.wEnc(), p.dIn(), p.dSae()).setWDec(p.wDec())
                    .setBEnc(p.bEnc()).setBDec(p.bDec()).optThreshold(p.threshold()).optMetadata(metadata).build();
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        if (isEmbedding(file)) {
            sae = sae.foldInputScale(1 / Math.sqrt(p.dIn()));
        }
        return sae;
    }

    /**
     * The hook and model of the SAE at {@code file}, from the release folder name and {@code layer_L} (empty
     * strings for what the path does not say).
     *
     * @param file the {@code params.npz} path (or its folder)
     * @return the metadata; model and hook are empty strings when the path does not give them
     */
    public static SaeMetadata metadataFromPath(Path file) {
        String site = releaseSite(file);
        String model = "";
        for (Path p = file.toAbsolutePath(); p != null; p = p.getParent()) {
            Matcher m = RELEASE.matcher(name(p));
            if (m.find()) {
                model = "google/gemma-2-" + m.group(1) + (m.group(2).equals("it") ? "-it" : "");
                break;
            }
        }
        String hook = "";
        if (isEmbedding(file)) {
            hook = "hook_embed";
        } else {
            Integer layer = layerFromPath(file);
            if (layer != null && site != null) {
                hook = switch (site) {
                    case "res" -> "blocks." + layer + ".hook_resid_post";
                    case "mlp" -> "blocks." + layer + ".hook_mlp_out";
                    case "att" -> "blocks." + layer + ".attn.hook_z";
                    case "transcoder", "transcoders" -> "blocks." + layer + ".ln2.hook_normalized";
                    default -> "";
                };
            }
        }
        return new SaeMetadata(model, hook, 1024, true);
    }

    /** "res", "mlp", "att", "transcoders" from the nearest release-named ancestor, or null. */
    private static String releaseSite(Path file) {
        for (Path p = file.toAbsolutePath(); p != null; p = p.getParent()) {
            Matcher m = RELEASE.matcher(name(p));
            if (m.find()) {
                return m.group(3);
            }
        }
        return null;
    }

    private static boolean isEmbedding(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        for (Path p = parent; p != null; p = p.getParent()) {
            if (name(p).equals("embedding")) {
                return true;
            }
            if (RELEASE.matcher(name(p)).find()) {
                return false;
            }
        }
        return false;
    }

    private static String name(Path p) {
        Path n = p.getFileName();
        return n == null ? "" : n.toString().toLowerCase(Locale.ROOT);
    }

    private static NpzArchive.FloatArray take(Map<String, NpzArchive.FloatArray> arrays, Set<String> left, Path file,
            String key) throws IOException {
        String lower = key.toLowerCase(Locale.ROOT);
        String found = arrays.containsKey(key) ? key : arrays.containsKey(lower) ? lower : null;
        if (found == null) {
            throw new IOException(file + ": array '" + key + "' is missing (the archive holds " + arrays.keySet()
                    + ")");
        }
        left.remove(found);
        return arrays.get(found);
    }

    private static NpzArchive.FloatArray check(NpzArchive.FloatArray a, Path file, long... expected)
            throws IOException {
        if (!Arrays.equals(a.shape(), expected)) {
            throw new IOException(file + ": array '" + a.name() + "' has shape " + a.shapeText() + " but W_enc's "
                    + "shape [d, m] requires " + Arrays.toString(expected));
        }
        return a;
    }
}
