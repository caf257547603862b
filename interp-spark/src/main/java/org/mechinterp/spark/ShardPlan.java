package org.mechinterp.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Which prompts go into which shard, decided on the driver exactly as the single-machine capture decides it:
 * prompts run in passes of {@code promptsPerPass} consecutive prompt ids (pass k holds ids [kP, (k+1)P)), and a
 * shard ends after the first pass at which its rows reach {@code shardRows}; the last shard takes the rest. So a
 * shard, its passes and their padding are those of {@code ./interp capture}, and the shard files come out byte for
 * byte the same. Immutable.
 */
final class ShardPlan implements Serializable {
    private static final long serialVersionUID = 1L;

    /** First prompt id of each shard, plus the total prompt count at the end. */
    private final long[] firstPrompt;
    private final int[] rows;

    private ShardPlan(long[] firstPrompt, int[] rows) {
        this.firstPrompt = firstPrompt;
        this.rows = rows;
    }

    /**
     * Plans the shards.
     *
     * @param passRows rows (tokens after truncation) of each pass index present; passes are 0..⌈prompts/P⌉−1
     * @param prompts total prompts
     * @throws IllegalStateException if a pass's rows are missing
     */
    static ShardPlan of(Map<Long, Long> passRows, long prompts, int promptsPerPass, int shardRows) {
        long passes = (prompts + promptsPerPass - 1) / promptsPerPass;
        List<Long> firsts = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        long pending = 0;
        long shardStartPass = 0;
        for (long k = 0; k < passes; k++) {
            Long r = passRows.get(k);
            if (r == null) {
                throw new IllegalStateException("no rows counted for pass " + k);
            }
            pending += r;
            if (pending >= shardRows || k == passes - 1) {
                if (pending > Integer.MAX_VALUE - 8) {
                    throw new IllegalArgumentException("a shard of " + pending + " rows is too large; lower the "
                            + "prompts per pass");
                }
                firsts.add(shardStartPass * promptsPerPass);
                sizes.add((int) pending);
                pending = 0;
                shardStartPass = k + 1;
            }
        }
        long[] f = new long[firsts.size() + 1];
        for (int i = 0; i < firsts.size(); i++) {
            f[i] = firsts.get(i);
        }
        f[firsts.size()] = prompts;
        return new ShardPlan(f, sizes.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Number of shards. */
    int shards() {
        return rows.length;
    }

    /** Rows of shard {@code i}. */
    int rows(int i) {
        return rows[i];
    }

    /** Prompt id of shard {@code i}'s first row. */
    long firstPrompt(int i) {
        return firstPrompt[i];
    }

    /** Whole prompts in shard {@code i}. */
    long prompts(int i) {
        return firstPrompt[i + 1] - firstPrompt[i];
    }

    /** The shard holding prompt {@code id}. */
    int shardOf(long id) {
        int i = Arrays.binarySearch(firstPrompt, 0, rows.length, id);
        return i >= 0 ? i : -i - 2;
    }

    /** Total rows. */
    long totalRows() {
        long t = 0;
        for (int r : rows) {
            t += r;
        }
        return t;
    }
}
