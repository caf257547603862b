package org.mechinterp.sae.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class GroupBlocksTest {

    @Test
    void equalBlocksArePermutedByAPlainFisherYatesShuffle() {
        // The physics study's null (all trajectories equally long) must draw exactly the permutations it always drew.
        GroupBlocks b = GroupBlocks.of(new int[] {0, 0, 1, 1, 2, 2, 3, 3, 4, 4});
        SplittableRandom r1 = new SplittableRandom(9);
        SplittableRandom r2 = new SplittableRandom(9);
        for (int t = 0; t < 50; t++) {
            int[] expected = {0, 1, 2, 3, 4};
            for (int i = 4; i > 0; i--) {
                int j = r2.nextInt(i + 1);
                int x = expected[i];
                expected[i] = expected[j];
                expected[j] = x;
            }
            assertArrayEquals(expected, b.randomPermutation(r1));
        }
        assertEquals(2, b.length());
        assertEquals(0, b.fixedBlocks());
    }

    @Test
    void unequalBlocksMoveOnlyWithinTheirLengthAndUniformly() {
        // lengths 2, 3, 2, 3, 1: strata {0, 2}, {1, 3}, {4}
        int[] groups = {7, 7, 8, 8, 8, 9, 9, 10, 10, 10, 11};
        GroupBlocks b = GroupBlocks.of(groups);
        assertEquals(3, b.strata().length);
        assertEquals(1, b.fixedBlocks());
        assertThrows(IllegalArgumentException.class, b::length);
        double[] y = {0, 1, 10, 11, 12, 20, 21, 30, 31, 32, 40};
        SplittableRandom rng = new SplittableRandom(3);
        Map<String, Integer> seen = new HashMap<>();
        int draws = 4000;
        for (int t = 0; t < draws; t++) {
            int[] p = b.randomPermutation(rng);
            for (int k = 0; k < p.length; k++) {
                assertEquals(b.lengths()[k], b.lengths()[p[k]], "block " + k + " took block " + p[k]);
            }
            assertEquals(4, p[4]);
            double[] z = b.permute(y, p);
            double[] sorted = z.clone();
            java.util.Arrays.sort(sorted);
            assertArrayEquals(y, sorted); // a permutation of the values, whole blocks kept
            seen.merge(java.util.Arrays.toString(p), 1, Integer::sum);
        }
        // 2 strata of 2 blocks: 4 permutations, each with probability 1/4 (binomial sd ≈ 27 of 1000)
        assertEquals(4, seen.size());
        seen.values().forEach(c -> assertTrue(Math.abs(c - draws / 4) < 150, "count " + c));
    }

    @Test
    void nonContiguousGroupsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> GroupBlocks.of(new int[] {0, 1, 0}));
    }
}
