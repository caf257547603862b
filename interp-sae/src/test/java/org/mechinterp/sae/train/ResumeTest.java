package org.mechinterp.sae.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.model.SparseCodes;
import org.mechinterp.sae.store.ActivationBatches;

/**
 * Exact resume (kill after 23 of 60 steps, resume from the checkpoint with a fresh stream object, finish) equals
 * the uninterrupted run bit for bit, for every architecture, with AuxK active (dead window 3); the folded export
 * equals the unfolded SAE on scaled inputs; a NaN loss stops training with a clear message.
 */
class ResumeTest {
    static final int D = 16;
    static final int N = 64;
    static final int ROWS = 3000;

    static float[] data() {
        return new SyntheticSuperposition(D, 40, 3).sample(ROWS, 2, 0.05, 4);
    }

    static SaeConfig config(Architecture arch) {
        return config(arch, 60);
    }

    static SaeConfig config(Architecture arch, int steps) {
        // raw scale ~7 so that normalisation really changes the numbers
        return SaeConfig.builder().setArchitecture(arch).setDims(D, N).optK(1).setSteps(steps).optBatchSize(16)
                .optLearningRate(3e-3).optWarmupSteps(10).optDeadWindow(3).optAuxK(8).optL1Coefficient(0.5)
                .optBandwidth(0.05).optInitThreshold(0.05).optL0Coefficient(0.1).optSeed(17)
                .optInitSampleRows(256).optGroupSizes(arch == Architecture.MATRYOSHKA ? new int[] {8, 24, 32}
                        : new int[0]).build();
    }

    static final int D_OUT = 12;

    /** Rows [x | y] with y = A·x + a sparse part (so that the skip and the latents both have work). */
    static float[] pairedData() {
        float[] x = scaled(data(), 7f);
        float[] codes = new SyntheticSuperposition(D_OUT, 30, 9).sample(ROWS, 2, 0.0, 10);
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        float[] a = new float[D_OUT * D];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (r.nextDouble() - 0.5);
        }
        float[] out = new float[ROWS * (D + D_OUT)];
        for (int b = 0; b < ROWS; b++) {
            System.arraycopy(x, b * D, out, b * (D + D_OUT), D);
            for (int o = 0; o < D_OUT; o++) {
                float s = 3f * codes[b * D_OUT + o];
                for (int j = 0; j < D; j++) {
                    s += a[o * D + j] * x[b * D + j];
                }
                out[b * (D + D_OUT) + D + o] = s;
            }
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = {"TOPK", "MATRYOSHKA", "JUMPRELU"})
    void skipTranscoderKillAndResumeEqualsUninterruptedBitForBit(Architecture arch, @TempDir Path dir)
            throws IOException {
        float[] xy = pairedData();
        SaeConfig base = config(arch);
        SaeConfig cfg = SaeConfig.builder().setArchitecture(arch).setDims(D, N).optK(base.k()).setSteps(40)
                .optBatchSize(16).optLearningRate(3e-3).optWarmupSteps(10).optDeadWindow(3).optAuxK(8)
                .optBandwidth(0.05).optInitThreshold(0.05).optL0Coefficient(0.1).optSeed(17).optInitSampleRows(256)
                .optGroupSizes(base.groupSizes()).optTranscoder(D_OUT, true).optOutputHook("blocks.0.hook_mlp_out")
                .build();
        int w = D + D_OUT;
        Sae straight;
        try (InMemoryBatches data = new InMemoryBatches(xy, ROWS, w, 5)) {
            TrainingRun run = TrainingRun.start(cfg, data);
            while (!run.finished()) {
                run.step();
            }
            straight = run.export();
        }
        Path ckpt = dir.resolve("ckpt");
        try (InMemoryBatches data = new InMemoryBatches(xy, ROWS, w, 5)) {
            TrainingRun run = TrainingRun.start(cfg, data);
            for (int i = 0; i < 17; i++) {
                run.step();
            }
            run.checkpoint(ckpt);
            run.step();
        }
        Sae resumed;
        try (InMemoryBatches data = new InMemoryBatches(xy, ROWS, w, 5)) {
            resumed = SaeTrainer.builder().setConfig(cfg).optCheckpointDir(ckpt).optCheckpointEvery(10)
                    .optProgress(false).build().train(data);
        }
        assertTrue(straight.isTranscoder() && straight.hasSkip() && straight.dOut() == D_OUT, straight.toString());
        assertEquals("blocks.0.hook_mlp_out", resumed.outputHook());
        assertArrayEquals(straight.encoderRows(), resumed.encoderRows(), 0f, arch + " encoder");
        assertArrayEquals(straight.wDec(), resumed.wDec(), 0f, arch + " decoder");
        assertArrayEquals(straight.bEnc(), resumed.bEnc(), 0f, arch + " b_enc");
        assertArrayEquals(straight.bDec(), resumed.bDec(), 0f, arch + " b_dec");
        assertArrayEquals(straight.wSkip(), resumed.wSkip(), 0f, arch + " W_skip");
        if (straight.threshold() != null) {
            assertArrayEquals(straight.threshold(), resumed.threshold(), 0f, arch + " threshold");
        }
        boolean skipLearned = false;
        for (float v : straight.wSkip()) {
            skipLearned |= v != 0f;
        }
        assertTrue(skipLearned, "W_skip starts at 0 and must have been trained");
    }

    static float[] scaled(float[] x, float s) {
        float[] y = x.clone();
        for (int i = 0; i < y.length; i++) {
            y[i] *= s;
        }
        return y;
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void killAndResumeEqualsUninterruptedBitForBit(Architecture arch, @TempDir Path dir) throws IOException {
        float[] x = scaled(data(), 7f);
        SaeConfig cfg = config(arch);
        Sae straight;
        double deadAtEnd;
        try (InMemoryBatches data = new InMemoryBatches(x, ROWS, D, 5)) {
            TrainingRun run = TrainingRun.start(cfg, data);
            double maxDead = 0;
            while (!run.finished()) {
                maxDead = Math.max(maxDead, run.step().deadFraction());
            }
            deadAtEnd = maxDead;
            straight = run.export();
        }
        Path ckpt = dir.resolve("ckpt");
        try (InMemoryBatches data = new InMemoryBatches(x, ROWS, D, 5)) {
            TrainingRun run = TrainingRun.start(cfg, data);
            for (int i = 0; i < 23; i++) {
                run.step();
            }
            run.checkpoint(ckpt);
            run.step(); // work after the checkpoint is lost with the "killed" process
        }
        assertTrue(TrainingRun.hasCheckpoint(ckpt));
        Sae resumed;
        try (InMemoryBatches data = new InMemoryBatches(x, ROWS, D, 5)) {
            resumed = SaeTrainer.builder().setConfig(cfg).optCheckpointDir(ckpt).optCheckpointEvery(10)
                    .optProgress(false).build().train(data);
        }
        assertArrayEquals(straight.encoderRows(), resumed.encoderRows(), 0f, arch + " encoder");
        assertArrayEquals(straight.wDec(), resumed.wDec(), 0f, arch + " decoder");
        assertArrayEquals(straight.bEnc(), resumed.bEnc(), 0f, arch + " b_enc");
        assertArrayEquals(straight.bDec(), resumed.bDec(), 0f, arch + " b_dec");
        if (straight.threshold() != null) {
            assertArrayEquals(straight.threshold(), resumed.threshold(), 0f, arch + " threshold");
        }
        // exactly one checkpoint folder is kept, and the final one is at step 60
        try (var s = Files.list(ckpt)) {
            assertEquals(Arrays.asList("LATEST", "step-00000060"), s.map(p -> p.getFileName().toString()).sorted()
                    .toList());
        }
        if (arch.isTopKFamily()) {
            // with B·k = 16 picks per step and a 3-step window, at least 16 of 64 latents are dead: AuxK is active
            assertTrue(deadAtEnd >= 0.25, arch + ": AuxK should have been exercised, max dead fraction " + deadAtEnd);
        }
    }

    @Test
    void resumingWithADifferentConfigIsRefused(@TempDir Path dir) throws IOException {
        float[] x = data();
        try (InMemoryBatches data = new InMemoryBatches(x, ROWS, D, 5)) {
            TrainingRun run = TrainingRun.start(config(Architecture.TOPK), data);
            run.step();
            run.checkpoint(dir);
        }
        SaeConfig other = SaeConfig.builder().setArchitecture(Architecture.TOPK).setDims(D, N).optK(4).setSteps(60)
                .build();
        try (InMemoryBatches data = new InMemoryBatches(x, ROWS, D, 5)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SaeTrainer.builder().setConfig(other).optCheckpointDir(dir).optProgress(false).build()
                            .train(data));
            assertTrue(e.getMessage().contains("k 1 in the checkpoint vs 4 now")
                    && e.getMessage().contains("Repeat the original settings") && !e.getMessage().contains("{"),
                    e.getMessage());
        }
        SaeConfig longer = config(Architecture.TOPK, 80);
        try (InMemoryBatches data = new InMemoryBatches(x, ROWS, D, 5)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SaeTrainer.builder().setConfig(longer).optCheckpointDir(dir).optProgress(false).build()
                            .train(data));
            assertTrue(e.getMessage().contains("steps 60 in the checkpoint vs 80 now")
                    && e.getMessage().contains("cannot be extended in place"), e.getMessage());
        }
    }

    @Test
    void foldedSaeOnRawInputsEqualsUnfoldedSaeOnScaledInputs() throws IOException {
        float[] x = scaled(data(), 7f);
        try (InMemoryBatches data = new InMemoryBatches(x, ROWS, D, 5)) {
            TrainingRun run = TrainingRun.start(config(Architecture.TOPK), data);
            for (int i = 0; i < 30; i++) {
                run.step();
            }
            double s = run.inputScale();
            assertTrue(Math.abs(s - 1) > 0.5, "scale " + s + " should differ from 1 for this data");
            Sae folded = run.export();
            Sae unfolded = run.normalisedSae();
            int rows = 200;
            float[] raw = Arrays.copyOf(x, rows * D);
            float[] xs = scaled(raw, (float) s);
            SparseCodes a = folded.encode(raw, rows);
            SparseCodes b = unfolded.encode(xs, rows);
            float[] da = a.toDense();
            float[] db = b.toDense();
            for (int i = 0; i < da.length; i++) {
                assertEquals(db[i], da[i], 1e-4 * (1 + Math.abs(db[i])), "code " + i);
            }
            float[] ra = folded.decode(a);
            float[] rb = unfolded.decode(b);
            for (int i = 0; i < ra.length; i++) {
                assertEquals(rb[i] / s, ra[i], 1e-4 * (1 + Math.abs(rb[i] / s)), "reconstruction " + i);
            }
        }
    }

    @Test
    void nanLossStopsTrainingWithAClearMessage() throws IOException {
        float[] good = data();
        ActivationBatches poisoned = new ActivationBatches() {
            int calls;

            @Override
            public int dim() {
                return D;
            }

            @Override
            public void next(float[] dst, int rows) {
                System.arraycopy(good, 0, dst, 0, rows * D);
                if (++calls > 3) {
                    dst[5] = Float.NaN;
                }
            }

            @Override
            public String position() {
                return Integer.toString(calls);
            }

            @Override
            public void seek(String position) {
                calls = Integer.parseInt(position);
            }

            @Override
            public void close() {}
        };
        for (Architecture arch : Architecture.values()) {
            TrainingRun run = TrainingRun.start(config(arch), poisoned);
            run.step();
            run.step();
            float[] before = run.parameters().wDec.clone();
            NonFiniteLossException e = assertThrows(NonFiniteLossException.class, run::step);
            assertEquals(2, e.step());
            assertTrue(e.getMessage().contains("step 2") && e.getMessage().contains("NaN"), e.getMessage());
            assertArrayEquals(before, run.parameters().wDec, 0f, "weights must not be updated by a NaN step");
            poisoned.seek("0");
        }
    }
}
