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
import java.util.concurrent.ThreadLocalRandom;

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

        /** Folder the model was loaded from (informational: a resume compares the configuration, not the path). */
        public String path() {
            return path;
        }

        /** HF {@code model_type}. */
        public String modelType() {
            return modelType;
        }

        /** Residual width. */
        public int dModel() {
            return dModel;
        }

        /** Number of blocks. */
        public int nLayers() {
            return nLayers;
        }

        /** Vocabulary size. */
        public int vocabSize() {
            return vocabSize;
        }

        /** The fingerprint of the captured weights (hex), or null in a store made before it was recorded. */
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

        /** {@code "capture"} or {@code "import"}. */
        public String kind() {
            return kind;
        }

        /** The corpus or matrix file. */
        public String path() {
            return path;
        }

        /** SHA-256 of that file, hex; a resume requires the same corpus. */
        public String sha256() {
            return sha256;
        }

        /** For a safetensors import, the tensor read; else null. */
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

        /** The hook point's name, also the tensor name in every shard. */
        public String name() {
            return name;
        }

        /** Row width: the product of the activation's dimensions after [B,T]. */
        public int d() {
            return d;
        }
    }

    /** One shard file. */
    public static final class Shard {
        String file;
        int rows;
        long bytes;
        String sha256;
        long firstRow;
        long firstPromptId;
        long prompts;

        /** File name inside the store folder. */
        public String file() {
            return file;
        }

        /** Rows in this shard. */
        public int rows() {
            return rows;
        }

        /** File size in bytes. */
        public long bytes() {
            return bytes;
        }

        /** SHA-256 of the whole file, lower-case hex. */
        public String sha256() {
            return sha256;
        }

        /** Global index of this shard's first row. */
        public long firstRow() {
            return firstRow;
        }

        /** Prompt id of this shard's first row. */
        public long firstPromptId() {
            return firstPromptId;
        }

        /** Number of (whole) prompts in this shard. */
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

    /** The stored model summary, or null for an imported matrix. */
    public ModelInfo model() {
        return model;
    }

    /** Where the rows came from. */
    public Source source() {
        return source;
    }

    /** Hook points in store order (unmodifiable). */
    public List<Hook> hooks() {
        return Collections.unmodifiableList(hooks);
    }

    /** Names of the label columns, in column order (unmodifiable; empty when the store has no labels). */
    public List<String> labelNames() {
        return Collections.unmodifiableList(labelNames);
    }

    /** Shards in row order (unmodifiable). */
    public List<Shard> shards() {
        return Collections.unmodifiableList(shards);
    }

    /** Activation dtype on disk ({@value #DTYPE}). */
    public String dtype() {
        return dtype;
    }

    /** Tokens kept per prompt, 0 when prompts were not truncated. */
    public int context() {
        return context;
    }

    /** The capture's row budget, 0 when unlimited. */
    public long maxTokens() {
        return maxTokens;
    }

    /** Rows in the store, summed over shards. */
    public long totalRows() {
        return totalRows;
    }

    /** Corpus prompts fully captured (the next prompt id a resume starts from). */
    public long promptsCompleted() {
        return promptsCompleted;
    }

    /** Whether the capture finished (corpus exhausted or row budget reached). */
    public boolean complete() {
        return complete;
    }

    /** ISO-8601 creation time. */
    public String created() {
        return created;
    }

    /** Layout version. */
    public int formatVersion() {
        return formatVersion;
    }

    /**
     * Width of a hook's rows.
     *
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

    /** This manifest as JSON text. */
    public String toJson() {
        return GSON.toJson(this);
    }

    /**
     * Reads and checks {@code dir/manifest.json}.
     *
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

    /** Writes {@code dir/manifest.json} atomically (temp file in the same folder, then an atomic rename). */
    void write(Path dir) throws IOException {
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

    @Override
    public String toString() {
        return "StoreManifest[" + totalRows + " rows, " + shards.size() + " shards, hooks " + hooks.size() + "]";
    }
}
