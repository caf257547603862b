package org.mechinterp.core.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * Immutable description of one tensor in a safetensors header.
 *
 * <p>Offsets are in bytes and relative to the start of the data section (the byte right after the header),
 * exactly as written in the header's {@code data_offsets}; {@code [dataBegin, dataEnd)} is half-open.
 * The shape is row-major (C order), outermost dimension first; an empty shape denotes a scalar.
 */
public final class TensorInfo {

    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final long dataBegin;
    private final long dataEnd;

    /**
     * Creates a tensor description. No consistency checks are made here; {@link SafetensorsFile#open}
     * validates headers before creating instances.
     *
     * @param name tensor name
     * @param dtype element type
     * @param shape dimensions, outermost first (copied)
     * @param dataBegin first byte, relative to the data section
     * @param dataEnd one past the last byte, relative to the data section
     */
    public TensorInfo(String name, DType dtype, long[] shape, long dataBegin, long dataEnd) {
        this.name = Objects.requireNonNull(name, "name");
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = Objects.requireNonNull(shape, "shape").clone();
        this.dataBegin = dataBegin;
        this.dataEnd = dataEnd;
    }

    /** @return the tensor's name as in the header */
    public String name() {
        return name;
    }

    /** @return the element type */
    public DType dtype() {
        return dtype;
    }

    /** @return a copy of the dimensions, outermost first; empty for a scalar */
    public long[] shape() {
        return shape.clone();
    }

    /** @return the number of dimensions (0 for a scalar) */
    public int rank() {
        return shape.length;
    }

    /** @return the first byte of the tensor, relative to the start of the data section */
    public long dataBegin() {
        return dataBegin;
    }

    /** @return one past the last byte of the tensor, relative to the start of the data section */
    public long dataEnd() {
        return dataEnd;
    }

    /** @return {@code dataEnd - dataBegin}, the tensor's size in bytes */
    public long byteLength() {
        return dataEnd - dataBegin;
    }

    /**
     * Returns the number of elements, the product of the dimensions (1 for a scalar).
     *
     * @return the element count
     * @throws ArithmeticException if the product overflows a {@code long}
     */
    public long numel() {
        return numel(shape);
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /**
     * Returns the shape as ints, convenient for DJL {@code Shape} and Java arrays.
     *
     * @return a new array of the dimensions
     * @throws IllegalStateException if a dimension exceeds {@link Integer#MAX_VALUE}
     */
    public int[] intShape() {
        int[] out = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) {
                throw new IllegalStateException("tensor '" + name + "': dimension " + i + " = " + shape[i]
                        + " does not fit in an int");
            }
            out[i] = (int) shape[i];
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TensorInfo)) {
            return false;
        }
        TensorInfo other = (TensorInfo) o;
        return dataBegin == other.dataBegin && dataEnd == other.dataEnd && name.equals(other.name)
                && dtype == other.dtype && Arrays.equals(shape, other.shape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), dataBegin, dataEnd);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @[" + dataBegin + ", " + dataEnd + ")";
    }
}
