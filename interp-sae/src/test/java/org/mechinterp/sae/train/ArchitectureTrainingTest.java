package org.mechinterp.sae.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.mechinterp.sae.eval.EvalResult;
import org.mechinterp.sae.eval.SaeEvaluator;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;

/**
 * Each family trains to a useful SAE on synthetic superposition data (d = 32, 96 features, 3 active), evaluated
 * on fresh held-out rows with the exported (folded) SAE on raw inputs. BatchTopK exported as JumpReLU keeps
 * L0 ≈ k at inference through its learned global threshold.
 */
class ArchitectureTrainingTest {
    static final int D = 32;

    static EvalResult trainAndEvaluate(SaeConfig cfg) throws IOException {
        SyntheticSuperposition truth = new SyntheticSuperposition(D, 96, 7);
        float[] train = truth.sample(40_000, 3, 0.01, 8);
        float[] test = truth.sample(4_000, 3, 0.01, 99);
        Sae sae;
        try (InMemoryBatches data = new InMemoryBatches(train, 40_000, D, 1)) {
            sae = SaeTrainer.builder().setConfig(cfg).optProgress(false).build().train(data);
        }
        try (InMemoryBatches data = new InMemoryBatches(test, 4_000, D, 2)) {
            EvalResult r = SaeEvaluator.evaluate(sae, data, 4_000, 1000);
            System.out.printf("%s: L0 %.2f, FVU %.4f, dead %.3f%n", cfg.architecture(), r.l0(), r.fvu(),
                    r.deadFraction());
            return r;
        }
    }

    static SaeConfig.Builder base(Architecture a) {
        return SaeConfig.builder().setArchitecture(a).setDims(D, 192).setSteps(800).optBatchSize(256)
                .optLearningRate(3e-3).optWarmupSteps(50).optDeadWindow(100).optAuxK(16).optSeed(5)
                .optInitSampleRows(2048);
    }

    @Test
    void batchTopKExportedAsJumpReluKeepsL0NearK() throws IOException {
        EvalResult r = trainAndEvaluate(base(Architecture.BATCHTOPK).optK(3).optThresholdDecay(0.99).build());
        assertTrue(r.l0() > 2.0 && r.l0() < 4.5, "L0 at inference " + r.l0() + " should be near k = 3");
        assertTrue(r.fvu() < 0.2, "FVU " + r.fvu());
    }

    @Test
    void reluWithL1TrainsSparseAndAccurate() throws IOException {
        EvalResult r = trainAndEvaluate(base(Architecture.RELU).optL1Coefficient(2.0).build());
        assertTrue(r.fvu() < 0.3, "FVU " + r.fvu());
        assertTrue(r.l0() < 30, "L0 " + r.l0() + " should be far below n = 192");
    }

    @Test
    void jumpReluWithTargetL0TrainsSparseAndAccurate() throws IOException {
        EvalResult r = trainAndEvaluate(base(Architecture.JUMPRELU).optBandwidth(0.05).optInitThreshold(0.1)
                .optL0Coefficient(1.0).optTargetL0(6).build());
        assertTrue(r.fvu() < 0.3, "FVU " + r.fvu());
        assertTrue(r.l0() < 30, "L0 " + r.l0() + " should be far below n = 192");
    }

    @Test
    void learningRateScheduleWarmsUpAndDecays() {
        SaeConfig c = SaeConfig.builder().setArchitecture(Architecture.TOPK).setDims(4, 8).optK(2).setSteps(100)
                .optLearningRate(1.0).optWarmupSteps(10).optDecayFraction(0.2).optL1WarmupSteps(5).build();
        assertEquals(0.1, c.learningRateAt(0), 1e-12);
        assertEquals(1.0, c.learningRateAt(9), 1e-12);
        assertEquals(1.0, c.learningRateAt(79), 1e-12);
        assertEquals(0.5, c.learningRateAt(90), 1e-12);
        assertEquals(0.05, c.learningRateAt(99), 1e-12);
    }
}
