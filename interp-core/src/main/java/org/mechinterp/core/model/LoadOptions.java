package org.mechinterp.core.model;

import ai.djl.Device;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How {@link HookedTransformer#load(java.nio.file.Path, LoadOptions)} holds a checkpoint's weights. Compute is always
 * float32, so results do not depend on the choice beyond float32 rounding.
 *
 * <ul>
 *   <li>{@link Storage#F32}: every weight upcast once at load into float32 arrays libtorch owns (4 bytes per
 *       parameter). Fastest forward pass; needed for training and weight processing.
 *   <li>{@link Storage#AT_REST}: weights stay in the checkpoint's own dtype (BF16, F16 or F32), memory-mapped from the
 *       safetensors files, and each block is upcast to float32 just before it runs (about 2 bytes per parameter
 *       for a BF16 checkpoint, plus one block in float32). What lets an 8B model run in 24 GiB.
 *   <li>{@link Storage#AUTO} (default): F32 when the memory guard says it fits, else AT_REST.
 * </ul>
 *
 * <p>Built with {@link #builder()}; {@link Builder#build()} validates.
 */
public final class LoadOptions {
    /** Where and in which dtype the weights live between forward passes. */
    public enum Storage {
        /** F32 when the memory guard says it fits, else {@link #AT_REST}. */
        AUTO,
        /** Every weight upcast to F32 once, at load. */
        F32,
        /** As stored in the checkpoint (F16/BF16), upcast per use. */
        AT_REST;

        /**
         * Parses a CLI value: {@code auto}, {@code f32}, or {@code stored} / {@code at-rest} / {@code bf16} /
         * {@code f16} (all meaning: as stored in the checkpoint).
         *
         * @param value the value
         * @return the storage that {@code value} names
         * @throws IllegalArgumentException naming the accepted values
         */
        public static Storage parse(String value) {
            switch (value.toLowerCase(Locale.ROOT)) {
                case "auto":
                    return AUTO;
                case "f32":
                case "float32":
                    return F32;
                case "stored":
                case "at-rest":
                case "bf16":
                case "f16":
                    return AT_REST;
                default:
                    throw new IllegalArgumentException("unknown dtype '" + value + "': use auto, f32, or stored "
                            + "(weights at rest in the checkpoint's own dtype, upcast per layer; bf16 and f16 are "
                            + "accepted as names for it)");
            }
        }
    }

    private final Storage storage;
    private final Device device;
    private final boolean memoryCheck;
    private final long availableBytes;
    private final boolean checkFinite;
    private final Consumer<String> warnings;

    private LoadOptions(Builder b) {
        this.storage = b.storage;
        this.device = b.device;
        this.memoryCheck = b.memoryCheck;
        this.availableBytes = b.availableBytes;
        this.checkFinite = b.checkFinite;
        this.warnings = b.warnings;
    }

    /**
     * The defaults: AUTO storage on the CPU with the memory guard on.
     *
     * @return the defaults: AUTO storage on the CPU with the memory guard on
     */
    public static LoadOptions defaults() {
        return builder().build();
    }

    /**
     * A new builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * How weights are stored.
     *
     * @return how weights are stored
     */
    public Storage storage() {
        return storage;
    }

    /**
     * The device.
     *
     * @return the device
     */
    public Device device() {
        return device;
    }

    /**
     * Whether {@link org.mechinterp.core.family.MemoryGuard} may refuse a load that would not fit.
     *
     * @return whether {@link org.mechinterp.core.family.MemoryGuard} may refuse a load that would not fit
     */
    public boolean memoryCheck() {
        return memoryCheck;
    }

    /**
     * Bytes of memory the guard assumes are available; negative means "ask the operating system".
     *
     * @return bytes of memory the guard assumes are available; negative means "ask the operating system"
     */
    public long availableBytes() {
        return availableBytes;
    }

    /**
     * Whether loading refuses a weight holding NaN or infinity (naming the tensor); on by default.
     *
     * @return whether loading refuses a weight holding NaN or infinity (naming the tensor); on by default
     */
    public boolean checkFinite() {
        return checkFinite;
    }

    /**
     * Where loading reports what it accepts but doubts (e.g. checkpoint tensors the model does not use).
     *
     * @return where loading reports what it accepts but doubts (e.g. checkpoint tensors the model does not use)
     */
    public Consumer<String> warnings() {
        return warnings;
    }

    @Override
    public String toString() {
        return "LoadOptions[storage=" + storage + ", device=" + device + ", memoryCheck=" + memoryCheck
                + ", checkFinite=" + checkFinite + "]";
    }

    /** Builder in DJL's {@code set}/{@code opt} style. */
    public static final class Builder {
        private Storage storage = Storage.AUTO;
        private Device device = Device.cpu();
        private boolean memoryCheck = true;
        private long availableBytes = -1;
        private boolean checkFinite = true;
        private Consumer<String> warnings = w -> System.err.println("warning: " + w);

        private Builder() {}

        /**
         * Sets how weights are stored (optional).
         *
         * @param storage how weights are stored
         * @return this builder
         */
        public Builder optStorage(Storage storage) {
            this.storage = storage;
            return this;
        }

        /**
         * Sets the device (optional).
         *
         * @param device the device
         * @return this builder
         */
        public Builder optDevice(Device device) {
            this.device = device;
            return this;
        }

        /**
         * Turns the memory guard off (it then neither refuses nor picks AT_REST for AUTO on memory grounds).
         *
         * @param memoryCheck the memory check
         * @return this builder
         */
        public Builder optMemoryCheck(boolean memoryCheck) {
            this.memoryCheck = memoryCheck;
            return this;
        }

        /**
         * Overrides the available memory the guard compares against (tests, or a budget below the machine's).
         *
         * @param bytes the bytes
         * @return this builder
         */
        public Builder optAvailableBytes(long bytes) {
            this.availableBytes = bytes;
            return this;
        }

        /**
         * Whether to scan every weight for NaN and infinity at load (default true). One non-finite weight makes
         * every logit NaN without an error, so a failing scan refuses the checkpoint naming the tensor and element;
         * turn it off only to inspect such a checkpoint on purpose. The scan reads each weight's stored bits once
         * (about one pass over memory; for weights at rest it reads the mapped files once at load).
         *
         * @param checkFinite whether to scan every weight for NaN and infinity at load (default true)
         * @return this builder
         */
        public Builder optCheckFinite(boolean checkFinite) {
            this.checkFinite = checkFinite;
            return this;
        }

        /**
         * Receives load warnings, one line each without a prefix (default: "warning: ..." on stderr).
         *
         * @param warnings Receives load warnings, one line each without a prefix (default: "warning: ..." on stderr)
         * @return this builder
         */
        public Builder optWarnings(Consumer<String> warnings) {
            this.warnings = Objects.requireNonNull(warnings, "warnings");
            return this;
        }

        /**
         * @return the validated options
         * @throws NullPointerException for a null storage or device
         */
        public LoadOptions build() {
            Objects.requireNonNull(storage, "storage");
            Objects.requireNonNull(device, "device");
            return new LoadOptions(this);
        }
    }
}
