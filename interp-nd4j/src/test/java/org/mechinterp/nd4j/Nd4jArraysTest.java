package org.mechinterp.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Every supported type and shape crosses both ways unchanged (values exact, see {@link Values}); views share memory
 * exactly where the class comment says, and copies do not.
 */
class Nd4jArraysTest {
    @Test
    void everyTypeAndShapeRoundTripsExactly() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (DataType t : Values.TYPES) {
                for (long[] shape : Values.SHAPES) {
                    String what = t + " " + Arrays.toString(shape);
                    NDArray a = Values.djl(m, t, shape);
                    double[] want = Values.values(t, a.size());
                    for (INDArray x : new INDArray[] {Nd4jArrays.toINDArrayView(a), Nd4jArrays.toINDArray(a)}) {
                        assertArrayEquals(shape, x.shape(), what);
                        assertEquals(Nd4jTypes.toNd4j(t), x.dataType(), what);
                        assertArrayEquals(want, Values.read(x), what + " in ND4J");
                        for (NDArray back : new NDArray[] {Nd4jArrays.toNDArrayView(x, m), Nd4jArrays.toNDArray(x, m)}) {
                            assertEquals(a.getShape(), back.getShape(), what);
                            assertEquals(t, back.getDataType(), what);
                            assertArrayEquals(want, Values.read(back), what + " back in DJL");
                        }
                    }
                }
            }
        }
    }

    @Test
    void aContiguousNdArrayViewSharesMemoryAndACopyDoesNot() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (DataType t : new DataType[] {DataType.FLOAT32, DataType.INT64, DataType.FLOAT16}) {
                NDArray a = Values.djl(m, t, new long[] {3, 4});
                INDArray view = Nd4jArrays.toINDArrayView(a);
                INDArray copy = Nd4jArrays.toINDArray(a);
                a.addi(2); // in place in libtorch
                assertEquals(Values.value(t, 5) + 2, view.getDouble(5), t + ": the view sees libtorch's write");
                assertEquals(Values.value(t, 5), copy.getDouble(5), t + ": the copy does not");
                view.putScalar(6, 100); // and libtorch sees ND4J's write
                assertEquals(100, Values.read(a)[6], t.toString());
            }
        }
    }

    @Test
    void aNonContiguousNdArrayConvertsByValue() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = Values.djl(m, DataType.FLOAT32, new long[] {3, 4});
            NDArray t = a.transpose(); // a strided view in libtorch
            double[] want = Values.read(t.duplicate());
            INDArray view = Nd4jArrays.toINDArrayView(t);
            assertArrayEquals(new long[] {4, 3}, view.shape());
            assertArrayEquals(want, Values.read(view));
            INDArray copy = Nd4jArrays.toINDArray(t);
            assertArrayEquals(want, Values.read(copy));
            a.addi(1); // t follows a (a libtorch view); the "view" of t is a contiguous copy and does not
            assertArrayEquals(want, Values.read(view));
            assertArrayEquals(want, Values.read(copy));
            assertEquals(want[1] + 1, Values.read(t)[1]);
        }
    }

    @Test
    void aPlainIndArrayViewSharesMemoryAndACopyDoesNot() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (DataType t : new DataType[] {DataType.FLOAT32, DataType.INT32, DataType.UINT8}) {
                INDArray x = Nd4jArrays.toINDArray(Values.djl(m, t, new long[] {2, 5}));
                assertTrue(Nd4jArrays.sharesMemory(x), t.toString());
                NDArray view = Nd4jArrays.toNDArrayView(x, m);
                NDArray copy = Nd4jArrays.toNDArray(x, m);
                x.putScalar(3, 42);
                assertEquals(42, Values.read(view)[3], t + ": the view sees ND4J's write");
                assertEquals(Values.value(t, 3), Values.read(copy)[3], t + ": the copy does not");
                view.addi(1);
                assertEquals(43, x.getDouble(3), t + ": and ND4J sees libtorch's");
            }
        }
    }

    @Test
    void stridedOffsetAndFortranIndArraysConvertByValue() {
        try (NDManager m = NDManager.newBaseManager()) {
            INDArray base = Nd4j.arange(0, 24).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).reshape('c', 4, 6);
            INDArray[] cases = {
                base.transpose(), // strided
                base.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all()), // offset rows
                base.get(NDArrayIndex.all(), NDArrayIndex.interval(2, 5)), // offset and strided
                base.dup('f'), // Fortran order
            };
            for (INDArray x : cases) {
                String what = x.shapeInfoToString();
                assertFalse(Nd4jArrays.sharesMemory(x), what);
                double[] want = Values.read(x);
                for (NDArray a : new NDArray[] {Nd4jArrays.toNDArrayView(x, m), Nd4jArrays.toNDArray(x, m)}) {
                    assertArrayEquals(x.shape(), a.getShape().getShape(), what);
                    assertArrayEquals(want, Values.read(a), what);
                }
            }
        }
    }

    @Test
    void unsupportedTypesAreNamed() {
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Nd4jArrays.toNDArray(Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.BFLOAT16, 2), m));
            assertTrue(e.getMessage().contains("BFLOAT16") && e.getMessage().contains("cast to FLOAT"),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Nd4jTypes.toNd4j(DataType.INT16));
            assertTrue(e.getMessage().contains("int16"), e.getMessage());
        }
    }
}
