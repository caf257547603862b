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
    /** Tokens the last prompt keeps under a --max-tokens cap, or −1 when it keeps all. */
    private final int lastKeep;

    private ShardPlan(long[] firstPrompt, int[] rows, int lastKeep) {
        this.firstPrompt = firstPrompt;
        this.rows = rows;
        this.lastKeep = lastKeep;
    }

    /** Token counts of the prompts of one pass, in id order. */
    @FunctionalInterface
    interface PassLengths {
        int[] of(long pass);
    }

    /**
     * Plans the shards of a capture capped at {@code maxTokens} rows, as the single-machine capture cuts it: passes
     * run in order until the rows reach the cap; in the pass that reaches it, prompts are taken while fewer than
     * {@code maxTokens} rows are planned, and the prompt that crosses the cap keeps only its first tokens.
     *
     * @param lengths fetches the token counts of the one pass that reaches the cap
     */
    static ShardPlan capped(Map<Long, Long> passRows, long prompts, int promptsPerPass, int shardRows,
            long maxTokens, PassLengths lengths) {
        long passes = (prompts + promptsPerPass - 1) / promptsPerPass;
        long cum = 0;
        for (long k = 0; k < passes; k++) {
            long r = passRows.get(k);
            if (cum + r >= maxTokens) {
                int[] len = lengths.of(k);
                long planned = cum;
                long last = k * promptsPerPass - 1;
                int keep = -1;
                for (int i = 0; i < len.length && planned < maxTokens; i++) {
                    int take = (int) Math.min(len[i], maxTokens - planned);
                    planned += take;
                    last = k * promptsPerPass + i;
                    keep = take < len[i] ? take : -1;
                }
                Map<Long, Long> capped = new java.util.HashMap<>();
                for (long j = 0; j < k; j++) {
                    capped.put(j, passRows.get(j));
                }
                capped.put(k, maxTokens - cum);
                ShardPlan p = of(capped, last + 1, promptsPerPass, shardRows);
                return new ShardPlan(p.firstPrompt, p.rows, keep);
            }
            cum += r;
        }
        return of(passRows, prompts, promptsPerPass, shardRows); // the corpus holds fewer rows than the cap
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
        return new ShardPlan(f, sizes.stream().mapToInt(Integer::intValue).toArray(), -1);
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

    /** Prompts captured (ids 0 .. totalPrompts − 1). */
    long totalPrompts() {
        return firstPrompt[rows.length];
    }

    /** Tokens the last prompt keeps under a cap, or −1 when it keeps all its tokens. */
    int lastKeep() {
        return lastKeep;
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
