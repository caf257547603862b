package org.mechinterp.bench.checkpoint;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import org.mechinterp.core.io.DType;

/**
 * The command line of {@link RandomCheckpoint}. Progress goes to stderr as plain lines; the checkpoint folder is
 * printed alone on stdout at the end, so {@code dir=$(tools/random-checkpoint --model ...)} works.
 */
final class CheckpointCli {
    static final String USAGE = String.join("\n",
            "usage: random-checkpoint --model NAME [--layers N] [--dtype bf16|f16|f32] [--seed S] [--out DIR]",
            "                         [--max-shard-size SIZE] [--threads N] [--force] [--fsync]",
            "",
            "Writes a Hugging Face checkpoint folder (config.json, safetensors shards, index) with random weights at",
            "the real shape of a public model. An up-to-date folder is reused unless --force.",
            "",
            "  --model NAME          " + String.join(" | ", ModelShape.presetNames()),
            "  --layers N            keep the widths, use N layers (config num_hidden_layers rewritten)",
            "  --dtype D             bf16 (default, as published), f16 or f32",
            "  --seed S              seed of the values (default " + RandomCheckpoint.DEFAULT_SEED + ")",
            "  --out DIR             folder (default: $INTERP_CKPT_ROOT or <tmp>/interp-ckpt, then the model name)",
            "  --max-shard-size SIZE bytes per shard before a new one, e.g. 5GB (default, as save_pretrained), 500MB",
            "  --threads N           writer threads (default: available processors)",
            "  --force               rewrite even when the folder is up to date",
            "  --fsync               force each file to disk before renaming it into place");

    /** Parsed arguments. */
    record Args(String model, int layers, DType dtype, long seed, Path out, long maxShardBytes, int threads,
            boolean force, boolean fsync) {}

    /** A usage error: its message is printed with the usage text, exit status 2. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    private CheckpointCli() {}

    /** Runs the command; returns the exit status (0 done, 1 I/O error, 2 usage error). */
    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args args;
        try {
            args = parse(argv);
        } catch (UsageException e) {
            err.println(e.getMessage().isEmpty() ? USAGE : "error: " + e.getMessage() + "\n\n" + USAGE);
            return e.getMessage().isEmpty() ? 0 : 2;
        }
        try {
            ModelShape shape = ModelShape.preset(args.model());
            if (args.layers() > 0) {
                shape = shape.withLayers(args.layers());
            }
            Path dir = args.out() != null ? args.out() : RandomCheckpoint.defaultDir(shape, args.seed(), args.dtype());
            RandomCheckpoint.Options options = new RandomCheckpoint.Options(args.maxShardBytes(), args.threads(),
                    args.fsync(), err);
            if (args.force()) {
                RandomCheckpoint.write(shape, dir, args.seed(), args.dtype(), options);
            } else {
                RandomCheckpoint.ensure(shape, dir, args.seed(), args.dtype(), options);
            }
            out.println(dir.toAbsolutePath());
            return 0;
        } catch (IOException | RuntimeException e) {
            err.println("random-checkpoint: " + e.getMessage());
            return 1;
        }
    }

    /**
     * Parses the arguments.
     *
     * @throws UsageException for a missing or unknown option or a bad value; with an empty message for --help
     */
    static Args parse(String[] argv) throws UsageException {
        String model = null;
        int layers = 0;
        DType dtype = DType.BF16;
        long seed = RandomCheckpoint.DEFAULT_SEED;
        Path out = null;
        long maxShard = CheckpointLayout.HF_DEFAULT_MAX_SHARD_BYTES;
        int threads = Runtime.getRuntime().availableProcessors();
        boolean force = false;
        boolean fsync = false;
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            switch (a) {
                case "-h", "--help" -> throw new UsageException("");
                case "--model" -> model = value(argv, ++i, a);
                case "--layers" -> layers = positiveInt(value(argv, ++i, a), a);
                case "--dtype" -> dtype = dtype(value(argv, ++i, a));
                case "--seed" -> seed = parseLong(value(argv, ++i, a), a);
                case "--out" -> out = Path.of(value(argv, ++i, a));
                case "--max-shard-size" -> maxShard = size(value(argv, ++i, a));
                case "--threads" -> threads = positiveInt(value(argv, ++i, a), a);
                case "--force" -> force = true;
                case "--fsync" -> fsync = true;
                default -> throw new UsageException("unknown argument '" + a + "'");
            }
        }
        if (model == null) {
            throw new UsageException("--model is required");
        }
        if (!ModelShape.presetNames().contains(model.toLowerCase(Locale.ROOT))) {
            throw new UsageException("unknown model '" + model + "'");
        }
        return new Args(model, layers, dtype, seed, out, maxShard, threads, force, fsync);
    }

    private static String value(String[] argv, int i, String option) throws UsageException {
        if (i >= argv.length) {
            throw new UsageException(option + " needs a value");
        }
        return argv[i];
    }

    private static DType dtype(String s) throws UsageException {
        switch (s.toLowerCase(Locale.ROOT)) {
            case "bf16", "bfloat16":
                return DType.BF16;
            case "f16", "fp16", "float16":
                return DType.F16;
            case "f32", "fp32", "float32":
                return DType.F32;
            default:
                throw new UsageException("--dtype must be bf16, f16 or f32, got '" + s + "'");
        }
    }

    /** A size in bytes: a plain number, or with a decimal suffix KB, MB or GB (as HF's max_shard_size). */
    static long size(String s) throws UsageException {
        String u = s.trim().toUpperCase(Locale.ROOT);
        long factor = 1;
        for (String[] suffix : new String[][] {{"GB", "1000000000"}, {"MB", "1000000"}, {"KB", "1000"}}) {
            if (u.endsWith(suffix[0])) {
                factor = Long.parseLong(suffix[1]);
                u = u.substring(0, u.length() - 2).trim();
                break;
            }
        }
        long n = parseLong(u, "--max-shard-size");
        if (n < 1) {
            throw new UsageException("--max-shard-size must be positive, got '" + s + "'");
        }
        return Math.multiplyExact(n, factor);
    }

    private static int positiveInt(String s, String option) throws UsageException {
        long n = parseLong(s, option);
        if (n < 1 || n > Integer.MAX_VALUE) {
            throw new UsageException(option + " must be a positive integer, got '" + s + "'");
        }
        return (int) n;
    }

    private static long parseLong(String s, String option) throws UsageException {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new UsageException(option + " must be an integer, got '" + s + "'");
        }
    }
}
