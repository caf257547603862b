package org.mechinterp.bench.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.mechinterp.core.io.DType;

/**
 * Fills the planned shard files of one checkpoint in parallel. The work is a list of chunks (every tensor cut
 * into {@link RandomValues#CHUNK}-element pieces, in file order); worker threads take the next chunk from a shared
 * counter, generate it into a thread-own float array, encode it into a thread-own direct buffer and write it at
 * its final position with a positional {@link FileChannel#write(ByteBuffer, long)}, so the bytes do not depend on
 * which thread wrote what. Nothing larger than one chunk is ever held in memory.
 */
final class ShardWriter {
    private static final long PROGRESS_INTERVAL_NANOS = 5_000_000_000L;

    /** One chunk: tensor {@code tensor} of shard {@code shard}, elements {@code chunk · CHUNK ..}. */
    private record Task(int shard, int tensor, long chunk) {}

    private final ModelShape shape;
    private final long seed;
    private final CheckpointLayout layout;
    private final Path dir;
    private final RandomCheckpoint.Options options;
    private final List<Task> tasks = new ArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicLong bytesDone = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    ShardWriter(ModelShape shape, long seed, CheckpointLayout layout, Path dir, RandomCheckpoint.Options options) {
        this.shape = shape;
        this.seed = seed;
        this.layout = layout;
        this.dir = dir;
        this.options = options;
        List<CheckpointLayout.Shard> shards = layout.shards();
        for (int s = 0; s < shards.size(); s++) {
            List<TensorSpec> tensors = shards.get(s).tensors();
            for (int t = 0; t < tensors.size(); t++) {
                long chunks = (tensors.get(t).numel() + RandomValues.CHUNK - 1) / RandomValues.CHUNK;
                for (long c = 0; c < chunks; c++) {
                    tasks.add(new Task(s, t, c));
                }
            }
        }
    }

    /**
     * Writes every shard under {@code NAME.partial} (header first, then the chunks), then renames each into place.
     * On failure the partial files are deleted and the first error is rethrown.
     */
    void run() throws IOException {
        List<CheckpointLayout.Shard> shards = layout.shards();
        FileChannel[] channels = new FileChannel[shards.size()];
        try {
            for (int s = 0; s < shards.size(); s++) {
                channels[s] = FileChannel.open(partial(shards.get(s)), StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
                writeFully(channels[s], ByteBuffer.wrap(shards.get(s).header()), 0);
            }
            runWorkers(channels);
            for (int s = 0; s < shards.size(); s++) {
                if (options.fsync()) {
                    channels[s].force(true);
                }
                channels[s].close();
                RandomCheckpoint.moveIntoPlace(partial(shards.get(s)), dir.resolve(shards.get(s).fileName()));
            }
        } catch (IOException | RuntimeException | Error e) {
            cleanUp(channels, e);
            throw e;
        }
    }

    private void runWorkers(FileChannel[] channels) throws IOException {
        int n = Math.max(1, Math.min(options.threads(), tasks.size()));
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> work(channels), "random-checkpoint-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        long start = System.nanoTime();
        long lastReport = start;
        for (Thread t : threads) {
            while (t.isAlive()) {
                try {
                    t.join(500);
                } catch (InterruptedException e) {
                    failure.compareAndSet(null, e);
                    Thread.currentThread().interrupt();
                }
                long now = System.nanoTime();
                if (now - lastReport >= PROGRESS_INTERVAL_NANOS) {
                    lastReport = now;
                    report(now - start);
                }
            }
        }
        rethrow(failure.get());
    }

    /** One worker: takes chunks until none is left or another worker failed. */
    private void work(FileChannel[] channels) {
        DType dtype = layout.dtype();
        float[] values = new float[RandomValues.CHUNK];
        ByteBuffer buf = ByteBuffer.allocateDirect(RandomValues.CHUNK * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        try {
            for (int i = next.getAndIncrement(); i < tasks.size() && failure.get() == null;
                    i = next.getAndIncrement()) {
                Task task = tasks.get(i);
                CheckpointLayout.Shard shard = layout.shards().get(task.shard());
                TensorSpec tensor = shard.tensors().get(task.tensor());
                long first = task.chunk() * RandomValues.CHUNK;
                int count = (int) Math.min(RandomValues.CHUNK, tensor.numel() - first);
                RandomValues.fillChunk(seed, tensor, shape.initializerRange(), task.chunk(), values, count);
                buf.clear();
                RandomValues.encode(values, count, dtype, buf);
                buf.flip();
                writeFully(channels[task.shard()], buf, shard.position(task.tensor()) + first * dtype.byteSize());
                bytesDone.addAndGet((long) count * dtype.byteSize());
            }
        } catch (Throwable e) {
            failure.compareAndSet(null, e);
        }
    }

    private void report(long elapsedNanos) {
        double done = bytesDone.get();
        double seconds = elapsedNanos / 1e9;
        RandomCheckpoint.log(options, String.format(Locale.ROOT, "random-checkpoint %s: %.0f / %.0f MB (%.0f%%),"
                + " %.0f MB/s", shape.name(), done / 1e6, layout.totalBytes() / 1e6,
                100.0 * done / layout.totalBytes(), done / 1e6 / seconds));
    }

    private static void writeFully(FileChannel channel, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            pos += channel.write(buf, pos);
        }
    }

    private Path partial(CheckpointLayout.Shard shard) {
        return dir.resolve(shard.fileName() + ".partial");
    }

    private void cleanUp(FileChannel[] channels, Throwable cause) {
        for (int s = 0; s < channels.length; s++) {
            try {
                if (channels[s] != null) {
                    channels[s].close();
                }
                Files.deleteIfExists(partial(layout.shards().get(s)));
            } catch (IOException e) {
                cause.addSuppressed(e);
            }
        }
    }

    private static void rethrow(Throwable t) throws IOException {
        if (t == null) {
            return;
        }
        if (t instanceof IOException e) {
            throw e;
        }
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IOException("writing the shards was interrupted", t);
    }
}
