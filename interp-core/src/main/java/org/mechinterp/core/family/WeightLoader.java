package org.mechinterp.core.family;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import org.mechinterp.core.io.NonFinite;
import org.mechinterp.core.io.ShardedCheckpoint;
import org.mechinterp.core.io.TensorInfo;
import org.mechinterp.core.io.Unmapper;
import org.mechinterp.core.io.Upcast;

/**
 * Reads checkpoint tensors into float32 NDArrays, checking every shape against what the config implies.
 *
 * <p>No tensor passes through a Java array: its bytes are memory-mapped and converted (F16/BF16 exactly, see
 * {@link Upcast}) straight into the memory of an array libtorch allocated, so weights are also safe for autograd to
 * keep (see the README's autograd note). Mappings are released as soon as a tensor is converted unless they come
 * from a {@link MappedTensors} the caller keeps (weights at rest).
 *
 * <p>Results are owned by {@link #manager()}; with a {@link ReusableArrays} pool they are views of the pool's
 * storage (overwritten by the next block), still owned by {@link #manager()}.
 */
public final class WeightLoader {
    /** Largest destination filled through one direct buffer (Java buffers are int-indexed). */
    private static final long MAX_FILL_BYTES = 1L << 30;

    private final ShardedCheckpoint checkpoint;
    private final NDManager manager;
    private final MappedTensors mapped;
    private final ReusableArrays pool;
    /** False for a loader that only checks names and shapes (its arrays are allocated but never written). */
    private final boolean convert;
    /** Whether every tensor read is first scanned for NaN and infinity ({@link NonFinite}). */
    private final boolean checkFinite;
    private final Set<String> requested = new LinkedHashSet<>();
    private final Set<String> scanned = new HashSet<>();

    /**
     * A loader whose arrays are owned by {@code manager}; every tensor is mapped, converted and unmapped.
     *
     * @param checkpoint the checkpoint
     * @param manager the manager owning the loaded arrays
     */
    public WeightLoader(ShardedCheckpoint checkpoint, NDManager manager) {
        this(checkpoint, manager, null, null, true, false);
    }

    /**
     * A loader for loading a whole checkpoint once: like {@link #WeightLoader(ShardedCheckpoint, NDManager)}, but it
     * records the name of every tensor read ({@link #requested()}) and, with {@code checkFinite}, refuses a tensor
     * holding NaN or infinity.
     */
    static WeightLoader validating(ShardedCheckpoint checkpoint, NDManager manager, boolean checkFinite) {
        return new WeightLoader(checkpoint, manager, null, null, true, checkFinite);
    }

    /**
     * A loader that checks every tensor's name, shape and dtype like a real one but never converts data: its arrays
     * are libtorch's uninitialised ones (untouched pages cost no memory). Running a family's loading code with it
     * validates a checkpoint that is otherwise read lazily. It records the names read ({@link #requested()}) and,
     * with {@code checkFinite}, scans each tensor's stored bytes once for NaN or infinity.
     */
    static WeightLoader shapesOnly(ShardedCheckpoint checkpoint, NDManager manager, boolean checkFinite) {
        return new WeightLoader(checkpoint, manager, null, null, false, checkFinite);
    }

    /**
     * @param mapped mappings kept open by the caller (null: map and unmap per tensor)
     * @param pool storage to reuse (null: fresh arrays)
     */
    WeightLoader(ShardedCheckpoint checkpoint, NDManager manager, MappedTensors mapped, ReusableArrays pool) {
        this(checkpoint, manager, mapped, pool, true, false);
    }

    private WeightLoader(ShardedCheckpoint checkpoint, NDManager manager, MappedTensors mapped, ReusableArrays pool,
            boolean convert, boolean checkFinite) {
        this.checkpoint = checkpoint;
        this.convert = convert;
        this.checkFinite = checkFinite;
        this.manager = manager;
        this.mapped = mapped;
        this.pool = pool;
        if (pool != null) {
            pool.rewind();
        }
    }

    /** The names of the tensors read so far (checked, loaded or validated), in the order first read. */
    Set<String> requested() {
        return Collections.unmodifiableSet(requested);
    }

    /**
     * The manager that owns every loaded array.
     *
     * @return the manager that owns every loaded array
     */
    public NDManager manager() {
        return manager;
    }

    /**
     * Whether the checkpoint holds a tensor of that name.
     *
     * @param name the name
     * @return true when the tensor exists
     */
    public boolean contains(String name) {
        return checkpoint.contains(name);
    }

    /**
     * The first of the candidate names present in the checkpoint.
     *
     * @param candidates the candidates
     * @return the first of the candidate names present in the checkpoint
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
     * A tensor of exactly the expected shape, as stored, in float32.
     *
     * @param name the name
     * @param expectedShape the expected shape
     * @return a tensor of exactly the expected shape, as stored, in float32
     * @throws CheckpointException if it is missing or has another shape
     */
    public NDArray tensor(String name, long... expectedShape) throws IOException {
        TensorInfo info = check(name, expectedShape);
        Shape shape = new Shape(expectedShape);
        if (convert && !manager.getDevice().equals(Device.cpu())) {
            return onDevice(name, info, shape);
        }
        NDArray target = pool == null ? manager.create(shape, DataType.FLOAT32) : pool.next(shape);
        if (!convert && !checkFinite) {
            return target;
        }
        read(name, info, convert ? target : null);
        if (pool == null || !convert) {
            return target;
        }
        NDArray view = target.reshape(shape); // a new handle on the pool's storage, owned by our manager
        view.attach(manager);
        return view;
    }

    /**
     * A device (GPU) array has no host memory to convert into: convert into a host array, then copy that to the
     * device (one extra copy per tensor at load; no reuse of storage). Not exercised here: this machine has no GPU.
     */
    private NDArray onDevice(String name, TensorInfo info, Shape shape) throws IOException {
        try (NDManager host = NDManager.newBaseManager(Device.cpu())) {
            NDArray staging = host.create(shape, DataType.FLOAT32);
            read(name, info, staging);
            NDArray onDevice = staging.toDevice(manager.getDevice(), true);
            onDevice.attach(manager);
            return onDevice;
        }
    }

    /**
     * Maps a tensor's bytes (or takes the kept mapping), checks them for non-finite values once per tensor when asked
     * (tied tables are read twice but scanned once), and converts them into {@code target} unless it is null.
     */
    private void read(String name, TensorInfo info, NDArray target) throws IOException {
        ByteBuffer bytes = mapped == null ? checkpoint.mapRaw(name) : mapped.get(name);
        try {
            if (checkFinite && scanned.add(name)) {
                requireFinite(name, bytes, info);
            }
            if (target != null) {
                fill(target, bytes, info, MAX_FILL_BYTES);
            }
        } finally {
            if (mapped == null) {
                Unmapper.unmap(bytes);
            }
        }
    }

    /**
     * A vector [n].
     *
     * @param name the name
     * @param n the count
     * @return a vector [n]
     * @throws IOException if a file cannot be read or written
     */
    public NDArray vector(String name, long n) throws IOException {
        return tensor(name, n);
    }

    /**
     * An {@code nn.Linear} weight stored [out, in], returned as [in, out]: a transposed view of the stored layout
     * (no copy; libtorch's GEMM reads it as is).
     *
     * @param name the name
     * @param out where to write
     * @param in the in
     * @return an {@code nn.Linear} weight stored [out, in], returned as [in, out]: a transposed view of the stored
     *     layout (no copy; libtorch's GEMM reads it as is)
     * @throws IOException if a file cannot be read or written
     */
    public NDArray linearWeight(String name, int out, int in) throws IOException {
        NDArray stored = tensor(name, out, in);
        NDArray t = stored.transpose();
        t.attach(manager);
        stored.close(); // the view keeps the storage alive
        return t;
    }

    /**
     * Checks that a tensor exists with the expected shape.
     *
     * @param name the name
     * @param expectedShape the expected shape
     * @return its header entry
     * @throws CheckpointException if it is missing or has another shape
     */
    public TensorInfo check(String name, long... expectedShape) throws CheckpointException {
        if (!checkpoint.contains(name)) {
            throw missing(name);
        }
        requested.add(name);
        TensorInfo info = checkpoint.info(name);
        if (!Arrays.equals(info.shape(), expectedShape)) {
            throw new CheckpointException("tensor '" + name + "' has shape " + Arrays.toString(info.shape())
                    + " but the config implies " + Arrays.toString(expectedShape) + " (in "
                    + checkpoint.location() + ")");
        }
        if (!info.dtype().isFloatingPoint()) {
            throw new CheckpointException("tensor '" + name + "' has dtype " + info.dtype()
                    + "; weights must be F32, F16, BF16 or F64 (in " + checkpoint.location() + ")");
        }
        return info;
    }

    /**
     * Row-major [rows, cols] to [cols, rows].
     *
     * @param data the data
     * @param rows the rows
     * @param cols the cols
     * @return row-major [rows, cols] to [cols, rows]
     */
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

    /**
     * Converts the stored bytes into {@code target}'s memory, in blocks of rows when it exceeds {@code maxBytes}
     * (one direct buffer cannot address more than 2 GiB).
     */
    static void fill(NDArray target, ByteBuffer bytes, TensorInfo info, long maxBytes) {
        long n = info.numel();
        if (n == 0) {
            return;
        }
        if (n * 4 <= maxBytes) {
            Upcast.toFloat32(bytes, info.dtype(), target.toByteBuffer(true), n, true);
            return;
        }
        long rows = target.getShape().get(0);
        long rowElems = n / rows;
        long step = Math.max(1, maxBytes / (rowElems * 4));
        int width = info.dtype().byteSize();
        for (long r = 0; r < rows; r += step) {
            long end = Math.min(rows, r + step);
            ByteBuffer src = bytes.duplicate().position(Math.toIntExact(r * rowElems * width))
                    .limit(Math.toIntExact(end * rowElems * width)).slice().order(bytes.order());
            try (NDArray block = target.get(new NDIndex("{}:{}", r, end))) {
                Upcast.toFloat32(src, info.dtype(), block.toByteBuffer(true), (end - r) * rowElems, true);
            }
        }
    }

    /**
     * Refuses a tensor holding NaN or infinity: it would make every logit NaN (ranked as ids 0, 1, 2...) without
     * an error, so it is reported at load with the tensor, the element and the opt-out.
     */
    private void requireFinite(String name, ByteBuffer bytes, TensorInfo info) throws CheckpointException {
        long at = NonFinite.firstIndex(bytes, info.dtype(), info.numel());
        if (at >= 0) {
            throw new CheckpointException("tensor '" + name + "' holds " + NonFinite.describe(bytes, info.dtype(), at)
                    + " at element " + Arrays.toString(unravel(at, info.shape())) + " of " + info.dtype() + " "
                    + Arrays.toString(info.shape()) + " in " + checkpoint.shardOf(name) + ": the checkpoint is "
                    + "corrupt or was saved from a diverged run; to load it anyway use "
                    + "LoadOptions.builder().optCheckFinite(false) (CLI: --allow-non-finite)");
        }
    }

    /** The multi-index of flat (row-major) index {@code flat} in {@code shape}. */
    private static long[] unravel(long flat, long[] shape) {
        long[] index = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return index;
    }

    private CheckpointException missing(String name) {
        return new CheckpointException("missing tensor '" + name + "' in " + checkpoint.location());
    }
}
