package org.mechinterp.sae.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;

/**
 * Ground truth for Matryoshka: the first prefix learns the coarse, frequent features.
 *
 * <p>Data in R^32 from m = 72 unit features (superposition): 8 frequent ones, each active independently with
 * probability 0.4, and 64 rare ones, 2 of which (uniformly) are active in every row (each fires on ~3% of rows);
 * magnitudes 1 + Exp(1), noise σ = 0.01. A Matryoshka BatchTopK SAE (n = 128, groups 8 + 120, k = 5) must put the
 * frequent features in its first group: for each frequent feature the best cosine among decoder rows 0..7; bar:
 * at least 7 of the 8 above 0.9. The control, plain BatchTopK with the same settings, has no reason to order its
 * latents and must fail the same check (at most 3 of 8), which shows the check can fail.
 */
class MatryoshkaGroundTruthTest {
    static final int D = 32;
    static final int FREQUENT = 8;
    static final int RARE = 64;

    static float[] sample(float[] features, int rows, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[rows * D];
        for (int b = 0; b < rows; b++) {
            for (int f = 0; f < FREQUENT; f++) {
                if (r.nextDouble() < 0.4) {
                    add(x, b, features, f, 1 - Math.log(1 - r.nextDouble()));
                }
            }
            int first = FREQUENT + r.nextInt(RARE);
            int second;
            do {
                second = FREQUENT + r.nextInt(RARE);
            } while (second == first);
            add(x, b, features, first, 1 - Math.log(1 - r.nextDouble()));
            add(x, b, features, second, 1 - Math.log(1 - r.nextDouble()));
            for (int j = 0; j < D; j++) {
                double u = 1.0 - r.nextDouble();
                double v = r.nextDouble();
                x[b * D + j] += (float) (0.01 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
            }
        }
        return x;
    }

    private static void add(float[] x, int b, float[] features, int f, double c) {
        for (int j = 0; j < D; j++) {
            x[b * D + j] += (float) (c * features[f * D + j]);
        }
    }

    /** How many frequent features have a decoder row among the first 8 with cosine above 0.9. */
    static int frequentInFirstGroup(Architecture arch) throws IOException {
        SyntheticSuperposition dict = new SyntheticSuperposition(D, FREQUENT + RARE, 21);
        int rows = 60_000;
        float[] x = sample(dict.features(), rows, 22);
        SaeConfig.Builder b = SaeConfig.builder().setArchitecture(arch).setDims(D, 128).optK(5).setSteps(1500)
                .optBatchSize(256).optLearningRate(3e-3).optWarmupSteps(50).optDeadWindow(100).optAuxK(16)
                .optSeed(3).optInitSampleRows(2048).optThresholdDecay(0.99);
        if (arch == Architecture.MATRYOSHKA) {
            b.optGroupSizes(FREQUENT, 128 - FREQUENT);
        }
        Sae sae;
        try (InMemoryBatches data = new InMemoryBatches(x, rows, D, 23)) {
            sae = SaeTrainer.builder().setConfig(b.build()).optProgress(false).build().train(data);
        }
        assertEquals(Architecture.JUMPRELU, sae.architecture(), "saved as JumpReLU with the global threshold");
        float[] firstGroup = new float[FREQUENT * D];
        System.arraycopy(sae.wDec(), 0, firstGroup, 0, firstGroup.length);
        double[] cos = dict.maxCosines(firstGroup, FREQUENT);
        int found = 0;
        StringBuilder s = new StringBuilder();
        for (int f = 0; f < FREQUENT; f++) {
            found += cos[f] > 0.9 ? 1 : 0;
            s.append(String.format(" %.3f", cos[f]));
        }
        System.out.printf("%s: frequent features' best cosine in latents 0..7:%s (%d of %d above 0.9)%n", arch, s,
                found, FREQUENT);
        return found;
    }

    @Test
    void firstPrefixRecoversTheFrequentFeatures() throws IOException {
        int found = frequentInFirstGroup(Architecture.MATRYOSHKA);
        assertTrue(found >= 7, "Matryoshka put only " + found + " of 8 frequent features in its first group");
    }

    @Test
    void plainBatchTopKDoesNotOrderItsLatents() throws IOException {
        int found = frequentInFirstGroup(Architecture.BATCHTOPK);
        assertTrue(found <= 3, "control: plain BatchTopK should not put the frequent features first, found " + found);
    }
}
