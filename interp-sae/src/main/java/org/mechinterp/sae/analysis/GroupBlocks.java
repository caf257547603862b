package org.mechinterp.sae.analysis;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Contiguous blocks of rows (one block per group: a trajectory, a prompt), and block permutations of a per-row
 * series: the null model "this quantity belongs to another group", which keeps each series' autocorrelation and
 * marginal distribution.
 *
 * <p>A block can only take the place of a block of the same length, so blocks are exchanged within <em>strata</em> of
 * equal length (strata ordered by first appearance, blocks within a stratum ascending). When every block has the
 * same length there is one stratum and a permutation is a plain Fisher–Yates shuffle of all blocks. A block alone in
 * its stratum never moves ({@link #fixedBlocks()} counts them): with none shared, the null is the identity.
 *
 * @param starts first row of each block
 * @param lengths rows of each block
 * @param strata block indices of each stratum of equal length
 */
record GroupBlocks(int[] starts, int[] lengths, int[][] strata) {

    /**
     * @throws IllegalArgumentException when the rows of a group are not contiguous
     */
    static GroupBlocks of(int[] groups) {
        int n = groups.length;
        List<Integer> starts = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < n; i++) {
            if (i == 0 || groups[i] != groups[i - 1]) {
                if (!seen.add(groups[i])) {
                    throw new IllegalArgumentException("rows of group " + groups[i] + " are not contiguous");
                }
                starts.add(i);
            }
        }
        int[] s = starts.stream().mapToInt(Integer::intValue).toArray();
        int[] len = new int[s.length];
        Map<Integer, List<Integer>> byLength = new LinkedHashMap<>();
        for (int b = 0; b < s.length; b++) {
            len[b] = (b + 1 < s.length ? s[b + 1] : n) - s[b];
            byLength.computeIfAbsent(len[b], k -> new ArrayList<>()).add(b);
        }
        int[][] strata = byLength.values().stream().map(l -> l.stream().mapToInt(Integer::intValue).toArray())
                .toArray(int[][]::new);
        return new GroupBlocks(s, len, strata);
    }

    int count() {
        return starts.length;
    }

    /**
     * @return the common block length
     * @throws IllegalArgumentException when blocks differ in length
     */
    int length() {
        if (strata.length != 1) {
            int other = strata[1][0];
            throw new IllegalArgumentException("groups must have equal lengths here; block 0 has " + lengths[0]
                    + " rows, block " + other + " has " + lengths[other]);
        }
        return lengths[0];
    }

    /** @return number of blocks alone in their stratum (never moved by a permutation) */
    int fixedBlocks() {
        int n = 0;
        for (int[] s : strata) {
            n += s.length == 1 ? 1 : 0;
        }
        return n;
    }

    /** @return {@code y} with block b replaced by block {@code perm[b]} (same length); a new array */
    double[] permute(double[] y, int[] perm) {
        double[] out = new double[y.length];
        for (int b = 0; b < starts.length; b++) {
            System.arraycopy(y, starts[perm[b]], out, starts[b], lengths[b]);
        }
        return out;
    }

    /** @return a uniformly random permutation of the blocks within each stratum */
    int[] randomPermutation(SplittableRandom rng) {
        int n = starts.length;
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int[] idx : strata) {
            for (int i = idx.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = p[idx[i]];
                p[idx[i]] = p[idx[j]];
                p[idx[j]] = t;
            }
        }
        return p;
    }
}
