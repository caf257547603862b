package org.mechinterp.sae.dashboard;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;

import org.mechinterp.sae.model.SparseCodes;

/**
 * Streaming per-latent statistics for feature dashboards, in memory independent of the corpus length.
 *
 * <p>For each chosen latent, over every token added: how many tokens it fired on (activation > 0), the sum, sum of
 * squares and maximum of its activations; a histogram of log10 of the positive activations on fixed edges
 * ({@value #BINS} bins of 1/{@value #BINS_PER_DECADE} decade from 10^{@value #LOG_MIN}; the first and last bins are
 * open-ended); the {@code topK} contexts with the largest activation (order {@link LatentContext#TOP_FIRST}); per
 * sample bin ({@value #BINS_PER_SAMPLE_BIN} histogram bins each) a uniform sample of {@code samplesPerBin} contexts,
 * chosen as the ones with the smallest hash priority {@code h(seed, latent, doc, position)} (a bottom-k sketch);
 * and, per label, the sums Σa, Σa², Σa·l over the tokens where the label is finite (with Σl, Σl² and the count per
 * label), from which Pearson r follows. Every sum is an {@link ExactSum} (float activations, their squares and
 * their products with float labels are exact in double, and the sums of those are exact).
 *
 * <p><b>Merge.</b> {@link #merge} combines two accumulators of the same settings that saw disjoint sets of
 * documents. Counts, histograms, maxima, top-k contexts and samples merge <em>exactly</em>: the result equals,
 * element for element, the accumulator that saw both sets in any order, and merging is associative and commutative
 * (top-k and bottom-k under a total order are selections from a union), and so do the moment sums (exact sums).
 * Every summary is therefore bit for bit the same whatever the split of the documents and the merge tree: a Spark job
 * maps partitions to accumulators and reduces with {@code merge}.
 *
 * <p>Codes come either dense for the followed latents ({@link #add(long, int[], float[], float[])}) or sparse over
 * all the SAE's latents ({@link #add(long, int[], SparseCodes, float[])}, for following every latent of a wide
 * SAE: the work is then proportional to the non-zero codes). A latent's state is allocated when its code is first
 * non-zero.
 *
 * <p>Memory: per latent O(topK·W + sampleBins·samplesPerBin·W + BINS + labels) for windows of W tokens. Not
 * thread-safe. Serializable (Java serialization), so that a distributed job can ship partial accumulators.
 */
public final class LatentStatsAccumulator implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    /** log10 of the lower edge of the first histogram bin. */
    public static final int LOG_MIN = -4;
    /** Histogram bins per decade. */
    public static final int BINS_PER_DECADE = 8;
    /** Histogram bins (10^-4 .. 10^4). */
    public static final int BINS = 8 * BINS_PER_DECADE;
    /** Histogram bins per sample bin. */
    public static final int BINS_PER_SAMPLE_BIN = 4;
    /** Sample bins. */
    public static final int SAMPLE_BINS = BINS / BINS_PER_SAMPLE_BIN;

    /** The followed latents (indices into the SAE's codes), in slot order. */
    private final int[] latents;
    /** Top contexts kept per latent. */
    private final int topK;
    /** Tokens of context kept before the firing token. */
    private final int before;
    /** Tokens of context kept after the firing token. */
    private final int after;
    /** Sampled contexts kept per sample bin. */
    private final int samplesPerBin;
    /** Seed of the sampling hash. */
    private final long seed;
    /** Label columns of the documents (may be empty). */
    private final List<String> labelNames;
    /** Per followed latent, its state, or null until its code is first non-zero. */
    private final State[] states;
    /** Tokens added so far. */
    private long tokens;
    /** Documents added so far. */
    private long documents;
    /** Per label, the number of tokens with a finite label value. */
    private final long[] labelCount;
    /** Per label, the exact sum Σl over tokens with a finite label value. */
    private final ExactSum[] labelSum;
    /** Per label, the exact sum Σl² over tokens with a finite label value. */
    private final ExactSum[] labelSumSq;
    /** Followed index of each SAE latent, −1 for the others. */
    private final int[] slot;

    /**
     * @param latents the latents to follow (indices into the SAE's codes)
     * @param topK top contexts kept per latent (≥ 1)
     * @param before tokens of context kept before the firing token (≥ 0)
     * @param after tokens of context kept after it (≥ 0)
     * @param samplesPerBin sampled contexts kept per sample bin (≥ 0)
     * @param seed seed of the sampling hash
     * @param labelNames label columns of the documents (may be empty)
     */
    public LatentStatsAccumulator(int[] latents, int topK, int before, int after, int samplesPerBin, long seed,
            List<String> labelNames) {
        Objects.requireNonNull(latents, "latents");
        if (latents.length == 0 || topK < 1 || before < 0 || after < 0 || samplesPerBin < 0) {
            throw new IllegalArgumentException("need latents, topK >= 1, before/after >= 0, samples >= 0; got "
                    + latents.length + " latents, topK " + topK + ", " + before + "/" + after + ", " + samplesPerBin);
        }
        this.latents = latents.clone();
        this.topK = topK;
        this.before = before;
        this.after = after;
        this.samplesPerBin = samplesPerBin;
        this.seed = seed;
        this.labelNames = List.copyOf(labelNames);
        int nl = labelNames.size();
        this.states = new State[latents.length];
        this.labelCount = new long[nl];
        this.labelSum = ExactSum.array(nl);
        this.labelSumSq = ExactSum.array(nl);
        int maxLatent = Arrays.stream(latents).max().getAsInt();
        if (Arrays.stream(latents).min().getAsInt() < 0) {
            throw new IllegalArgumentException("latent indices must be >= 0: " + Arrays.toString(latents));
        }
        this.slot = new int[maxLatent + 1];
        Arrays.fill(slot, -1);
        for (int i = 0; i < latents.length; i++) {
            if (slot[latents[i]] >= 0) {
                throw new IllegalArgumentException("latent " + latents[i] + " is listed twice");
            }
            slot[latents[i]] = i;
        }
    }

    /** Worst-first orders of the bounded heaps (serializable, unlike composed comparators). */
    private static final class WorstTopFirst implements Comparator<LatentContext>, java.io.Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public int compare(LatentContext a, LatentContext b) {
            return LatentContext.TOP_FIRST.compare(b, a);
        }
    }

    private static final class WorstSampleFirst implements Comparator<Sample>, java.io.Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public int compare(Sample a, Sample b) {
            return Sample.ORDER.compare(b, a);
        }
    }

    /** Per-latent state. */
    private static final class State implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        long fired;
        final ExactSum sum = new ExactSum();
        final ExactSum sumSq = new ExactSum();
        float max;
        final long[] hist = new long[BINS];
        final PriorityQueue<LatentContext> top = new PriorityQueue<>(new WorstTopFirst());
        final List<PriorityQueue<Sample>> samples = new ArrayList<>();
        final ExactSum[] sumA;
        final ExactSum[] sumAA;
        final ExactSum[] sumAL;

        State(int nl) {
            for (int b = 0; b < SAMPLE_BINS; b++) {
                samples.add(new PriorityQueue<>(new WorstSampleFirst()));
            }
            sumA = ExactSum.array(nl);
            sumAA = ExactSum.array(nl);
            sumAL = ExactSum.array(nl);
        }
    }

    /** A sampled context with its hash priority (smaller = kept first; ties broken by doc, position). */
    private record Sample(long priority, LatentContext context) implements java.io.Serializable {
        static final Comparator<Sample> ORDER = Comparator.comparingLong(Sample::priority)
                .thenComparingLong(s -> s.context.doc()).thenComparingInt(s -> s.context.position());
    }

    /** The activations of one followed latent over a document's tokens, for context windows. */
    @FunctionalInterface
    private interface Activations {
        float at(int position);
    }

    /**
     * Adds one document with dense codes of the followed latents.
     *
     * @param doc the document's id (distinct per document; used for ordering and sampling)
     * @param tokenIds its tokens [T]
     * @param codes the followed latents' activations [T, latents.length] row-major (not modified, not kept)
     * @param labels [T, labelNames.size()] row-major, NaN where missing; null when there are no label columns
     * @throws IllegalArgumentException for wrong shapes or a non-finite code (naming document, token and latent)
     */
    public void add(long doc, int[] tokenIds, float[] codes, float[] labels) {
        int t = tokenIds.length;
        int n = latents.length;
        if (codes.length != t * n) {
            throw new IllegalArgumentException("document " + doc + ": codes must be [" + t + ", " + n + "], got "
                    + codes.length + " values");
        }
        addLabels(doc, t, labels);
        for (int i = 0; i < n; i++) {
            int li = i;
            Activations acts = q -> codes[q * n + li];
            for (int p = 0; p < t; p++) {
                float a = codes[p * n + i];
                if (a != 0) {
                    observe(i, doc, p, a, tokenIds, labels, acts);
                }
            }
        }
    }

    /**
     * Adds one document with sparse codes over all the SAE's latents (latents not followed are ignored).
     *
     * @param doc the document's id (distinct per document; used for ordering and sampling)
     * @param tokenIds its tokens [T]
     * @param codes the SAE's codes of its tokens, T rows (not modified, not kept)
     * @param labels [T, labelNames.size()] row-major, NaN where missing; null when there are no label columns
     * @throws IllegalArgumentException for wrong shapes or a non-finite code (naming document, token and latent)
     */
    public void add(long doc, int[] tokenIds, SparseCodes codes, float[] labels) {
        int t = tokenIds.length;
        if (codes.rows() != t) {
            throw new IllegalArgumentException("document " + doc + ": " + t + " tokens but " + codes.rows()
                    + " rows of codes");
        }
        addLabels(doc, t, labels);
        int[] start = codes.rowStart();
        int[] index = codes.index();
        float[] value = codes.value();
        for (int p = 0; p < t; p++) {
            for (int e = start[p]; e < start[p + 1]; e++) {
                int latent = index[e];
                int i = latent < slot.length ? slot[latent] : -1;
                if (i >= 0 && value[e] != 0) {
                    observe(i, doc, p, value[e], tokenIds, labels, q -> sparseAt(codes, q, latent));
                }
            }
        }
    }

    /** Code of one latent in row q of sparse codes (0 where absent). */
    private static float sparseAt(SparseCodes codes, int q, int latent) {
        for (int e = codes.rowStart()[q]; e < codes.rowStart()[q + 1]; e++) {
            if (codes.index()[e] == latent) {
                return codes.value()[e];
            }
        }
        return 0;
    }

    private void addLabels(long doc, int t, float[] labels) {
        int nl = labelNames.size();
        if (nl > 0 && (labels == null || labels.length != t * nl)) {
            throw new IllegalArgumentException("document " + doc + ": labels must be [" + t + ", " + nl + "], got "
                    + (labels == null ? 0 : labels.length) + " values");
        }
        tokens += t;
        documents++;
        for (int c = 0; c < nl; c++) {
            for (int p = 0; p < t; p++) {
                float l = labels[p * nl + c];
                if (Float.isFinite(l)) {
                    labelCount[c]++;
                    labelSum[c].add(l);
                    labelSumSq[c].add((double) l * l);
                }
            }
        }
    }

    /**
     * One non-zero code a of followed latent i at token p: label moments (zero codes add nothing to them, which
     * is why only non-zero codes are visited), and, when a &gt; 0, the firing statistics.
     */
    private void observe(int i, long doc, int p, float a, int[] tokenIds, float[] labels, Activations acts) {
        if (!Float.isFinite(a)) {
            throw new IllegalArgumentException("document " + doc + " token " + p + ": latent " + latents[i]
                    + " has the non-finite code " + a);
        }
        State s = states[i];
        int nl = labelNames.size();
        if (s == null) {
            s = states[i] = new State(nl);
        }
        for (int c = 0; c < nl; c++) {
            float l = labels[p * nl + c];
            if (Float.isFinite(l)) {
                s.sumA[c].add(a);
                s.sumAA[c].add((double) a * a);
                s.sumAL[c].add((double) a * l);
            }
        }
        if (!(a > 0)) {
            return;
        }
        s.fired++;
        s.sum.add(a);
        s.sumSq.add((double) a * a);
        s.max = Math.max(s.max, a);
        int bin = bin(a);
        s.hist[bin]++;
        offerTop(s, doc, p, a, tokenIds, acts);
        if (samplesPerBin > 0) {
            offerSample(s.samples.get(bin / BINS_PER_SAMPLE_BIN), priority(latents[i], doc, p), doc, p, a, tokenIds,
                    acts);
        }
    }

    private void offerTop(State s, long doc, int p, float a, int[] tokenIds, Activations acts) {
        if (s.top.size() >= topK) {
            LatentContext worst = s.top.peek();
            int cmp = Float.compare(worst.activation(), a);
            boolean better = cmp < 0 || (cmp == 0 && (doc < worst.doc() || (doc == worst.doc()
                    && p < worst.position())));
            if (!better) {
                return;
            }
            s.top.poll();
        }
        s.top.add(window(doc, p, a, tokenIds, acts));
    }

    private void offerSample(PriorityQueue<Sample> q, long priority, long doc, int p, float a, int[] tokenIds,
            Activations acts) {
        if (q.size() >= samplesPerBin) {
            Sample worst = q.peek();
            if (priority > worst.priority() || (priority == worst.priority() && (doc > worst.context().doc()
                    || (doc == worst.context().doc() && p >= worst.context().position())))) {
                return;
            }
            q.poll();
        }
        q.add(new Sample(priority, window(doc, p, a, tokenIds, acts)));
    }

    private LatentContext window(long doc, int p, float a, int[] tokenIds, Activations acts) {
        int start = Math.max(0, p - before);
        int end = Math.min(tokenIds.length, p + after + 1);
        float[] w = new float[end - start];
        for (int q = start; q < end; q++) {
            w[q - start] = acts.at(q);
        }
        return new LatentContext(doc, p, a, start, Arrays.copyOfRange(tokenIds, start, end), w);
    }

    /**
     * @param a a positive activation
     * @return the histogram bin of a positive activation (end bins open-ended)
     */
    public static int bin(float a) {
        int b = (int) Math.floor((Math.log10(a) - LOG_MIN) * BINS_PER_DECADE);
        return Math.max(0, Math.min(BINS - 1, b));
    }

    /**
     * @param b bin index in [0, {@link #BINS})
     * @return lower edge of histogram bin {@code b} (10^(LOG_MIN + b / BINS_PER_DECADE))
     */
    public static double binLower(int b) {
        return Math.pow(10, LOG_MIN + (double) b / BINS_PER_DECADE);
    }

    /** SplitMix64 finaliser of (seed, latent, doc, position): a fixed pseudo-random priority per token. */
    long priority(int latent, long doc, int position) {
        long z = seed ^ (latent * 0x9E3779B97F4A7C15L) ^ (doc * 0xC2B2AE3D27D4EB4FL) ^ (position * 0x165667B19E3779F9L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Adds another accumulator's state (documents disjoint from this one's); {@code other} is not modified.
     *
     * @param other an accumulator with the same settings; not modified
     * @throws IllegalArgumentException if the settings differ
     */
    public void merge(LatentStatsAccumulator other) {
        if (!Arrays.equals(latents, other.latents) || topK != other.topK || before != other.before
                || after != other.after || samplesPerBin != other.samplesPerBin || seed != other.seed
                || !labelNames.equals(other.labelNames)) {
            throw new IllegalArgumentException("cannot merge accumulators with different settings");
        }
        tokens += other.tokens;
        documents += other.documents;
        for (int c = 0; c < labelNames.size(); c++) {
            labelCount[c] += other.labelCount[c];
            labelSum[c].merge(other.labelSum[c]);
            labelSumSq[c].merge(other.labelSumSq[c]);
        }
        for (int i = 0; i < states.length; i++) {
            State o = other.states[i];
            if (o == null) {
                continue;
            }
            State s = states[i];
            if (s == null) {
                s = states[i] = new State(labelNames.size());
            }
            s.fired += o.fired;
            s.sum.merge(o.sum);
            s.sumSq.merge(o.sumSq);
            s.max = Math.max(s.max, o.max);
            for (int b = 0; b < BINS; b++) {
                s.hist[b] += o.hist[b];
            }
            for (LatentContext c : o.top) {
                s.top.add(c);
                if (s.top.size() > topK) {
                    s.top.poll();
                }
            }
            for (int b = 0; b < SAMPLE_BINS; b++) {
                PriorityQueue<Sample> q = s.samples.get(b);
                for (Sample x : o.samples.get(b)) {
                    q.add(x);
                    if (q.size() > samplesPerBin) {
                        q.poll();
                    }
                }
            }
            for (int c = 0; c < labelNames.size(); c++) {
                s.sumA[c].merge(o.sumA[c]);
                s.sumAA[c].merge(o.sumAA[c]);
                s.sumAL[c].merge(o.sumAL[c]);
            }
        }
    }

    /** @return the followed latents (a copy) */
    public int[] latents() {
        return latents.clone();
    }

    /** @return the label column names */
    public List<String> labelNames() {
        return labelNames;
    }

    /** @return tokens added */
    public long tokens() {
        return tokens;
    }

    /** @return documents added */
    public long documents() {
        return documents;
    }

    /** @return contexts held over all latents (the memory bound: at most latents·(topK + SAMPLE_BINS·samples)) */
    public long retainedContexts() {
        long n = 0;
        for (State s : states) {
            if (s == null) {
                continue;
            }
            n += s.top.size();
            for (PriorityQueue<Sample> q : s.samples) {
                n += q.size();
            }
        }
        return n;
    }

    /**
     * @param i slot index of the followed latent, in [0, number of followed latents)
     * @return the summary of the {@code i}-th followed latent (a snapshot; the accumulator may go on)
     */
    public LatentSummary summary(int i) {
        State s = states[i] != null ? states[i] : new State(labelNames.size());
        List<LatentContext> top = new ArrayList<>(s.top);
        top.sort(LatentContext.TOP_FIRST);
        List<List<LatentContext>> samples = new ArrayList<>();
        for (PriorityQueue<Sample> q : s.samples) {
            List<Sample> l = new ArrayList<>(q);
            l.sort(Sample.ORDER);
            samples.add(l.stream().map(Sample::context).toList());
        }
        double[] r = new double[labelNames.size()];
        for (int c = 0; c < r.length; c++) {
            r[c] = pearson(labelCount[c], s.sumA[c].value(), s.sumAA[c].value(), labelSum[c].value(),
                    labelSumSq[c].value(), s.sumAL[c].value());
        }
        double mean = s.fired > 0 ? s.sum.value() / s.fired : 0;
        return new LatentSummary(latents[i], tokens, s.fired, mean,
                s.fired > 0 ? Math.sqrt(Math.max(0, s.sumSq.value() / s.fired - mean * mean)) : 0,
                s.max, s.hist.clone(), top, samples, labelNames, r);
    }

    /** Pearson r from moment sums; NaN when either side is constant or n < 2. */
    static double pearson(long n, double sa, double saa, double sl, double sll, double sal) {
        if (n < 2) {
            return Double.NaN;
        }
        double cov = sal - sa * sl / n;
        double va = saa - sa * sa / n;
        double vl = sll - sl * sl / n;
        if (!(va > 1e-12 * Math.max(1, saa)) || !(vl > 1e-12 * Math.max(1, sll))) {
            return Double.NaN;
        }
        return Math.max(-1, Math.min(1, cov / Math.sqrt(va * vl)));
    }
}
