package org.mechinterp.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

import org.mechinterp.sae.model.SparseCodes;
import org.mechinterp.sae.store.RowBlock;

/**
 * Corpus-wide statistics of an SAE's latents, as dashboards and correlation studies use them, in a form that
 * merges exactly: {@link #merge} is associative and commutative, so partial statistics of any partition of the
 * rows, merged in any order or tree, equal those of one pass over all rows, bit for bit.
 *
 * <p>Per latent i over the N rows (tokens) seen: the firing count (rows whose code c_i ≠ 0; frequency = count / N),
 * the exact sum of c_i over those rows ({@link ExactSum}; mean activation = sum / count), the maximum c_i, a
 * histogram of c_i on fixed bins (four per octave from 2^{@value #MIN_OCTAVE} to 2^{@value #MAX_OCTAVE}, plus an
 * underflow and an overflow bin, so bins never depend on the data), and the top-k activating contexts: the k rows
 * with the largest c_i (ties broken by the lower global row index), each with up to {@code window} tokens either
 * side of it within its prompt. Per-latent parts are allocated when the latent first fires. Not thread-safe.
 */
public final class LatentStats implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Lowest histogram octave: values below 2^MIN_OCTAVE go to the underflow bin 0. */
    public static final int MIN_OCTAVE = -20;
    /** Values at or above 2^MAX_OCTAVE go to the overflow bin. */
    public static final int MAX_OCTAVE = 12;
    /** Histogram bins per latent: underflow, four per octave, overflow. */
    public static final int BINS = (MAX_OCTAVE - MIN_OCTAVE) * 4 + 2;

    private final int width;
    private final int k;
    private final int window;
    private long rows;
    private final long[] fires;
    private final float[] max;
    private final ExactSum[] sums;
    private final long[][] histograms;
    private final Top[] tops;

    /**
     * Empty statistics.
     *
     * @param width number of latents; {@code k} contexts kept per latent; {@code window} tokens kept either side
     */
    public LatentStats(int width, int k, int window) {
        this.width = width;
        this.k = k;
        this.window = window;
        this.fires = new long[width];
        this.max = new float[width];
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        this.sums = new ExactSum[width];
        this.histograms = new long[width][];
        this.tops = new Top[width];
    }

    /** One top context: the code value at a global row, its prompt and position, and the tokens around it. */
    public record Context(float value, long row, long promptId, int position, int[] tokens, int center)
            implements Serializable {
        /** Larger value first, then lower row. */
        static final Comparator<Context> ORDER = Comparator.comparingDouble((Context c) -> -c.value)
                .thenComparingLong(c -> c.row);

        @Override
        public boolean equals(Object o) {
            return o instanceof Context c && Float.compare(value, c.value) == 0 && row == c.row
                    && promptId == c.promptId && position == c.position && Arrays.equals(tokens, c.tokens)
                    && center == c.center;
        }

        @Override
        public int hashCode() {
            return Objects.hash(value, row, promptId, position, Arrays.hashCode(tokens), center);
        }
    }

    /** The k best contexts of one latent, best first. */
    private static final class Top implements Serializable {
        private static final long serialVersionUID = 1L;
        final List<Context> best = new ArrayList<>();

        /** Whether a context of this value and row would enter a full list. */
        boolean admits(float value, long row, int k) {
            if (best.size() < k) {
                return true;
            }
            Context worst = best.get(best.size() - 1);
            return value > worst.value || value == worst.value && row < worst.row;
        }

        void offer(Context c, int k) {
            int at = Math.abs(java.util.Collections.binarySearch(best, c, Context.ORDER) + 1);
            best.add(at, c);
            if (best.size() > k) {
                best.remove(best.size() - 1);
            }
        }
    }

    /**
     * Adds a block of rows and their codes.
     *
     * @param codes the SAE codes of {@code count} rows of {@code block} starting at {@code offset} (code row b is
     *     block row offset + b); neither is modified
     */
    public void add(RowBlock block, int offset, SparseCodes codes) {
        if (codes.width() != width) {
            throw new IllegalArgumentException("codes have " + codes.width() + " latents, statistics " + width);
        }
        int[] start = codes.rowStart();
        int[] index = codes.index();
        float[] value = codes.value();
        for (int b = 0; b < codes.rows(); b++) {
            int r = offset + b;
            for (int e = start[b]; e < start[b + 1]; e++) {
                float v = value[e];
                if (v != 0f) {
                    fire(index[e], v, block, r);
                }
            }
        }
        rows += codes.rows();
    }

    private void fire(int i, float v, RowBlock block, int r) {
        fires[i]++;
        if (v > max[i]) {
            max[i] = v;
        }
        if (sums[i] == null) {
            sums[i] = new ExactSum();
            histograms[i] = new long[BINS];
            tops[i] = new Top();
        }
        sums[i].add(v);
        histograms[i][bin(v)]++;
        long row = block.rowIndices()[r];
        if (k > 0 && tops[i].admits(v, row, k)) {
            tops[i].offer(context(v, block, r), k);
        }
    }

    /** The context of block row r: up to {@code window} tokens either side, within its prompt. */
    private Context context(float v, RowBlock block, int r) {
        long[] prompts = block.promptIds();
        int from = r;
        while (from > 0 && r - from < window && prompts[from - 1] == prompts[r]) {
            from--;
        }
        int to = r;
        while (to < block.rows() - 1 && to - r < window && prompts[to + 1] == prompts[r]) {
            to++;
        }
        int[] tokens = Arrays.copyOfRange(block.tokenIds(), from, to + 1);
        return new Context(v, block.rowIndices()[r], prompts[r], block.positions()[r], tokens, r - from);
    }

    /** Histogram bin of a value: 0 below 2^MIN_OCTAVE (and for v ≤ 0), then four per octave, last = overflow. */
    public static int bin(float v) {
        if (!(v >= Math.scalb(1f, MIN_OCTAVE))) {
            return 0;
        }
        if (v >= Math.scalb(1f, MAX_OCTAVE)) {
            return BINS - 1;
        }
        int e = Math.getExponent(v);
        int quarter = (Float.floatToRawIntBits(v) >>> 21) & 3; // the top two significand bits
        return 1 + (e - MIN_OCTAVE) * 4 + quarter;
    }

    /** Lower edge of histogram bin {@code b} (0 for the underflow bin). */
    public static double binLow(int b) {
        if (b == 0) {
            return 0;
        }
        int o = (b - 1) / 4;
        int q = (b - 1) % 4;
        return Math.scalb(1.0 + q / 4.0, MIN_OCTAVE + o);
    }

    /**
     * Adds {@code other} into this (other is not modified) and returns this.
     *
     * @throws IllegalArgumentException if the two count other latents, k or window
     */
    public LatentStats merge(LatentStats other) {
        if (other.width != width || other.k != k || other.window != window) {
            throw new IllegalArgumentException("cannot merge statistics of other shapes");
        }
        rows += other.rows;
        for (int i = 0; i < width; i++) {
            if (other.sums[i] == null) {
                continue;
            }
            fires[i] += other.fires[i];
            max[i] = Math.max(max[i], other.max[i]);
            if (sums[i] == null) {
                sums[i] = new ExactSum();
                histograms[i] = new long[BINS];
                tops[i] = new Top();
            }
            sums[i].merge(other.sums[i]);
            for (int b = 0; b < BINS; b++) {
                histograms[i][b] += other.histograms[i][b];
            }
            for (Context c : other.tops[i].best) {
                if (tops[i].admits(c.value, c.row, k)) {
                    tops[i].offer(c, k);
                }
            }
        }
        return this;
    }

    /** Number of latents. */
    public int width() {
        return width;
    }

    /** Rows (tokens) seen. */
    public long rows() {
        return rows;
    }

    /** Rows on which latent i fired. */
    public long fires(int i) {
        return fires[i];
    }

    /** Firing frequency of latent i: fires / rows (0 before any row). */
    public double frequency(int i) {
        return rows == 0 ? 0 : (double) fires[i] / rows;
    }

    /** Mean activation of latent i over the rows where it fired (0 if it never fired). */
    public double mean(int i) {
        return fires[i] == 0 ? 0 : sums[i].value() / fires[i];
    }

    /** Exact sum of latent i's activations, rounded once to double. */
    public double sum(int i) {
        return sums[i] == null ? 0 : sums[i].value();
    }

    /** Largest activation of latent i (0 if it never fired). */
    public float max(int i) {
        return fires[i] == 0 ? 0f : max[i];
    }

    /** Histogram counts of latent i (a copy; all zero if it never fired). */
    public long[] histogram(int i) {
        return histograms[i] == null ? new long[BINS] : histograms[i].clone();
    }

    /** Top contexts of latent i, best first (unmodifiable). */
    public List<Context> top(int i) {
        return tops[i] == null ? List.of() : List.copyOf(tops[i].best);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof LatentStats s) || s.width != width || s.k != k || s.window != window || s.rows != rows) {
            return false;
        }
        for (int i = 0; i < width; i++) {
            if (s.fires[i] != fires[i] || Float.compare(s.max(i), max(i)) != 0 || Double.compare(s.sum(i), sum(i)) != 0
                    || !Arrays.equals(s.histogram(i), histogram(i)) || !s.top(i).equals(top(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Objects.hash(width, k, window, rows, Arrays.hashCode(fires));
    }
}
