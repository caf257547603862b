package org.mechinterp.sae.model;

import java.util.stream.IntStream;

/**
 * Parallel loops over a fixed partition of [0, count) into chunks of a fixed size.
 *
 * <p>The partition depends only on {@code count} and {@code chunk}, never on the number of threads, so code that
 * writes each chunk's result to its own slot and reduces the slots in order is bit-reproducible on any machine.
 * Runs on the common fork-join pool.
 */
public final class Parallel {
    private Parallel() {}

    /** The body of one chunk: the half-open range [from, to) and the chunk's number. */
    @FunctionalInterface
    public interface ChunkBody {
        /**
         * Processes items [from, to) of chunk number {@code chunkIndex}; chunks may run concurrently.
         *
         * @param chunkIndex the chunk's number, 0-based, in order of position
         * @param from first item of the chunk (inclusive)
         * @param to end of the chunk (exclusive)
         */
        void run(int chunkIndex, int from, int to);
    }

    /**
     * Number of chunks of size {@code chunk} covering {@code count} items.
     *
     * @param count number of items, ≥ 0
     * @param chunk items per chunk, ≥ 1
     * @return ⌈count / chunk⌉, 0 when {@code count} is 0
     */
    public static int chunks(int count, int chunk) {
        return (count + chunk - 1) / chunk;
    }

    /**
     * Runs {@code body} once per chunk, possibly in parallel.
     *
     * @param count number of items
     * @param chunk items per chunk (the last one may be shorter), ≥ 1
     * @param body called once per chunk with its number and range; must be safe to run concurrently
     */
    public static void forChunks(int count, int chunk, ChunkBody body) {
        forChunks(count, chunk, true, body);
    }

    /**
     * As {@link #forChunks(int, int, ChunkBody)}, sequentially when {@code parallel} is false (same partition, so
     * the same results; for work too small to pay for the hand-off between threads).
     *
     * @param count number of items
     * @param chunk items per chunk (the last one may be shorter), ≥ 1
     * @param parallel whether chunks may run concurrently on the common pool
     * @param body called once per chunk with its number and range
     * @throws IllegalArgumentException if {@code chunk} is below 1
     */
    public static void forChunks(int count, int chunk, boolean parallel, ChunkBody body) {
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk must be >= 1, got " + chunk);
        }
        int n = chunks(count, chunk);
        if (n <= 1) {
            if (count > 0) {
                body.run(0, 0, count);
            }
            return;
        }
        if (!parallel) {
            for (int c = 0; c < n; c++) {
                body.run(c, c * chunk, Math.min(count, (c + 1) * chunk));
            }
            return;
        }
        IntStream.range(0, n).parallel().forEach(c -> body.run(c, c * chunk, Math.min(count, (c + 1) * chunk)));
    }
}
