package org.mechinterp.nd4j;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Constructed test values: element i of an array of type t is {@link #value}(t, i), exact in every supported type
 * (quarter steps for floats, wide values for I64, the full byte range for I8/U8, a pattern for BOOL), so a
 * round trip must reproduce it exactly.
 */
final class Values {
    /** Every element type the library's arrays use. */
    static final List<DataType> TYPES = List.of(DataType.FLOAT32, DataType.FLOAT16, DataType.FLOAT64, DataType.INT32,
            DataType.INT64, DataType.INT8, DataType.UINT8, DataType.BOOLEAN);

    /** Shapes covering rank 0 (scalar), vectors, matrices, rank 3 and empty arrays. */
    static final List<long[]> SHAPES = List.of(new long[] {}, new long[] {1}, new long[] {7}, new long[] {3, 5},
            new long[] {2, 3, 4}, new long[] {0}, new long[] {0, 3}, new long[] {2, 0, 4});

    private Values() {}

    static double value(DataType t, long i) {
        switch (t) {
            case FLOAT32: case FLOAT16: case FLOAT64: return (i - 11) * 0.25;
            case INT32: return i * 1_000_003L - 7;
            case INT64: return i * 3_000_000_019L - 5; // beyond the int range
            case INT8: return (i * 37 % 256) - 128;
            case UINT8: return i * 37 % 256;
            case BOOLEAN: return i % 3 == 0 ? 1 : 0;
            default: throw new IllegalArgumentException(t.toString());
        }
    }

    static double[] values(DataType t, long n) {
        double[] v = new double[(int) n];
        for (int i = 0; i < n; i++) {
            v[i] = value(t, i);
        }
        return v;
    }

    /** A DJL array of type t and the given shape holding {@link #values}. */
    static NDArray djl(NDManager m, DataType t, long[] shape) {
        Shape s = new Shape(shape);
        try (NDArray f64 = m.create(values(t, s.size()), s)) {
            return f64.toType(t, true);
        }
    }

    /** Elements of a DJL array in C order, as doubles. */
    static double[] read(NDArray a) {
        try (NDArray f64 = a.toType(DataType.FLOAT64, true)) {
            return f64.toDoubleArray();
        }
    }

    /** Elements of an ND4J array in C order, as doubles, read through ND4J's own accessors. */
    static double[] read(INDArray a) {
        double[] v = new double[(int) a.length()];
        INDArray flat = a.length() == 0 ? a : Nd4j.toFlattened('c', a);
        for (int i = 0; i < v.length; i++) {
            v[i] = flat.getDouble(i);
        }
        return v;
    }
}
