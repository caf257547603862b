package org.mechinterp.core.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The sampler on constructed distributions: temperature, top-k, top-p (nucleus), greedy ties, frequencies. */
class SamplerTest {
    /** Logits of probabilities 0.5, 0.3, 0.15, 0.05 (in a shuffled id order). */
    private static final float[] LOGITS = {(float) Math.log(0.15), (float) Math.log(0.5), (float) Math.log(0.05),
            (float) Math.log(0.3)};

    private static Sampler sampler(double temperature, int topK, double topP) {
        return new Sampler(GenerationOptions.builder().setMaxNewTokens(1).optTemperature(temperature).optTopK(topK)
                .optTopP(topP).build());
    }

    @Test
    void nucleusIsTheSmallestSetReachingTopP() {
        assertDistribution(new double[] {0, 1, 0, 0}, sampler(1, 0, 0.45).distribution(LOGITS));
        assertDistribution(new double[] {0, 0.5 / 0.8, 0, 0.3 / 0.8}, sampler(1, 0, 0.6).distribution(LOGITS));
        assertDistribution(new double[] {0.15 / 0.95, 0.5 / 0.95, 0, 0.3 / 0.95},
                sampler(1, 0, 0.9).distribution(LOGITS));
        assertDistribution(new double[] {0.15, 0.5, 0.05, 0.3}, sampler(1, 0, 1).distribution(LOGITS));
        // top-k first, then top-p over the renormalised top-k
        assertDistribution(new double[] {0, 0.5 / 0.8, 0, 0.3 / 0.8}, sampler(1, 2, 1).distribution(LOGITS));
        assertDistribution(new double[] {0, 1, 0, 0}, sampler(1, 2, 0.6).distribution(LOGITS));
    }

    @Test
    void temperatureSharpensAndGreedyTakesTheFirstMaximum() {
        double[] p = sampler(0.5, 0, 1).distribution(LOGITS);
        double z = 0.15 * 0.15 + 0.5 * 0.5 + 0.05 * 0.05 + 0.3 * 0.3;                        // p^(1/T), T = 0.5
        assertDistribution(new double[] {0.0225 / z, 0.25 / z, 0.0025 / z, 0.09 / z}, p);
        float[] tied = {1f, 3f, 2f, 3f};
        assertEquals(1, sampler(0, 0, 1).next(tied, new SplittableRandom(1)));
        assertEquals(1, sampler(2.0, 1, 1).next(tied, new SplittableRandom(1)), "top-k 1 keeps the lower id");
    }

    @Test
    void samplesFollowTheNucleusDistribution() {
        Sampler s = sampler(1, 0, 0.6);
        SplittableRandom rng = new SplittableRandom(7);
        int[] counts = new int[4];
        int n = 40_000;
        for (int i = 0; i < n; i++) {
            counts[s.next(LOGITS, rng)]++;
        }
        assertEquals(0, counts[0] + counts[2], "nothing outside the nucleus");
        assertEquals(0.625, counts[1] / (double) n, 0.01);
        SplittableRandom a = new SplittableRandom(3);
        SplittableRandom b = new SplittableRandom(3);
        Sampler full = sampler(1, 0, 1);
        int[] first = new int[50];
        int[] second = new int[50];
        for (int i = 0; i < 50; i++) {
            first[i] = full.next(LOGITS, a);
            second[i] = full.next(LOGITS, b);
        }
        assertArrayEquals(first, second, "same seed, same draws");
    }

    private static void assertDistribution(double[] want, double[] got) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-6, "token " + i);
        }
        double sum = 0;
        for (double v : got) {
            sum += v;
        }
        assertTrue(Math.abs(sum - 1) < 1e-12, "sums to 1: " + sum);
    }
}
