package org.mechinterp.sae.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.mechinterp.core.progress.Progress;

/**
 * Imports an [N, d] float matrix made elsewhere into a new activation store, so SAEs can be trained on it: from a
 * {@code .npy} file (format versions 1–3, little-endian {@code <f2}/{@code <f4}/{@code <f8}, C order), from one
 * 2-D float tensor of a {@code .safetensors} file (F16/BF16/F32/F64), or from an array in memory.
 *
 * <p>Every matrix row becomes one store row under a single hook (default name {@value #DEFAULT_HOOK}, or the
 * tensor's name for safetensors), with prompt id = row index, position 0, token id −1 and no labels. Values are
 * converted to F32 (F16/BF16 exactly, F64 rounded to nearest). The file is streamed in blocks, so it may exceed
 * memory. The output folder must not exist or be empty. Inputs are not modified.
 */
public final class ActivationImport {
    /** Hook name of rows imported from a .npy file or an array. */
    public static final String DEFAULT_HOOK = "activations";

    private final Builder b;

    private ActivationImport(Builder b) {
        this.b = b;
    }

    /**
     * A new builder.
     *
     * @return a builder with no source or output set
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Configures an import: exactly one source ({@code setSource} or {@code setMatrix}) and {@code setOut}. */
    public static final class Builder {
        private Path source;
        private float[] matrix;
        private int matrixRows;
        private int matrixDim;
        private String tensor;
        private String hook;
        private Path out;
        private int shardRows;
        private Progress.Settings progress;

        private Builder() {
        }

        /**
         * A {@code .npy} or {@code .safetensors} file holding an [N, d] float matrix.
         *
         * @param file the source file (by extension)
         * @return this builder
         */
        public Builder setSource(Path file) {
            this.source = file;
            return this;
        }

        /**
         * A row-major [rows, d] matrix in memory (not modified; read during {@link #run()}).
         *
         * @param data the matrix, row-major [rows, d]
         * @param rows number of rows N
         * @param d row width
         * @return this builder
         */
        public Builder setMatrix(float[] data, int rows, int d) {
            this.matrix = data;
            this.matrixRows = rows;
            this.matrixDim = d;
            return this;
        }

        /**
         * For safetensors: which tensor to import (default: the file's only 2-D tensor).
         *
         * @param name the tensor name inside the safetensors file
         * @return this builder
         */
        public Builder optTensor(String name) {
            this.tensor = name;
            return this;
        }

        /**
         * The hook name rows are stored under (default: the tensor name, or {@value ActivationImport#DEFAULT_HOOK}).
         *
         * @param name the hook name to record, not a reserved name
         * @return this builder
         */
        public Builder optHookName(String name) {
            this.hook = name;
            return this;
        }

        /**
         * The new store folder (required).
         *
         * @param out folder to create the store in
         * @return this builder
         */
        public Builder setOut(Path out) {
            this.out = out;
            return this;
        }

        /**
         * Rows per shard (default: about 256 MiB per shard, between 1,024 and 65,536 rows).
         *
         * @param rows rows per shard, ≥ 1
         * @return this builder
         */
        public Builder optShardRows(int rows) {
            this.shardRows = rows;
            return this;
        }

        /**
         * Whether to show progress on stderr by the default rule ({@link Progress.Settings#auto()}, the default).
         *
         * @param progress true for automatic progress, false for none
         * @return this builder
         */
        public Builder optProgress(boolean progress) {
            this.progress = Progress.Settings.of(progress);
            return this;
        }

        /**
         * Where and how to show progress (default {@link Progress.Settings#auto()}).
         *
         * @param progress the progress settings
         * @return this builder
         */
        public Builder optProgress(Progress.Settings progress) {
            this.progress = progress;
            return this;
        }

        /**
         * @return an import ready to run
         * @throws IllegalArgumentException without exactly one source or without an output, for a matrix whose
         *     length is not rows·d, a reserved or empty hook name, or negative shard rows
         */
        public ActivationImport build() {
            if ((source == null) == (matrix == null)) {
                throw new IllegalArgumentException("give exactly one of setSource(file) or setMatrix(data, rows, d)");
            }
            if (out == null) {
                throw new IllegalArgumentException("setOut(folder) is required");
            }
            if (matrix != null && (matrixRows < 1 || matrixDim < 1
                    || (long) matrixRows * matrixDim != matrix.length)) {
                throw new IllegalArgumentException("matrix of length " + matrix.length + " is not [" + matrixRows
                        + ", " + matrixDim + "] with rows, d ≥ 1");
            }
            if (matrix != null && tensor != null) {
                throw new IllegalArgumentException("optTensor applies to safetensors sources only");
            }
            if (hook != null && (hook.isEmpty() || StoreManifest.RESERVED.contains(hook))) {
                throw new IllegalArgumentException("hook name '" + hook + "' is empty or reserved");
            }
            if (shardRows < 0) {
                throw new IllegalArgumentException("shard rows must be ≥ 1, got " + shardRows);
            }
            return new ActivationImport(this);
        }
    }

    /**
     * Writes the store.
     *
     * @return its manifest
     * @throws IllegalArgumentException for a malformed or unsupported matrix file (the message says what), or an
     *     output path that is a file or a non-empty folder
     * @throws IOException on I/O errors
     */
    public StoreManifest run() throws IOException {
        if (b.matrix != null) {
            return write(null, b.matrixRows, b.matrixDim, "memory", null, null);
        }
        try (MatrixFile f = MatrixFile.open(b.source, b.tensor)) {
            return write(f, f.rows, f.dim, b.source.toAbsolutePath().toString(), Checksums.sha256(b.source),
                    f.tensor);
        }
    }

    private StoreManifest write(MatrixFile f, long n, int d, String path, String sha, String tensor)
            throws IOException {
        String hook = b.hook != null ? b.hook : tensor != null ? tensor : DEFAULT_HOOK;
        if (StoreManifest.RESERVED.contains(hook)) {
            hook = DEFAULT_HOOK; // a tensor named like a metadata column must not shadow it
        }
        StoreManifest m = new StoreManifest();
        m.source = new StoreManifest.Source();
        m.source.kind = "import";
        m.source.path = path;
        m.source.sha256 = sha;
        m.source.tensor = tensor;
        m.hooks.add(new StoreManifest.Hook(hook, d));
        m.shardRows = b.shardRows > 0 ? b.shardRows : (int) Math.max(1024, Math.min(65536, (256L << 20) / (4L * d)));
        m.promptsPerPass = 1;
        if (Files.isRegularFile(b.out.resolve(StoreManifest.FILE_NAME))) {
            StoreManifest existing = StoreManifest.read(b.out);
            if (existing.complete || existing.source == null || !"import".equals(existing.source.kind)) {
                throw new IllegalArgumentException("store folder " + b.out + " already holds "
                        + (existing.complete ? "a complete" : "an incomplete") + " activation store ("
                        + existing.totalRows() + " rows" + (existing.source != null ? ", made by "
                        + existing.source.kind : "") + "): choose another --out, or delete it first");
            }
            StoreWriter.discardInterruptedImport(b.out); // e.g. the disk filled up: start over
        }
        StoreWriter w = StoreWriter.create(b.out, m);
        try (Progress bar = Progress.start("import", n, "rows",
                b.progress != null ? b.progress : Progress.Settings.auto())) {
            long row = 0;
            while (row < n) {
                int take = (int) Math.min(n - row, m.shardRows - w.pendingRows());
                int first = w.reserve(take);
                if (f != null) {
                    f.read(row, take, w.acts(0), first * d);
                } else {
                    System.arraycopy(b.matrix, (int) (row * d), w.acts(0), first * d, take * d);
                }
                for (int i = 0; i < take; i++) {
                    w.promptIds()[first + i] = row + i;
                    w.promptDone();
                }
                Arrays.fill(w.positions(), first, first + take, 0);
                Arrays.fill(w.tokenIds(), first, first + take, -1);
                row += take;
                if (w.pendingRows() == m.shardRows) {
                    w.flush();
                }
                bar.stepTo(row);
            }
            w.finish();
        }
        return w.manifest().copy();
    }
}
