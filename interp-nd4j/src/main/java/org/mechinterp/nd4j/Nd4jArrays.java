package org.mechinterp.nd4j;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.BooleanPointer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;
import org.bytedeco.javacpp.indexer.BooleanIndexer;
import org.bytedeco.javacpp.indexer.ByteIndexer;
import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.bytedeco.javacpp.indexer.HalfIndexer;
import org.bytedeco.javacpp.indexer.Indexer;
import org.bytedeco.javacpp.indexer.IntIndexer;
import org.bytedeco.javacpp.indexer.LongIndexer;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.pointers.PagedPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DJL {@link NDArray} ↔ ND4J {@link INDArray}, with the same shape, element type ({@link Nd4jTypes}) and values, in
 * row-major (C) order.
 *
 * <p>Two kinds of conversion:
 * <ul>
 *   <li><b>Views</b> ({@link #toINDArrayView}, {@link #toNDArrayView}) share memory where both sides allow it: a
 *       contiguous CPU {@code NDArray} is libtorch memory that an {@code INDArray} can wrap as an external buffer,
 *       and a C-ordered {@code INDArray} with default strides and no offset is native memory that libtorch can wrap
 *       ({@code from_blob}). A write on one side is then seen on the other. The view is valid only while the owner
 *       lives: the {@code NDArray} until it (or its manager) is closed; the {@code INDArray} while it is strongly
 *       reachable (ND4J frees its memory when it is garbage collected, and the view does not keep it alive). Where
 *       the memory does not allow sharing (a non-contiguous {@code NDArray}, e.g. a transpose, or a GPU array; an
 *       F-ordered, strided or offset {@code INDArray}) the view is one copy instead: for an {@code NDArray} DJL
 *       makes a contiguous copy held by the array's manager; for an {@code INDArray} the copy is a new
 *       {@code NDArray}. {@link #sharesMemory(INDArray)} says which case applies.</li>
 *   <li><b>Copies</b> ({@link #toINDArray}, {@link #toNDArray}) own their memory: one copy (a non-contiguous
 *       {@code NDArray} costs a second, its contiguous copy, as above).</li>
 * </ul>
 * Empty arrays (a zero in the shape) and scalars (rank 0) keep their shape; an empty array has no memory to share.
 * Inputs are never modified. The {@code NDArray}s made here belong to the given manager.
 */
public final class Nd4jArrays {
    private Nd4jArrays() {}

    /**
     * An {@code INDArray} over the same memory as {@code array} where it is a contiguous CPU array, else over a
     * contiguous copy owned by {@code array}'s manager (see the class comment).
     *
     * @param array a DJL array of a type {@link Nd4jTypes} maps (not modified)
     * @return a C-ordered {@code INDArray} of the same shape and type, valid while {@code array} is open
     * @throws IllegalArgumentException for an unsupported element type
     */
    public static INDArray toINDArrayView(NDArray array) {
        DataType type = Nd4jTypes.toNd4j(array.getDataType());
        long[] shape = array.getShape().getShape();
        if (array.size() == 0) {
            return Nd4j.create(type, shape, Nd4j.getStrides(shape, 'c'), 'c');
        }
        return wrap(array.toByteBuffer(true), type, shape);
    }

    /**
     * A copy of {@code array} in memory ND4J owns.
     *
     * @param array a DJL array of a type {@link Nd4jTypes} maps (not modified)
     * @return a new C-ordered {@code INDArray} of the same shape, type and values
     * @throws IllegalArgumentException for an unsupported element type
     */
    public static INDArray toINDArray(NDArray array) {
        DataType type = Nd4jTypes.toNd4j(array.getDataType());
        long[] shape = array.getShape().getShape();
        INDArray out = Nd4j.createUninitialized(type, shape, 'c');
        if (array.size() > 0) {
            bytesOf(out).put(array.toByteBuffer(true));
        }
        return out;
    }

    /**
     * Whether {@link #toNDArrayView} shares {@code array}'s memory: a non-empty, C-ordered array with default strides
     * and no offset into its buffer.
     *
     * @param array an ND4J array
     * @return true where the view is copy-free
     */
    public static boolean sharesMemory(INDArray array) {
        return !array.isEmpty() && array.ordering() == 'c' && Shape.hasDefaultStridesForShape(array)
                && array.offset() == 0 && array.data().offset() == 0 && array.data().length() >= array.length();
    }

    /**
     * An {@code NDArray} over the same memory as {@code array} where {@link #sharesMemory(INDArray)}, else a copy.
     * Keep {@code array} strongly reachable while the result is used: the result does not keep it alive.
     *
     * @param array an ND4J array of a type {@link Nd4jTypes} maps (not modified)
     * @param manager the manager the result belongs to (CPU)
     * @return an {@code NDArray} of the same shape, type and values
     * @throws IllegalArgumentException for an unsupported element type or a manager on another device than the CPU
     */
    public static NDArray toNDArrayView(INDArray array, NDManager manager) {
        requireCpu(manager);
        if (!sharesMemory(array)) {
            return toNDArray(array, manager);
        }
        ai.djl.ndarray.types.DataType type = Nd4jTypes.toDjl(array.dataType());
        return manager.create(bytesOf(array), new ai.djl.ndarray.types.Shape(array.shape()), type);
    }

    /**
     * A copy of {@code array} in memory libtorch owns (ND4J writes it straight into the new tensor: one copy, also
     * for F-ordered, strided or offset arrays).
     *
     * @param array an ND4J array of a type {@link Nd4jTypes} maps (not modified)
     * @param manager the manager the result belongs to (CPU)
     * @return a new {@code NDArray} of the same shape, type and values
     * @throws IllegalArgumentException for an unsupported element type or a manager on another device than the CPU
     */
    public static NDArray toNDArray(INDArray array, NDManager manager) {
        requireCpu(manager);
        ai.djl.ndarray.types.DataType type = Nd4jTypes.toDjl(array.dataType());
        long[] shape = array.shape();
        NDArray out = manager.create(new ai.djl.ndarray.types.Shape(shape), type);
        if (array.length() > 0) {
            wrap(out.toByteBuffer(true), array.dataType(), shape).assign(array);
        }
        return out;
    }

    private static void requireCpu(NDManager manager) {
        if (!Device.cpu().equals(manager.getDevice())) {
            throw new IllegalArgumentException("ND4J interop needs a CPU manager, got one on "
                    + manager.getDevice());
        }
    }

    /**
     * An {@code INDArray} that uses the direct buffer {@code bytes} (native byte order, {@code shape}'s element count)
     * as its external memory: ND4J neither copies nor frees it.
     */
    static INDArray wrap(ByteBuffer bytes, DataType type, long[] shape) {
        if (!bytes.isDirect()) {
            throw new IllegalStateException("expected a direct buffer over native memory");
        }
        long n = Shape.lengthOf(shape);
        if ((long) bytes.remaining() != n * type.width()) {
            throw new IllegalStateException(bytes.remaining() + " bytes for " + n + " elements of " + type);
        }
        Typed typed = typed(bytes.slice().order(ByteOrder.nativeOrder()), type);
        DataBuffer buffer = Nd4j.getDataBufferFactory().create(typed.pointer, type, n, typed.indexer);
        return Nd4j.create(buffer, shape, Nd4j.getStrides(shape, 'c'), 0, 'c', type);
    }

    /** A JavaCPP pointer over a direct buffer and the ND4J indexer for its element type. */
    private record Typed(Pointer pointer, Indexer indexer) {}

    /** The pointer and indexer ND4J's CPU buffers use for {@code type} (as in its own BaseCpuDataBuffer). */
    private static Typed typed(ByteBuffer b, DataType type) {
        switch (type) {
            case FLOAT: {
                FloatPointer p = new FloatPointer(b.asFloatBuffer());
                return new Typed(p, FloatIndexer.create(p));
            }
            case DOUBLE: {
                DoublePointer p = new DoublePointer(b.asDoubleBuffer());
                return new Typed(p, DoubleIndexer.create(p));
            }
            case HALF: {
                ShortPointer p = new ShortPointer(b.asShortBuffer());
                return new Typed(p, HalfIndexer.create(p));
            }
            case INT: {
                IntPointer p = new IntPointer(b.asIntBuffer());
                return new Typed(p, IntIndexer.create(p));
            }
            case LONG: {
                LongPointer p = new LongPointer(b.asLongBuffer());
                return new Typed(p, LongIndexer.create(p));
            }
            case BYTE: {
                BytePointer p = new BytePointer(b);
                return new Typed(p, ByteIndexer.create(p));
            }
            case UBYTE: {
                BytePointer p = new BytePointer(b);
                return new Typed(p, UByteIndexer.create(p));
            }
            case BOOL: {
                BooleanPointer p = new BooleanPointer(b);
                return new Typed(p, BooleanIndexer.create(p));
            }
            default:
                throw new IllegalArgumentException("no external buffer for ND4J type " + type);
        }
    }

    /** A direct buffer over the native memory of a C-contiguous, offset-free array (no copy). */
    static ByteBuffer bytesOf(INDArray array) {
        long bytes = array.length() * array.dataType().width();
        BytePointer p = new BytePointer(new PagedPointer(array.data().address()));
        p.capacity(bytes);
        p.limit(bytes);
        return p.asByteBuffer().order(ByteOrder.nativeOrder());
    }
}
