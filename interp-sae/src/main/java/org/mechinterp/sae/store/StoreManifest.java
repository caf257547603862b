package org.mechinterp.sae.store;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.ModelConfig;

/**
 * The {@code manifest.json} of an activation store: what was captured (model, hook points with their widths,
 * label columns, settings), how much ({@link #totalRows()}, {@link #promptsCompleted()}) and where (the shard
 * list with row counts, byte sizes and SHA-256 checksums).
 *
 * <p>Store layout: {@code STORE/manifest.json} plus {@code STORE/shard-00000.safetensors}, ... Each shard holds,
 * for every hook, an F32 tensor named by the hook [rows, d], plus {@code prompt_id} I64 [rows], {@code position}
 * I32 [rows] (index of the token in its prompt, 0 = first, usually BOS), {@code token_id} I32 [rows] (−1 when
 * unknown, as for imported matrices) and, when the store has label columns, {@code labels} F32 [rows, nLabels].
 * Rows are stored in capture order: prompt by prompt, position by position. A shard holds whole prompts only.
 *
 * <p>Instances are plain data, mutated only by the store's writer; readers get them from {@link StoreReader}
 * and must not modify the returned lists.
 */
public final class StoreManifest {
    /** Value of {@link #format}. */
    public static final String FORMAT = "interp-activation-store";
    /** The layout version this code writes and reads. */
    public static final int FORMAT_VERSION = 1;
    /** The manifest's file name inside a store folder. */
    public static final String FILE_NAME = "manifest.json";
    /** The only activation dtype written. */
    public static final String DTYPE = "F32";

    static final String PROMPT_ID = "prompt_id";
    static final String POSITION = "position";
    static final String TOKEN_ID = "token_id";
    static final String LABELS = "labels";
    /** Names a shard tensor may not use as a hook name (they hold row metadata). */
    static final Set<String> RESERVED = Set.of(PROMPT_ID, POSITION, TOKEN_ID, LABELS);

    static final Gson GSON = new GsonBuilder()
            .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
            .disableHtmlEscaping()
            .serializeNulls()
            .setPrettyPrinting()
            .create();

    String format = FORMAT;
    int formatVersion = FORMAT_VERSION;
    ModelInfo model;
    Source source;
    List<Hook> hooks = new ArrayList<>();
    String dtype = DTYPE;
    List<String> labelNames = new ArrayList<>();
    /** Tokens kept per prompt (0 = no truncation). */
    int context;
    /** Row budget of the capture (0 = unlimited). */
    long maxTokens;
    /** Prompts per forward pass during capture (part of the settings so a resume batches identically). */
    int promptsPerPass;
    /** Target rows per shard. */
    int shardRows;
    long totalRows;
    long promptsCompleted;
    boolean complete;
    List<Shard> shards = new ArrayList<>();
    String created;
    String updated;
    Provenance provenance;

    /** The captured model: where it was loaded from and a summary of its configuration. */
    public static final class ModelInfo {
        String path;
        String modelType;
        int dModel;
        int nLayers;
        int nHeads;
        int vocabSize;
        long parameters;
        /** SHA-256 over the weights as run (see WeightsFingerprint); a resume requires the same weights. */
        String weightsFingerprint;

        /**
         * Folder the model was loaded from (informational: a resume compares the configuration, not the path).
         *
         * @return the model folder as given to the capture
         */
        public String path() {
            return path;
        }

        /**
         * HF {@code model_type}.
         *
         * @return the model type string from the HF config, e.g. {@code "gpt2"}
         */
        public String modelType() {
            return modelType;
        }

        /**
         * Residual width.
         *
         * @return d_model
         */
        public int dModel() {
            return dModel;
        }

        /**
         * Number of blocks.
         *
         * @return the number of transformer blocks
         */
        public int nLayers() {
            return nLayers;
        }

        /**
         * Vocabulary size.
         *
         * @return the vocabulary size
         */
        public int vocabSize() {
            return vocabSize;
        }

        /**
         * The fingerprint of the captured weights (hex), or null in a store made before it was recorded.
         *
         * @return the weights fingerprint as lower-case hex, or null
         */
        public String weightsFingerprint() {
            return weightsFingerprint;
        }

        /** The configuration summary without the path, compared on resume. */
        String signature() {
            return modelType + "/d" + dModel + "/L" + nLayers + "/H" + nHeads + "/V" + vocabSize + "/P" + parameters;
        }
    }

    /** Where the rows came from: a corpus captured through a model, or an imported matrix. */
    public static final class Source {
        String kind;
        String path;
        String sha256;
        String tensor;

        /**
         * {@code "capture"} or {@code "import"}.
         *
         * @return the source kind, {@code "capture"} or {@code "import"}
         */
        public String kind() {
            return kind;
        }

        /**
         * The corpus or matrix file.
         *
         * @return the source file path as recorded
         */
        public String path() {
            return path;
        }

        /**
         * SHA-256 of that file, hex; a resume requires the same corpus.
         *
         * @return lower-case hex SHA-256 of the source file
         */
        public String sha256() {
            return sha256;
        }

        /**
         * For a safetensors import, the tensor read; else null.
         *
         * @return the safetensors tensor name, or null
         */
        public String tensor() {
            return tensor;
        }
    }

    /** One hook point stored: its name (the shard tensor name) and the row width d. */
    public static final class Hook {
        String name;
        int d;

        Hook(String name, int d) {
            this.name = name;
            this.d = d;
        }

        /**
         * The hook point's name, also the tensor name in every shard.
         *
         * @return the hook name, e.g. {@code blocks.2.hook_resid_post}
         */
        public String name() {
            return name;
        }

        /**
         * Row width: the product of the activation's dimensions after [B,T].
         *
         * @return d, the number of floats per row of this hook
         */
        public int d() {
            return d;
        }
    }

    /** One shard file. */
    public static final class Shard implements java.io.Serializable {
        private static final long serialVersionUID = 1L;

        /** File name inside the store folder. */
        String file;
        /** Rows in this shard. */
        int rows;
        /** File size in bytes. */
        long bytes;
        /** SHA-256 of the whole file, lower-case hex. */
        String sha256;
        /** Global index of this shard's first row (set at commit). */
        long firstRow;
        /** Prompt id of this shard's first row. */
        long firstPromptId;
        /** Number of whole prompts in this shard. */
        long prompts;

        /**
         * Describes a shard file that is already written (e.g. by an earlier attempt of the same task): its size
         * and SHA-256 are read from disk, the rest is given.
         *
         * @param rows rows it holds
         * @param file the shard file (its name is recorded; its size and checksum are read)
         * @param firstPromptId prompt id of its first row
         * @param prompts number of whole prompts it holds
         * @return the shard description, first row not yet set (see {@link StoreManifest#commit})
         * @throws IOException if the file cannot be read
         */
        public static Shard describe(Path file, int rows, long firstPromptId, long prompts) throws IOException {
            Shard s = new Shard();
            s.file = file.getFileName().toString();
            s.rows = rows;
            s.bytes = Files.size(file);
            s.sha256 = Checksums.sha256(file);
            s.firstPromptId = firstPromptId;
            s.prompts = prompts;
            return s;
        }

        /**
         * File name inside the store folder.
         *
         * @return the file name, without folder
         */
        public String file() {
            return file;
        }

        /**
         * Rows in this shard.
         *
         * @return the row count
         */
        public int rows() {
            return rows;
        }

        /**
         * File size in bytes.
         *
         * @return the file's size in bytes
         */
        public long bytes() {
            return bytes;
        }

        /**
         * SHA-256 of the whole file, lower-case hex.
         *
         * @return the checksum as lower-case hex
         */
        public String sha256() {
            return sha256;
        }

        /**
         * Global index of this shard's first row.
         *
         * @return the global row index of the first row
         */
        public long firstRow() {
            return firstRow;
        }

        /**
         * Prompt id of this shard's first row.
         *
         * @return the prompt id of the first row
         */
        public long firstPromptId() {
            return firstPromptId;
        }

        /**
         * Number of (whole) prompts in this shard.
         *
         * @return the number of whole prompts
         */
        public long prompts() {
            return prompts;
        }
    }

    /** What wrote the store. */
    public static final class Provenance {
        String library;
        String libraryVersion;
        String java;
        String os;

        static Provenance current() {
            Provenance p = new Provenance();
            p.library = "interp";
            String v = StoreManifest.class.getPackage().getImplementationVersion();
            p.libraryVersion = v != null ? v : "0.1.0-SNAPSHOT";
            p.java = System.getProperty("java.version");
            p.os = System.getProperty("os.name") + " " + System.getProperty("os.arch");
            return p;
        }
    }

    /**
     * The stored model summary, or null for an imported matrix.
     *
     * @return the model summary, or null
     */
    public ModelInfo model() {
        return model;
    }

    /**
     * Where the rows came from.
     *
     * @return the source description (capture corpus or imported matrix)
     */
    public Source source() {
        return source;
    }

    /**
     * Hook points in store order (unmodifiable).
     *
     * @return an unmodifiable view of the hooks
     */
    public List<Hook> hooks() {
        return Collections.unmodifiableList(hooks);
    }

    /**
     * Names of the label columns, in column order (unmodifiable; empty when the store has no labels).
     *
     * @return an unmodifiable view of the label names
     */
    public List<String> labelNames() {
        return Collections.unmodifiableList(labelNames);
    }

    /**
     * Shards in row order (unmodifiable).
     *
     * @return an unmodifiable view of the shards
     */
    public List<Shard> shards() {
        return Collections.unmodifiableList(shards);
    }

    /**
     * Activation dtype on disk ({@value #DTYPE}).
     *
     * @return the on-disk dtype name
     */
    public String dtype() {
        return dtype;
    }

    /**
     * Tokens kept per prompt, 0 when prompts were not truncated.
     *
     * @return the context length in tokens, or 0
     */
    public int context() {
        return context;
    }

    /**
     * The capture's row budget, 0 when unlimited.
     *
     * @return the row budget, or 0
     */
    public long maxTokens() {
        return maxTokens;
    }

    /**
     * Rows in the store, summed over shards.
     *
     * @return the total row count
     */
    public long totalRows() {
        return totalRows;
    }

    /**
     * Corpus prompts fully captured (the next prompt id a resume starts from).
     *
     * @return the number of prompts fully captured
     */
    public long promptsCompleted() {
        return promptsCompleted;
    }

    /**
     * Whether the capture finished (corpus exhausted or row budget reached).
     *
     * @return true if the capture finished
     */
    public boolean complete() {
        return complete;
    }

    /**
     * ISO-8601 creation time.
     *
     * @return the creation time as an ISO-8601 string
     */
    public String created() {
        return created;
    }

    /**
     * Layout version.
     *
     * @return the manifest format version
     */
    public int formatVersion() {
        return formatVersion;
    }

    /**
     * Width of a hook's rows.
     *
     * @param hook the hook name
     * @return d of that hook's rows
     * @throws IllegalArgumentException if the store does not hold that hook (the message lists those it holds)
     */
    public int dim(String hook) {
        return hook(hook).d;
    }

    Hook hook(String name) {
        for (Hook h : hooks) {
            if (h.name.equals(name)) {
                return h;
            }
        }
        List<String> names = new ArrayList<>();
        hooks.forEach(h -> names.add(h.name));
        throw new IllegalArgumentException("store has no hook '" + name + "'; it holds " + names);
    }

    /**
     * The settings of a capture (no shards yet), as {@link ActivationCapture} records them: the model's
     * configuration summary and weights fingerprint, the hooks with widths, label columns, the source corpus and
     * the capture settings. Distributed captures build theirs here too, so that stores agree field for field.
     *
     * @param model the model captured (borrowed; its weights are read once for the fingerprint)
     * @param modelPath where the model was loaded from (informational)
     * @param hooks hook names in store order
     * @param shardRows rows per shard, or 0 for the default of about 256 MiB of activations (1,024 to 65,536 rows)
     * @param dims row width of each hook, aligned with {@code hooks}
     * @param labelNames names of the label columns (may be empty)
     * @param sourcePath the corpus file path (recorded as given)
     * @param sourceSha256 lower-case hex SHA-256 of the corpus file
     * @param context tokens kept per prompt, or 0 for no truncation
     * @param maxTokens row budget, or 0 for unlimited
     * @param promptsPerPass prompts per forward pass
     * @return a new, incomplete manifest with no shards
     */
    public static StoreManifest forCapture(HookedTransformer model, String modelPath, List<String> hooks, int[] dims,
            List<String> labelNames, String sourcePath, String sourceSha256, int context, long maxTokens,
            int promptsPerPass, int shardRows) {
        ModelConfig cfg = model.config();
        StoreManifest m = new StoreManifest();
        m.model = new ModelInfo();
        m.model.path = modelPath;
        m.model.modelType = cfg.modelType();
        m.model.dModel = cfg.dModel();
        m.model.nLayers = cfg.nLayers();
        m.model.nHeads = cfg.nHeads();
        m.model.vocabSize = cfg.vocabSize();
        m.model.parameters = cfg.parameterCount();
        m.model.weightsFingerprint = WeightsFingerprint.of(model);
        m.source = new Source();
        m.source.kind = "capture";
        m.source.path = sourcePath;
        m.source.sha256 = sourceSha256;
        long width = 0;
        for (int h = 0; h < dims.length; h++) {
            m.hooks.add(new Hook(hooks.get(h), dims[h]));
            width += dims[h];
        }
        m.labelNames.addAll(labelNames);
        m.context = context;
        m.maxTokens = maxTokens;
        m.promptsPerPass = promptsPerPass;
        m.shardRows = shardRows > 0 ? shardRows
                : (int) Math.max(1024, Math.min(65536, (256L << 20) / (4 * width)));
        return m;
    }

    /**
     * Prompts per forward pass of the capture (0 for imports).
     *
     * @return prompts per pass, or 0
     */
    public int promptsPerPass() {
        return promptsPerPass;
    }

    /**
     * Target rows per shard.
     *
     * @return rows per shard
     */
    public int shardRows() {
        return shardRows;
    }

    /**
     * Parses manifest JSON (as {@link #toJson()} writes it) and checks it as {@link #read} does.
     *
     * @param json the manifest text
     * @return the parsed, checked manifest
     * @throws StoreFormatException if it is not valid JSON or contradicts itself
     */
    public static StoreManifest fromJson(String json) throws StoreFormatException {
        Path where = Path.of(FILE_NAME);
        StoreManifest m;
        try {
            m = GSON.fromJson(json, StoreManifest.class);
        } catch (JsonParseException e) {
            throw new StoreFormatException(where, "manifest is not valid JSON: " + e.getMessage(), e);
        }
        if (m == null) {
            throw new StoreFormatException(where, "manifest is empty");
        }
        m.validate(where);
        return m;
    }

    /**
     * Lists {@code committed} as this store's shards, in the given order, and marks it complete or not: sets each
     * shard's first row and the totals, then writes {@code dir/manifest.json} atomically. For writers whose shards
     * were written elsewhere (one per task): every file must exist in {@code dir} with its recorded size, so the
     * manifest never lists a missing shard. Mutates this manifest and the shard entries.
     *
     * @param dir the store folder, which must hold every shard file
     * @param committed the shards, in row order
     * @param isComplete whether the capture has finished
     * @throws IllegalArgumentException if a shard file is missing or has another size (naming it)
     * @throws IOException if writing the manifest fails
     */
    public void commit(Path dir, List<Shard> committed, boolean isComplete) throws IOException {
        long row = 0;
        long prompts = 0;
        for (Shard s : committed) {
            Path f = dir.resolve(s.file);
            if (!Files.isRegularFile(f) || Files.size(f) != s.bytes) {
                throw new IllegalArgumentException("shard " + f + " is missing or is not " + s.bytes
                        + " bytes long; it cannot be listed in the manifest");
            }
            s.firstRow = row;
            row += s.rows;
            prompts += s.prompts;
        }
        shards = new ArrayList<>(committed);
        totalRows = row;
        promptsCompleted = prompts;
        complete = isComplete;
        String now = java.time.Instant.now().toString();
        if (created == null) {
            created = now;
        }
        updated = now;
        if (provenance == null) {
            provenance = Provenance.current();
        }
        validate(dir.resolve(FILE_NAME));
        write(dir);
    }

    /**
     * The name of shard {@code index} in a store folder ({@code shard-00000.safetensors}, ...).
     *
     * @param index shard number, 0-based
     * @return the shard's file name
     */
    public static String shardName(int index) {
        return shardFileName(index);
    }


    /**
     * This manifest as JSON text.
     *
     * @return pretty-printed JSON with every field
     */
    public String toJson() {
        return GSON.toJson(this);
    }

    /**
     * Reads and checks {@code dir/manifest.json}.
     *
     * @param dir the store folder
     * @return the parsed, checked manifest
     * @throws NoSuchFileException if the folder has no manifest
     * @throws StoreFormatException if it is not valid JSON or contradicts itself (the message says how)
     */
    public static StoreManifest read(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        String text = Files.readString(file, StandardCharsets.UTF_8);
        StoreManifest m;
        try {
            m = GSON.fromJson(text, StoreManifest.class);
        } catch (JsonParseException e) {
            throw new StoreFormatException(file, "manifest is not valid JSON: " + e.getMessage(), e);
        }
        if (m == null) {
            throw new StoreFormatException(file, "manifest is empty");
        }
        m.validate(file);
        return m;
    }

    private void validate(Path file) throws StoreFormatException {
        if (!FORMAT.equals(format)) {
            throw new StoreFormatException(file, "not an activation store manifest (format '" + format
                    + "', expected '" + FORMAT + "')");
        }
        if (formatVersion != FORMAT_VERSION) {
            throw new StoreFormatException(file, "unsupported format_version " + formatVersion + " (this code reads "
                    + FORMAT_VERSION + ")");
        }
        if (!DTYPE.equals(dtype)) {
            throw new StoreFormatException(file, "unsupported dtype '" + dtype + "' (expected F32)");
        }
        if (hooks == null || hooks.isEmpty()) {
            throw new StoreFormatException(file, "manifest lists no hooks");
        }
        Set<String> seen = new HashSet<>();
        for (Hook h : hooks) {
            if (h == null || h.name == null || h.d <= 0 || !seen.add(h.name) || RESERVED.contains(h.name)) {
                throw new StoreFormatException(file, "bad hook entry " + GSON.toJson(h)
                        + " (needs a unique, non-reserved name and d > 0)");
            }
        }
        if (labelNames == null) {
            labelNames = new ArrayList<>();
        }
        if (shards == null) {
            shards = new ArrayList<>();
        }
        long rows = 0;
        for (int i = 0; i < shards.size(); i++) {
            Shard s = shards.get(i);
            if (s == null || s.file == null || s.sha256 == null || s.rows <= 0 || s.bytes <= 0) {
                throw new StoreFormatException(file, "shard entry " + i + " is incomplete: " + GSON.toJson(s));
            }
            if (s.file.contains("/") || s.file.contains("\\") || s.file.startsWith(".")) {
                throw new StoreFormatException(file, "shard entry " + i + " names '" + s.file
                        + "', which is not a plain file name inside the store");
            }
            if (s.firstRow != rows) {
                throw new StoreFormatException(file, "shard " + s.file + " starts at row " + s.firstRow
                        + " but the shards before it hold " + rows + " rows");
            }
            rows += s.rows;
        }
        if (rows != totalRows) {
            throw new StoreFormatException(file, "total_rows is " + totalRows + " but the shards hold " + rows);
        }
    }

    /**
     * Writes {@code dir/manifest.json} atomically (temp file in the same folder, then an atomic rename).
     *
     * @param dir the store folder (must exist)
     * @throws IOException if writing or renaming fails
     */
    public void write(Path dir) throws IOException {
        Path target = dir.resolve(FILE_NAME).toAbsolutePath();
        Path tmp = target.resolveSibling("." + FILE_NAME + "."
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
        try {
            Files.writeString(tmp, toJson() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, StandardOpenOption.SYNC);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof IOException io) {
                throw org.mechinterp.core.io.AtomicFile.naming(target, io);
            }
            throw e;
        }
    }

    /** A copy through JSON, so a writer can mutate its own instance while readers keep theirs. */
    StoreManifest copy() {
        return GSON.fromJson(toJson(), StoreManifest.class);
    }

    static String shardFileName(int index) {
        return String.format(java.util.Locale.ROOT, "shard-%05d.safetensors", index);
    }

    private static String abbreviate(String hex) {
        return hex.length() > 12 ? hex.substring(0, 12) + "…" : hex;
    }

    /**
     * Checks that a capture with the settings {@code want} may resume (or adopt) this store, which lives in
     * {@code out}: same source checksum, model configuration and weights fingerprint, hooks with widths, label
     * columns, context, max tokens, prompts per pass and shard rows.
     *
     * @param want the settings of the capture that wants to resume; not modified
     * @param out the store folder, for the messages
     * @throws IllegalArgumentException listing every difference
     */
    public void requireResumable(StoreManifest want, Path out) {
        StoreManifest have = this;
        List<String> diff = new ArrayList<>();
        if (have.source == null || !"capture".equals(have.source.kind)) {
            diff.add("it was not made by a capture");
        } else if (!Objects.equals(have.source.sha256, want.source.sha256)) {
            diff.add("corpus differs (SHA-256 " + have.source.sha256 + " vs " + want.source.sha256 + ")");
        }
        if (have.model == null || !have.model.signature().equals(want.model.signature())) {
            diff.add("model differs (" + (have.model == null ? "none" : have.model.signature()) + " vs "
                    + want.model.signature() + ")");
        } else if (!Objects.equals(have.model.weightsFingerprint, want.model.weightsFingerprint)) {
            diff.add(have.model.weightsFingerprint == null
                    ? "the store records no weights fingerprint (made by an older version), so the weights cannot "
                            + "be checked to match"
                    : "the model's weights differ from those the store was captured with (same shapes, weights "
                            + "fingerprint " + abbreviate(have.model.weightsFingerprint) + " vs "
                            + abbreviate(want.model.weightsFingerprint) + "; captured from "
                            + (have.model.path == null || have.model.path.isEmpty() ? "a model in memory"
                                    : have.model.path) + ")");
        }
        List<String> hh = new ArrayList<>();
        have.hooks.forEach(h -> hh.add(h.name + ":" + h.d));
        List<String> wh = new ArrayList<>();
        want.hooks.forEach(h -> wh.add(h.name + ":" + h.d));
        if (!hh.equals(wh)) {
            diff.add("hooks differ (" + hh + " vs " + wh + ")");
        }
        if (!have.labelNames.equals(want.labelNames)) {
            diff.add("label columns differ (" + have.labelNames + " vs " + want.labelNames + ")");
        }
        if (have.context != want.context) {
            diff.add("context differs (" + have.context + " vs " + want.context + ")");
        }
        if (have.maxTokens != want.maxTokens) {
            diff.add("max tokens differs (" + have.maxTokens + " vs " + want.maxTokens + ")");
        }
        if (have.promptsPerPass != want.promptsPerPass) {
            diff.add("prompts per pass differs (" + have.promptsPerPass + " vs " + want.promptsPerPass + ")");
        }
        if (have.shardRows != want.shardRows) {
            diff.add("shard rows differs (" + have.shardRows + " vs " + want.shardRows + ")");
        }
        if (!diff.isEmpty()) {
            throw new IllegalArgumentException("store " + out + " holds a capture with other settings, so it "
                    + "cannot be resumed: " + String.join("; ", diff) + " (use a new --out folder)");
        }
    }

    @Override
    public String toString() {
        return "StoreManifest[" + totalRows + " rows, " + shards.size() + " shards, hooks " + hooks.size() + "]";
    }
}
