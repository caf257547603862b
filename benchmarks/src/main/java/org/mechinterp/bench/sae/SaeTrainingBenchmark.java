package org.mechinterp.bench.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.mechinterp.core.Interp;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.train.InMemoryBatches;
import org.mechinterp.sae.train.SaeConfig;
import org.mechinterp.sae.train.TrainingRun;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Training throughput of a real-scale TopK SAE and TopK skip transcoder: one full {@link TrainingRun#step()} (read
 * the batch, normalise, encoder GEMM, TopK, sparse backward, decoder projection, clipping, Adam with the decoder
 * renormalised) against the encoder GEMM alone, at d = 2048, n = 16384, k = 64, B = 4096 tokens by default.
 *
 * <ul>
 *   <li>{@code trainingStep} — {@code kind = sae}: an SAE on d-wide rows; {@code kind = transcoder}: a skip
 *       transcoder d → d (rows [x | y], plus its two d×d skip GEMMs per step);</li>
 *   <li>{@code encoderGemm} — [B, d]×[d, n] on arrays already in native memory (2·B·d·n FLOPs), the floor.</li>
 * </ul>
 * Figures to report: tokens/s = B / (trainingStep time), and trainingStep / encoderGemm (issue goal ≤ 1.3). AuxK
 * does not run (no latent can be dead within the default dead window of 10M tokens), as in the first ~2400 steps of
 * a real run. Random Gaussian rows; the run is started once per trial and stepped on (its learning rate stays in
 * warm-up, which does not change the work). For ratios on a shared machine prefer {@link SaeTrainingRatios},
 * which interleaves the two.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx12g", "-Dai.djl.offline=true", "--add-modules=jdk.incubator.vector"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SaeTrainingBenchmark {
    @Param({"2048"})
    int d;

    @Param({"16384"})
    int n;

    @Param({"64"})
    int k;

    @Param({"4096"})
    int batch;

    @Param({"sae", "transcoder"})
    String kind;

    TrainingRun run;
    InMemoryBatches data;
    NDManager manager;
    NDArray xNd;
    NDArray encNd;

    /** A run of {@code kind} at the given sizes, on 2·batch random rows (seeded), stepped by the caller. */
    static TrainingRun start(String kind, int d, int n, int k, int batch, InMemoryBatches[] dataOut)
            throws IOException {
        boolean tc = kind.equals("transcoder");
        if (!tc && !kind.equals("sae")) {
            throw new IllegalArgumentException("kind must be sae or transcoder, got " + kind);
        }
        int width = tc ? 2 * d : d;
        int rows = 2 * batch;
        float[] xs = new float[rows * width];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) r.nextGaussian();
        }
        SaeConfig cfg = SaeConfig.builder().setArchitecture(Architecture.TOPK).setDims(d, n).optK(k)
                .optTranscoder(tc ? d : 0, tc).setSteps(1 << 30).optBatchSize(batch).optInitSampleRows(batch)
                .optGeometricMedianInit(false).optSeed(1).build();
        dataOut[0] = new InMemoryBatches(xs, rows, width, 2);
        return TrainingRun.start(cfg, dataOut[0]);
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Interp.configureDjl();
        InMemoryBatches[] holder = new InMemoryBatches[1];
        run = start(kind, d, n, k, batch, holder);
        data = holder[0];
        manager = NDManager.newBaseManager();
        SplittableRandom r = new SplittableRandom(2);
        float[] x = new float[batch * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        xNd = manager.create(FloatBuffer.wrap(x), new Shape(batch, d));
        encNd = manager.create(FloatBuffer.wrap(run.parameters().encT), new Shape(n, d));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
        data.close();
    }

    @Benchmark
    public double trainingStep() throws IOException {
        return run.step().loss();
    }

    @Benchmark
    public float encoderGemm() {
        try (NDManager m = manager.newSubManager()) {
            NDArray z = xNd.matMul(encNd.transpose());
            z.attach(m);
            return z.getFloat(0, 0);
        }
    }
}
