package org.mechinterp.bench.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.mechinterp.sae.store.ActivationImport;
import org.mechinterp.sae.store.StoreBatches;
import org.mechinterp.sae.store.StoreReader;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Activation store throughput on 65,536 rows × d = 512 F32 (128 MiB of activation payload, 4 shards of 16,384
 * rows). Each benchmark op moves the whole payload once; the {@code mb} aux counter adds 128 MiB / 2^20 = 128
 * per op, so JMH reports it directly as MiB/s of payload.
 * <ul>
 *   <li>{@code write}: {@link ActivationImport} from an in-memory matrix into a fresh store (shard buffer copy,
 *   safetensors encode, write + fsync, SHA-256 re-read of each shard, manifest rewrite);</li>
 *   <li>{@code readSequential}: one epoch of {@link StoreBatches} in store order, batches of 4,096 rows;</li>
 *   <li>{@code readShuffled}: the same with {@code optShuffle(seed, 16384)} (chunk permutations);</li>
 *   <li>{@code verify}: a fresh {@link StoreReader#verifyAll()}, i.e. SHA-256 of every shard (paid once per
 *   reader, on first access).</li>
 * </ul>
 * The page cache holds the store (written in setup), so reads measure decode/copy, not the disk.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
public class StoreBenchmark {
    static final int ROWS = 1 << 16;
    static final int D = 512;
    static final int SHARD_ROWS = 1 << 14;
    static final int BATCH = 4096;
    static final double MIB = (double) ROWS * D * 4 / (1 << 20);

    /** Payload MiB moved, reported by JMH as a rate (MiB/s). */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Payload {
        public double mb;

        @Setup(Level.Iteration)
        public void reset() {
            mb = 0;
        }
    }

    float[] matrix;
    Path root;
    Path store;
    StoreBatches sequential;
    StoreBatches shuffled;
    float[] batch;
    int writes;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        SplittableRandom rng = new SplittableRandom(42);
        matrix = new float[ROWS * D];
        for (int i = 0; i < matrix.length; i++) {
            matrix[i] = (float) rng.nextGaussian();
        }
        root = Files.createTempDirectory("store-bench");
        store = root.resolve("store");
        ActivationImport.builder().setMatrix(matrix, ROWS, D).setOut(store).optShardRows(SHARD_ROWS)
                .optProgress(false).build().run();
        sequential = StoreBatches.builder().setStore(store).setHook(ActivationImport.DEFAULT_HOOK).build();
        shuffled = StoreBatches.builder().setStore(store).setHook(ActivationImport.DEFAULT_HOOK)
                .optShuffle(7, SHARD_ROWS).build();
        batch = new float[BATCH * D];
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        sequential.close();
        shuffled.close();
        delete(root);
    }

    @Benchmark
    public void write(Payload p) throws IOException {
        Path out = root.resolve("w" + (writes++));
        ActivationImport.builder().setMatrix(matrix, ROWS, D).setOut(out).optShardRows(SHARD_ROWS)
                .optProgress(false).build().run();
        delete(out); // deleting 4 files is negligible next to writing 128 MiB
        p.mb += MIB;
    }

    @Benchmark
    public void readSequential(Payload p, Blackhole bh) throws IOException {
        epoch(sequential, bh);
        p.mb += MIB;
    }

    @Benchmark
    public void readShuffled(Payload p, Blackhole bh) throws IOException {
        epoch(shuffled, bh);
        p.mb += MIB;
    }

    @Benchmark
    public void verify(Payload p) throws IOException {
        try (StoreReader r = StoreReader.open(store)) {
            r.verifyAll();
        }
        p.mb += MIB;
    }

    private void epoch(StoreBatches b, Blackhole bh) throws IOException {
        for (int i = 0; i < ROWS / BATCH; i++) {
            b.next(batch, BATCH);
            bh.consume(batch[i]);
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
