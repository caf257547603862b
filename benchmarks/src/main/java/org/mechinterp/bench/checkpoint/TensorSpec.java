package org.mechinterp.bench.checkpoint;

import java.util.Arrays;

/**
 * One tensor of a generated checkpoint: its safetensors name, its shape and how its values are drawn.
 *
 * @param name the tensor name, e.g. {@code model.layers.0.self_attn.q_proj.weight}
 * @param shape the dimensions (row-major)
 * @param kind {@link Kind#MATRIX} values are {@code std · z}; {@link Kind#NORM} values are {@code 1 + std · z}
 */
public record TensorSpec(String name, long[] shape, Kind kind) {

    /** How a tensor's values are drawn from the standard normal-like {@code z} of {@link RandomValues}. */
    public enum Kind {
        /** A projection or embedding matrix: {@code std · z} ({@code std} = the config's initializer_range). */
        MATRIX,
        /** An RMSNorm weight: {@code 1 + std · z}, so around 1 as in trained models. */
        NORM
    }

    /** Copies {@code shape} so the record stays immutable. */
    public TensorSpec {
        shape = shape.clone();
    }

    /** A 2-D matrix {@code [rows, cols]}. */
    public static TensorSpec matrix(String name, long rows, long cols) {
        return new TensorSpec(name, new long[] {rows, cols}, Kind.MATRIX);
    }

    /** A norm weight vector {@code [n]}. */
    public static TensorSpec norm(String name, long n) {
        return new TensorSpec(name, new long[] {n}, Kind.NORM);
    }

    /** The dimensions (a copy). */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The number of elements (the product of the dimensions). */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && t.name.equals(name) && Arrays.equals(t.shape, shape) && t.kind == kind;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
