package org.mechinterp.core.family;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.mechinterp.core.io.ShardedCheckpoint;
import org.mechinterp.core.io.Unmapper;

/**
 * Memory mappings of a checkpoint's tensors, each made once and kept until {@link #close()}: the weights at rest.
 *
 * <p>Why keep them: every mapping of a file page counts again in the process's resident memory, so mapping a
 * tensor anew on each forward pass would inflate it until a GC; kept mappings also cost nothing to reach. Their
 * pages are the page cache's, so the kernel can drop and re-read them under memory pressure instead of killing the
 * process. The files must not change while mapped. Thread-safe.
 */
final class MappedTensors implements AutoCloseable {
    private final ShardedCheckpoint checkpoint;
    private final Map<String, ByteBuffer> buffers = new HashMap<>();
    private boolean closed;

    MappedTensors(ShardedCheckpoint checkpoint) {
        this.checkpoint = checkpoint;
    }

    /** The mapping of a tensor's bytes (little-endian, read-only); do not keep it past {@link #close()}. */
    synchronized ByteBuffer get(String name) throws IOException {
        if (closed) {
            throw new IllegalStateException("the weights of " + checkpoint.location() + " were released");
        }
        ByteBuffer b = buffers.get(name);
        if (b == null) {
            b = checkpoint.mapRaw(name);
            buffers.put(name, b);
        }
        return b;
    }

    /** Unmaps everything; any buffer handed out must no longer be used. */
    @Override
    public synchronized void close() {
        closed = true;
        buffers.values().forEach(Unmapper::unmap);
        buffers.clear();
    }
}
