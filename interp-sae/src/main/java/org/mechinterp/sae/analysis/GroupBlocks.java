package org.mechinterp.sae.analysis;

import java.util.SplittableRandom;

/**
 * Contiguous, equally long blocks of rows (one block per trajectory), and block permutations of a per-row series:
 * the null model "this quantity belongs to another trajectory", which keeps each series' autocorrelation and
 * marginal distribution.
 *
 * @param starts first row of each block
 * @param length rows per block
 */
record GroupBlocks(int[] starts, int length) {

    /**
     * @throws IllegalArgumentException when groups are not contiguous or not of one length
     */
    static GroupBlocks of(int[] groups) {
        int n = groups.length;
        java.util.List<Integer> starts = new java.util.ArrayList<>();
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            if (i == 0 || groups[i] != groups[i - 1]) {
                if (!seen.add(groups[i])) {
                    throw new IllegalArgumentException("rows of group " + groups[i] + " are not contiguous");
                }
                starts.add(i);
            }
        }
        int len = starts.size() > 1 ? starts.get(1) - starts.get(0) : n;
        for (int b = 0; b < starts.size(); b++) {
            int end = b + 1 < starts.size() ? starts.get(b + 1) : n;
            if (end - starts.get(b) != len) {
                throw new IllegalArgumentException("trajectory blocks must have equal lengths for the permutation "
                        + "null; block " + b + " has " + (end - starts.get(b)) + " rows, block 0 has " + len);
            }
        }
        return new GroupBlocks(starts.stream().mapToInt(Integer::intValue).toArray(), len);
    }

    int count() {
        return starts.length;
    }

    /** @return {@code y} with block b replaced by block {@code perm[b]}; a new array */
    double[] permute(double[] y, int[] perm) {
        double[] out = new double[y.length];
        for (int b = 0; b < starts.length; b++) {
            System.arraycopy(y, starts[perm[b]], out, starts[b], length);
        }
        return out;
    }

    /** @return a uniformly random permutation of the blocks */
    int[] randomPermutation(SplittableRandom rng) {
        int n = starts.length;
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
