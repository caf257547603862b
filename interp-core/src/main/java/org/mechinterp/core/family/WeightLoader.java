package org.mechinterp.core.family;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.util.Arrays;
import org.mechinterp.core.io.ShardedCheckpoint;
import org.mechinterp.core.io.TensorInfo;

/**
 * Reads checkpoint tensors into NDArrays owned by one manager, checking every shape against what the config
 * implies. F16/BF16 tensors are upcast exactly to F32.
 */
public final class WeightLoader {
    private final ShardedCheckpoint checkpoint;
    private final NDManager manager;

    public WeightLoader(ShardedCheckpoint checkpoint, NDManager manager) {
        this.checkpoint = checkpoint;
        this.manager = manager;
    }

    /** The manager that owns every loaded array. */
    public NDManager manager() {
        return manager;
    }

    public boolean contains(String name) {
        return checkpoint.contains(name);
    }

    /**
     * The first of the candidate names present in the checkpoint.
     *
     * @throws CheckpointException "missing tensor" naming the first candidate
     */
    public String resolve(String... candidates) throws CheckpointException {
        for (String c : candidates) {
            if (checkpoint.contains(c)) {
                return c;
            }
        }
        throw missing(candidates[0]);
    }

    /**
     * A tensor of exactly the expected shape, as stored.
     *
     * @throws CheckpointException if it is missing or has another shape
     */
    public NDArray tensor(String name, long... expectedShape) throws IOException {
        return manager.create(read(name, expectedShape), new Shape(expectedShape));
    }

    /** A vector [n]. */
    public NDArray vector(String name, long n) throws IOException {
        return tensor(name, n);
    }

    /** An {@code nn.Linear} weight stored [out, in], returned transposed as [in, out]. */
    public NDArray linearWeight(String name, int out, int in) throws IOException {
        return manager.create(transpose(read(name, out, in), out, in), new Shape(in, out));
    }

    /** The raw floats of a tensor whose shape is checked against {@code expectedShape}. */
    public float[] read(String name, long... expectedShape) throws IOException {
        if (!checkpoint.contains(name)) {
            throw missing(name);
        }
        TensorInfo info = checkpoint.info(name);
        if (!Arrays.equals(info.shape(), expectedShape)) {
            throw new CheckpointException("tensor '" + name + "' has shape " + Arrays.toString(info.shape())
                    + " but the config implies " + Arrays.toString(expectedShape) + " (in "
                    + checkpoint.location() + ")");
        }
        return checkpoint.readFloats(name);
    }

    /** Row-major [rows, cols] to [cols, rows]. */
    public static float[] transpose(float[] data, int rows, int cols) {
        float[] t = new float[data.length];
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = data[base + c];
            }
        }
        return t;
    }

    private CheckpointException missing(String name) {
        return new CheckpointException("missing tensor '" + name + "' in " + checkpoint.location());
    }
}
