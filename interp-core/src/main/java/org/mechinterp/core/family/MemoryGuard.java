package org.mechinterp.core.family;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.mechinterp.core.io.ShardedCheckpoint;
import org.mechinterp.core.io.TensorInfo;
import org.mechinterp.core.model.LoadOptions;
import org.mechinterp.core.model.ModelConfig;

/**
 * Estimates, before anything is allocated, the memory a model needs in each storage form, and refuses a load that
 * would not fit with a message naming the needed and available bytes (instead of the kernel killing the JVM half
 * way through).
 *
 * <p>Estimates: F32 holds every checkpoint element in 4 bytes; at rest holds one block and the larger of W_E/W_U in
 * float32 while they run (the mapped files are page cache the kernel can evict, so they are reported, not
 * required). Both add {@link #WORKING_BYTES} for activations, the JVM and libtorch. Available memory is Linux's
 * {@code MemAvailable}, else the JVM's view of free physical memory.
 */
public final class MemoryGuard {
    /** Allowance for activations of a moderate forward pass, the JVM heap and libtorch's own allocations. */
    public static final long WORKING_BYTES = 1L << 30;

    private MemoryGuard() {}

    /** What a checkpoint needs in each form. */
    public record Estimate(long f32Bytes, long atRestBytes, long mappedBytes, long availableBytes) {
        /**
         * Whether F32 storage fits in the available memory.
         *
         * @return whether F32 storage fits in the available memory
         */
        public boolean f32Fits() {
            return f32Bytes <= availableBytes;
        }

        /**
         * Whether storage at rest fits (its mapped files need not).
         *
         * @return whether storage at rest fits (its mapped files need not)
         */
        public boolean atRestFits() {
            return atRestBytes <= availableBytes;
        }
    }

    /**
     * Estimates the needs of {@code checkpoint} under {@code config} against the available memory.
     *
     * @param config the model configuration
     * @param checkpoint the checkpoint
     * @param options the options
     * @return the estimate
     */
    public static Estimate estimate(ModelConfig config, ShardedCheckpoint checkpoint, LoadOptions options) {
        long elements = 0;
        long mapped = 0;
        for (String name : checkpoint.names()) {
            TensorInfo info = checkpoint.info(name);
            elements += info.numel();
            mapped += info.byteLength();
        }
        long d = config.dModel();
        long blockElements = 2 * d + d * (long) config.headDim() * (2L * config.nHeads() + 2L * config.nKvHeads())
                + 3L * d * config.dMlp() + (long) config.nHeads() * config.headDim() + 2L * config.dMlp();
        long tableElements = (long) config.vocabSize() * d;
        long f32 = 4 * elements + WORKING_BYTES;
        long atRest = 4 * (blockElements + tableElements) + WORKING_BYTES;
        long available = options.availableBytes() >= 0 ? options.availableBytes() : availableBytes();
        return new Estimate(f32, atRest, mapped, available);
    }

    /**
     * The storage to use for {@code requested}, refusing what cannot fit.
     *
     * @param requested the requested
     * @param e the e
     * @param options the options
     * @param where where
     * @return the storage to use for {@code requested}, refusing what cannot fit
     * @throws CheckpointException if the requested (or, for AUTO, every) form needs more than the available memory
     */
    public static LoadOptions.Storage choose(LoadOptions.Storage requested, Estimate e, LoadOptions options,
            Path where) throws CheckpointException {
        if (requested == LoadOptions.Storage.AUTO) {
            if (!options.memoryCheck() || e.f32Fits()) {
                return LoadOptions.Storage.F32;
            }
            requested = LoadOptions.Storage.AT_REST;
        }
        if (options.memoryCheck()) {
            boolean fits = requested == LoadOptions.Storage.F32 ? e.f32Fits() : e.atRestFits();
            if (!fits) {
                throw new CheckpointException(refusal(requested, e, where));
            }
        }
        return requested;
    }

    private static String refusal(LoadOptions.Storage storage, Estimate e, Path where) {
        String need = storage == LoadOptions.Storage.F32
                ? "about " + gib(e.f32Bytes()) + " with its weights in F32"
                : "about " + gib(e.atRestBytes()) + " with its weights at rest (one block and W_E/W_U upcast at a time)";
        String hint = storage == LoadOptions.Storage.F32 && e.atRestFits()
                ? "; load it with --dtype stored (LoadOptions storage AT_REST), which needs about "
                        + gib(e.atRestBytes()) + " besides the " + gib(e.mappedBytes()) + " of mapped checkpoint"
                : "; free memory, or turn the guard off (LoadOptions.optMemoryCheck(false)) at your own risk";
        return "not enough memory to load " + where + ": it needs " + need + " (" + e.f32Bytes() + " / "
                + e.atRestBytes() + " bytes for F32 / at rest) but only " + gib(e.availableBytes()) + " ("
                + e.availableBytes() + " bytes) are available" + hint;
    }

    /**
     * MemAvailable from /proc/meminfo, else the JVM's free physical memory.
     *
     * @return MemAvailable from /proc/meminfo, else the JVM's free physical memory
     */
    public static long availableBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or an unusual /proc: fall back below
        }
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getFreeMemorySize();
        }
        return Long.MAX_VALUE;
    }

    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
