package org.mechinterp.sae.analysis;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;

import org.mechinterp.sae.store.RowBlock;
import org.mechinterp.sae.store.StoreReader;

/**
 * The rows of one hook of an activation store that carry per-token labels, split by prompt into discovery and
 * held-out sets: the input of {@link LabelCorrelation}.
 *
 * <p>A row is used when every requested label is finite there (a corpus writes {@code null} as NaN, e.g. at BOS)
 * and, with a row label, when that label is finite and non-zero (e.g. {@code readout} = 1 at the token closing a
 * time step). Prompts are groups: the rows of one prompt stay together, either all discovery or all held-out, and
 * the permutation null exchanges whole prompts of equal row count ({@code GroupBlocks}). Prompts are taken in store
 * order until {@code maxRows} rows are reached (whole prompts), then a seeded shuffle of them puts
 * {@code round(heldOutFraction · prompts)} in the held-out set. Two sequential passes over the store; memory is the
 * selected rows only ({@code 8·d} bytes each).
 *
 * @param hook the hook read
 * @param labels the label names, in the order of {@link #values()}
 * @param discovery activations of the discovery rows [rows, d], groups = prompt ids
 * @param heldOut activations of the held-out rows
 * @param values per label, {@code {discovery values, held-out values}} on the same rows
 * @param discoveryRows global store row index of each discovery row
 * @param heldOutRows global store row index of each held-out row
 */
public record LabeledRows(String hook, List<String> labels, FeatureMatrix discovery, FeatureMatrix heldOut,
        Map<String, double[][]> values, long[] discoveryRows, long[] heldOutRows) {

    /**
     * Reads the labeled rows of {@code hook}.
     *
     * @param reader an open store (not closed)
     * @param hook the hook whose activations are read
     * @param labels label names to read (empty: every label column except {@code rowLabel})
     * @param rowLabel a label selecting the rows (finite and non-zero), or null for every row with finite labels
     * @param heldOutFraction share of the prompts held out, in (0, 1)
     * @param maxRows most rows read (whole prompts)
     * @param seed seed of the prompt split
     * @return the rows split by prompt into discovery and held-out sets, with their labels
     * @throws IllegalArgumentException naming the problem: an unknown hook or label, a store without labels, or too
     *     few prompts with labeled rows for a split (at least 2 discovery and 2 held-out)
     * @throws IOException if the store cannot be read
     */
    public static LabeledRows read(StoreReader reader, String hook, List<String> labels, String rowLabel,
            double heldOutFraction, int maxRows, long seed) throws IOException {
        Objects.requireNonNull(reader, "reader");
        List<String> names = reader.labelNames();
        if (names.isEmpty()) {
            throw new IllegalArgumentException("store " + reader.dir() + " has no label columns (capture a .jsonl "
                    + "corpus with \"labels\" to correlate latents with them)");
        }
        if (!reader.hooks().contains(hook)) {
            throw new IllegalArgumentException("store " + reader.dir() + " has no hook '" + hook + "' (it has "
                    + reader.hooks() + ")");
        }
        if (!(heldOutFraction > 0 && heldOutFraction < 1) || maxRows < 4) {
            throw new IllegalArgumentException("held-out fraction must be in (0, 1) and max rows >= 4; got "
                    + heldOutFraction + ", " + maxRows);
        }
        List<String> use = new ArrayList<>(labels == null || labels.isEmpty() ? names : labels);
        if (labels == null || labels.isEmpty()) {
            use.remove(rowLabel);
        }
        int[] cols = columns(reader, names, use);
        int rowCol = rowLabel == null ? -1 : names.indexOf(rowLabel);
        if (rowLabel != null && rowCol < 0) {
            throw new IllegalArgumentException("store " + reader.dir() + " has no row label '" + rowLabel
                    + "' (it has " + names + ")");
        }
        int d = reader.dim(hook);
        Selection sel = new Selection(cols, rowCol);
        // pass 1: selected rows per prompt, prompts in store order, until maxRows
        Map<Long, Integer> perPrompt = new LinkedHashMap<>();
        int[] total = {0};
        scan(reader, hook, (block, i) -> {
            if (sel.keep(block, i)) {
                long p = block.promptIds()[i];
                if (!perPrompt.containsKey(p) && total[0] >= maxRows) {
                    return;
                }
                perPrompt.merge(p, 1, Integer::sum);
                total[0]++;
            }
        });
        List<Long> prompts = new ArrayList<>(perPrompt.keySet());
        int nHeld = (int) Math.round(heldOutFraction * prompts.size());
        if (prompts.size() - nHeld < 2 || nHeld < 2) {
            throw new IllegalArgumentException("store " + reader.dir() + " has " + prompts.size() + " prompts with "
                    + "labeled rows; a discovery/held-out split needs at least 2 on each side");
        }
        List<Long> shuffled = new ArrayList<>(prompts);
        Collections.shuffle(shuffled, new java.util.Random(seed));
        Set<Long> held = new HashSet<>(shuffled.subList(0, nHeld));
        int dRows = 0;
        int hRows = 0;
        for (Map.Entry<Long, Integer> e : perPrompt.entrySet()) {
            if (held.contains(e.getKey())) {
                hRows += e.getValue();
            } else {
                dRows += e.getValue();
            }
        }
        Part disc = new Part(dRows, d, cols.length);
        Part hold = new Part(hRows, d, cols.length);
        // pass 2: copy the selected rows of the kept prompts
        scan(reader, hook, (block, i) -> {
            long p = block.promptIds()[i];
            if (perPrompt.containsKey(p) && sel.keep(block, i)) {
                (held.contains(p) ? hold : disc).add(block, i, p, cols);
            }
        });
        Map<String, double[][]> values = new LinkedHashMap<>();
        for (int c = 0; c < cols.length; c++) {
            values.put(use.get(c), new double[][] {disc.labels[c], hold.labels[c]});
        }
        return new LabeledRows(hook, List.copyOf(use), disc.matrix(), hold.matrix(), values, disc.rowIndex,
                hold.rowIndex);
    }

    /** The store's label columns of {@code use}, in that order; an unknown or empty list is refused. */
    private static int[] columns(StoreReader reader, List<String> names, List<String> use) {
        int[] cols = new int[use.size()];
        for (int i = 0; i < cols.length; i++) {
            cols[i] = names.indexOf(use.get(i));
            if (cols[i] < 0) {
                throw new IllegalArgumentException("store " + reader.dir() + " has no label '" + use.get(i)
                        + "' (it has " + names + ")");
            }
        }
        if (cols.length == 0) {
            throw new IllegalArgumentException("no labels left to correlate (the store has " + names + ")");
        }
        return cols;
    }

    /** @return number of discovery prompts whose row count no other discovery prompt shares (never permuted) */
    public int unpermutedDiscoveryPrompts() {
        return GroupBlocks.of(discovery.groups()).fixedBlocks();
    }

    private interface RowVisitor {
        void visit(RowBlock block, int i);
    }

    private static void scan(StoreReader reader, String hook, RowVisitor v) throws IOException {
        int chunk = 4096;
        RowBlock block = reader.newBlock(hook, chunk);
        for (long first = 0; first < reader.rows(); first += chunk) {
            int count = (int) Math.min(chunk, reader.rows() - first);
            reader.read(hook, first, count, block);
            for (int i = 0; i < count; i++) {
                v.visit(block, i);
            }
        }
    }

    private record Selection(int[] cols, int rowCol) {
        boolean keep(RowBlock b, int i) {
            int nl = b.labelCount();
            if (rowCol >= 0) {
                float r = b.labels()[i * nl + rowCol];
                if (!Float.isFinite(r) || r == 0f) {
                    return false;
                }
            }
            for (int c : cols) {
                if (!Float.isFinite(b.labels()[i * nl + c])) {
                    return false;
                }
            }
            return true;
        }
    }

    /** One side of the split being filled. */
    private static final class Part {
        final double[] x;
        final int[] groups;
        final double[][] labels;
        final long[] rowIndex;
        final int d;
        int n;
        long lastPrompt = Long.MIN_VALUE;
        int group = -1;

        Part(int rows, int d, int nLabels) {
            this.x = new double[rows * d];
            this.groups = new int[rows];
            this.labels = new double[nLabels][rows];
            this.rowIndex = new long[rows];
            this.d = d;
        }

        void add(RowBlock b, int i, long prompt, int[] cols) {
            if (prompt != lastPrompt) {
                group++;
                lastPrompt = prompt;
            }
            float[] a = b.activations();
            for (int j = 0; j < d; j++) {
                x[n * d + j] = a[i * d + j];
            }
            int nl = b.labelCount();
            for (int c = 0; c < cols.length; c++) {
                labels[c][n] = b.labels()[i * nl + cols[c]];
            }
            groups[n] = group;
            rowIndex[n] = b.rowIndices()[i];
            n++;
        }

        FeatureMatrix matrix() {
            return new FeatureMatrix(x, n, d, groups);
        }
    }
}
