package org.mechinterp.core.family;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Float32 arrays reused from one request to the next when weights at rest are upcast per pass: every block asks for
 * the same shapes, so the i-th request of a shape since the last {@link #rewind()} gets the i-th array of that shape
 * (made on first use). This saves allocating, and page-faulting, a block's worth of fresh memory per layer (or W_E /
 * W_U's per pass: 2.1 GB at the Llama-3.1-8B shape, about 1.5 s of page faults each time). Not thread-safe.
 */
final class ReusableArrays implements AutoCloseable {
    private final NDManager manager;
    private final Map<Shape, List<NDArray>> arrays = new HashMap<>();
    private final Map<Shape, Integer> used = new HashMap<>();

    /** @param parent the manager under which the pool's own manager is made */
    ReusableArrays(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    /** Starts a new request: the next array of each shape is the first one again. */
    void rewind() {
        used.clear();
    }

    /** An array of {@code shape}, owned by the pool, whose contents are unspecified. */
    NDArray next(Shape shape) {
        List<NDArray> same = arrays.computeIfAbsent(shape, s -> new ArrayList<>());
        int i = used.merge(shape, 1, Integer::sum) - 1;
        if (i == same.size()) {
            same.add(manager.create(shape, DataType.FLOAT32));
        }
        return same.get(i);
    }

    @Override
    public void close() {
        arrays.clear();
        manager.close();
    }
}
