package org.mechinterp.sae.dashboard;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;

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
 * label), from which Pearson r follows.
 *
 * <p><b>Merge.</b> {@link #merge} combines two accumulators of the same settings that saw disjoint sets of
 * documents. Counts, histograms, maxima, top-k contexts and samples merge <em>exactly</em>: the result equals,
 * element for element, the accumulator that saw both sets in any order, and merging is associative and commutative
 * (top-k and bottom-k under a total order are selections from a union). The moment sums are float64 sums: their
 * merge is associative up to rounding (relative error about n·2^-53). A Spark job can therefore map partitions to
 * accumulators and reduce with {@code merge}.
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

    private final int[] latents;
    private final int topK;
    private final int before;
    private final int after;
    private final int samplesPerBin;
    private final long seed;
    private final List<String> labelNames;
    private final State[] states;
    private long tokens;
    private long documents;
    private final long[] labelCount;
    private final double[] labelSum;
    private final double[] labelSumSq;

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
        for (int i = 0; i < states.length; i++) {
            states[i] = new State(nl);
        }
        this.labelCount = new long[nl];
        this.labelSum = new double[nl];
        this.labelSumSq = new double[nl];
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
        double sum;
        double sumSq;
        float max;
        final long[] hist = new long[BINS];
        final PriorityQueue<LatentContext> top = new PriorityQueue<>(new WorstTopFirst());
        final List<PriorityQueue<Sample>> samples = new ArrayList<>();
        final double[] sumA;
        final double[] sumAA;
        final double[] sumAL;

        State(int nl) {
            for (int b = 0; b < SAMPLE_BINS; b++) {
                samples.add(new PriorityQueue<>(new WorstSampleFirst()));
            }
            sumA = new double[nl];
            sumAA = new double[nl];
            sumAL = new double[nl];
        }
    }

    /** A sampled context with its hash priority (smaller = kept first; ties broken by doc, position). */
    private record Sample(long priority, LatentContext context) implements java.io.Serializable {
        static final Comparator<Sample> ORDER = Comparator.comparingLong(Sample::priority)
                .thenComparingLong(s -> s.context.doc()).thenComparingInt(s -> s.context.position());
    }

    /**
     * Adds one document.
     *
     * @param doc the document's id (distinct per document; used for ordering and sampling)
     * @param tokenIds its tokens [T]
     * @param codes the followed latents' activations [T, latents.length] row-major (not modified, not kept)
     * @param labels [T, labelNames.size()] row-major, NaN where missing; null when there are no label columns
     */
    public void add(long doc, int[] tokenIds, float[] codes, float[] labels) {
        int t = tokenIds.length;
        int n = latents.length;
        int nl = labelNames.size();
        if (codes.length != t * n || (nl > 0 && (labels == null || labels.length != t * nl))) {
            throw new IllegalArgumentException("document " + doc + ": codes must be [" + t + ", " + n + "] and labels ["
                    + t + ", " + nl + "]; got " + codes.length + " and " + (labels == null ? 0 : labels.length));
        }
        tokens += t;
        documents++;
        for (int c = 0; c < nl; c++) {
            for (int p = 0; p < t; p++) {
                float l = labels[p * nl + c];
                if (Float.isFinite(l)) {
                    labelCount[c]++;
                    labelSum[c] += l;
                    labelSumSq[c] += (double) l * l;
                }
            }
        }
        for (int i = 0; i < n; i++) {
            State s = states[i];
            for (int p = 0; p < t; p++) {
                float a = codes[p * n + i];
                for (int c = 0; c < nl; c++) {
                    float l = labels[p * nl + c];
                    if (Float.isFinite(l)) {
                        s.sumA[c] += a;
                        s.sumAA[c] += (double) a * a;
                        s.sumAL[c] += (double) a * l;
                    }
                }
                if (!(a > 0) || !Float.isFinite(a)) {
                    continue;
                }
                s.fired++;
                s.sum += a;
                s.sumSq += (double) a * a;
                s.max = Math.max(s.max, a);
                int bin = bin(a);
                s.hist[bin]++;
                offerTop(s, doc, p, a, tokenIds, codes, i);
                if (samplesPerBin > 0) {
                    offerSample(s.samples.get(bin / BINS_PER_SAMPLE_BIN), priority(latents[i], doc, p), doc, p, a,
                            tokenIds, codes, i);
                }
            }
        }
    }

    private void offerTop(State s, long doc, int p, float a, int[] tokenIds, float[] codes, int i) {
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
        s.top.add(window(doc, p, a, tokenIds, codes, i));
    }

    private void offerSample(PriorityQueue<Sample> q, long priority, long doc, int p, float a, int[] tokenIds,
            float[] codes, int i) {
        if (q.size() >= samplesPerBin) {
            Sample worst = q.peek();
            if (priority > worst.priority() || (priority == worst.priority() && (doc > worst.context().doc()
                    || (doc == worst.context().doc() && p >= worst.context().position())))) {
                return;
            }
            q.poll();
        }
        q.add(new Sample(priority, window(doc, p, a, tokenIds, codes, i)));
    }

    private LatentContext window(long doc, int p, float a, int[] tokenIds, float[] codes, int i) {
        int start = Math.max(0, p - before);
        int end = Math.min(tokenIds.length, p + after + 1);
        int n = latents.length;
        float[] acts = new float[end - start];
        for (int q = start; q < end; q++) {
            acts[q - start] = codes[q * n + i];
        }
        return new LatentContext(doc, p, a, start, Arrays.copyOfRange(tokenIds, start, end), acts);
    }

    /** @return the histogram bin of a positive activation (end bins open-ended) */
    public static int bin(float a) {
        int b = (int) Math.floor((Math.log10(a) - LOG_MIN) * BINS_PER_DECADE);
        return Math.max(0, Math.min(BINS - 1, b));
    }

    /** @return lower edge of histogram bin {@code b} (10^(LOG_MIN + b / BINS_PER_DECADE)) */
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
            labelSum[c] += other.labelSum[c];
            labelSumSq[c] += other.labelSumSq[c];
        }
        for (int i = 0; i < states.length; i++) {
            State s = states[i];
            State o = other.states[i];
            s.fired += o.fired;
            s.sum += o.sum;
            s.sumSq += o.sumSq;
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
                s.sumA[c] += o.sumA[c];
                s.sumAA[c] += o.sumAA[c];
                s.sumAL[c] += o.sumAL[c];
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
            n += s.top.size();
            for (PriorityQueue<Sample> q : s.samples) {
                n += q.size();
            }
        }
        return n;
    }

    /** @return the summary of the {@code i}-th followed latent (a snapshot; the accumulator may go on) */
    public LatentSummary summary(int i) {
        State s = states[i];
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
            r[c] = pearson(labelCount[c], s.sumA[c], s.sumAA[c], labelSum[c], labelSumSq[c], s.sumAL[c]);
        }
        return new LatentSummary(latents[i], tokens, s.fired, s.fired > 0 ? s.sum / s.fired : 0,
                s.fired > 0 ? Math.sqrt(Math.max(0, s.sumSq / s.fired - (s.sum / s.fired) * (s.sum / s.fired))) : 0,
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
