package org.mechinterp.core.family;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * Float32 arrays reused from one block to the next when weights at rest are upcast per layer: every block asks
 * for the same shapes in the same order, so the i-th request of a block gets the i-th array (made on first use).
 * This saves allocating (and page-faulting) a block's worth of memory per layer. Not thread-safe.
 */
final class ReusableArrays implements AutoCloseable {
    private final NDManager manager;
    private final List<NDArray> arrays = new ArrayList<>();
    private int next;

    /** @param parent the manager under which the pool's own manager is made */
    ReusableArrays(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    /** Starts a new block: the next request gets the first array again. */
    void rewind() {
        next = 0;
    }

    /** An array of {@code shape}, owned by the pool, whose contents are unspecified. */
    NDArray next(Shape shape) {
        if (next < arrays.size() && arrays.get(next).getShape().equals(shape)) {
            return arrays.get(next++);
        }
        NDArray a = manager.create(shape, DataType.FLOAT32);
        if (next < arrays.size()) {
            arrays.get(next).close(); // blocks of different shapes: replace rather than grow without bound
            arrays.set(next, a);
        } else {
            arrays.add(a);
        }
        next++;
        return a;
    }

    /** Bytes held. */
    long bytes() {
        return arrays.stream().mapToLong(a -> a.getShape().size() * 4).sum();
    }

    @Override
    public void close() {
        arrays.clear();
        manager.close();
    }
}
