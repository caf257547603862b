package org.mechinterp.sae.dashboard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The accumulator against brute force on a small random corpus: every statistic recomputed from the full list of
 * (doc, position, activation) triples, and merges of corpus splits equal to one pass.
 */
class LatentStatsAccumulatorTest {
    static final int LATENTS = 3;
    static final int[] CHOSEN = {4, 0, 9};
    static final List<String> LABELS = List.of("a", "b");

    /** A random corpus: docs of 5..30 tokens, sparse activations spread over several decades, ties included. */
    record Doc(long id, int[] tokens, float[] codes, float[] labels) {
    }

    static List<Doc> corpus(int docs, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Doc> out = new ArrayList<>();
        for (int d = 0; d < docs; d++) {
            int t = 5 + rng.nextInt(26);
            int[] tok = new int[t];
            float[] codes = new float[t * LATENTS];
            float[] lab = new float[t * 2];
            for (int p = 0; p < t; p++) {
                tok[p] = rng.nextInt(50);
                for (int i = 0; i < LATENTS; i++) {
                    if (rng.nextDouble() < 0.3) {
                        // values from 1e-5 to 1e5 (beyond both open-ended bins), some repeated exactly (ties)
                        codes[p * LATENTS + i] = rng.nextDouble() < 0.1 ? 2.5f
                                : (float) Math.pow(10, -5 + 10 * rng.nextDouble());
                    }
                }
                lab[p * 2] = rng.nextDouble() < 0.2 ? Float.NaN : (float) rng.nextGaussian();
                lab[p * 2 + 1] = codes[p * LATENTS] + (float) (0.1 * rng.nextGaussian());
            }
            out.add(new Doc(d * 7 + 3, tok, codes, lab));
        }
        return out;
    }

    static LatentStatsAccumulator fresh() {
        return new LatentStatsAccumulator(CHOSEN, 6, 3, 2, 2, 42, LABELS);
    }

    static LatentStatsAccumulator feed(List<Doc> docs) {
        LatentStatsAccumulator acc = fresh();
        docs.forEach(d -> acc.add(d.id(), d.tokens(), d.codes(), d.labels()));
        return acc;
    }

    record Fire(Doc doc, int position, float a) {
    }

    static List<Fire> fires(List<Doc> docs, int i) {
        List<Fire> f = new ArrayList<>();
        for (Doc d : docs) {
            for (int p = 0; p < d.tokens().length; p++) {
                float a = d.codes()[p * LATENTS + i];
                if (a > 0) {
                    f.add(new Fire(d, p, a));
                }
            }
        }
        return f;
    }

    @Test
    void statisticsEqualBruteForce() {
        List<Doc> docs = corpus(60, 1);
        LatentStatsAccumulator acc = feed(docs);
        for (int i = 0; i < LATENTS; i++) {
            LatentSummary s = acc.summary(i);
            List<Fire> f = fires(docs, i);
            assertEquals(CHOSEN[i], s.latent());
            assertEquals(f.size(), s.fired());
            // histogram: bin = floor((log10 a + 4) * 8) clamped, computed here in double from the definition
            long[] hist = new long[LatentStatsAccumulator.BINS];
            float max = 0;
            double sum = 0;
            for (Fire x : f) {
                int b = (int) Math.floor((Math.log10(x.a()) + 4) * 8);
                hist[Math.max(0, Math.min(63, b))]++;
                max = Math.max(max, x.a());
                sum += x.a();
            }
            assertArrayEquals(hist, s.histogram());
            assertTrue(hist[0] > 0 && hist[63] > 0, "the corpus reaches both open-ended bins");
            assertEquals(max, s.max(), 0f);
            assertEquals(sum / f.size(), s.meanWhenFired(), 1e-12 * Math.abs(sum));
            // the sum is exact: the mean is the correctly rounded exact sum over the count, bit for bit
            java.math.BigDecimal exact = java.math.BigDecimal.ZERO;
            for (Fire x : f) {
                exact = exact.add(new java.math.BigDecimal(x.a()));
            }
            assertEquals(exact.doubleValue() / f.size(), s.meanWhenFired(), 0.0);
            // top-k: sort all fires by (activation desc, doc asc, position asc), take 6
            List<Fire> sorted = new ArrayList<>(f);
            sorted.sort(Comparator.comparingDouble((Fire x) -> -x.a()).thenComparingLong(x -> x.doc().id())
                    .thenComparingInt(Fire::position));
            assertEquals(6, s.top().size());
            for (int k = 0; k < 6; k++) {
                Fire e = sorted.get(k);
                LatentContext c = s.top().get(k);
                assertEquals(e.doc().id(), c.doc());
                assertEquals(e.position(), c.position());
                assertEquals(e.a(), c.activation(), 0f);
                checkWindow(e, c, i);
            }
            // samples: per sample bin, the 2 fires with the smallest hash priority
            for (int sb = 0; sb < LatentStatsAccumulator.SAMPLE_BINS; sb++) {
                final int bin = sb;
                List<Fire> in = new ArrayList<>(f.stream().filter(x -> LatentStatsAccumulator.bin(x.a())
                        / LatentStatsAccumulator.BINS_PER_SAMPLE_BIN == bin).toList());
                final int latent = CHOSEN[i];
                in.sort(Comparator.comparingLong((Fire x) -> acc.priority(latent, x.doc().id(), x.position())));
                List<LatentContext> got = s.samples().get(sb);
                assertEquals(Math.min(2, in.size()), got.size(), "sample bin " + sb);
                for (int k = 0; k < got.size(); k++) {
                    assertEquals(in.get(k).doc().id(), got.get(k).doc());
                    assertEquals(in.get(k).position(), got.get(k).position());
                    checkWindow(in.get(k), got.get(k), i);
                }
            }
            // label r: two-pass float64 Pearson over tokens with a finite label
            for (int c = 0; c < 2; c++) {
                List<double[]> pairs = new ArrayList<>();
                for (Doc d : docs) {
                    for (int p = 0; p < d.tokens().length; p++) {
                        float l = d.labels()[p * 2 + c];
                        if (Float.isFinite(l)) {
                            pairs.add(new double[] {d.codes()[p * LATENTS + i], l});
                        }
                    }
                }
                assertEquals(pearson(pairs), s.labelR()[c], 1e-9, "latent " + i + " label " + c);
            }
        }
        assertEquals(docs.stream().mapToLong(d -> d.tokens().length).sum(), acc.tokens());
    }

    private static void checkWindow(Fire e, LatentContext c, int i) {
        int start = Math.max(0, e.position() - 3);
        int end = Math.min(e.doc().tokens().length, e.position() + 3);
        assertEquals(start, c.start());
        assertEquals(e.position() - start, c.offset());
        assertArrayEquals(java.util.Arrays.copyOfRange(e.doc().tokens(), start, end), c.tokens());
        for (int q = start; q < end; q++) {
            assertEquals(e.doc().codes()[q * LATENTS + i], c.activations()[q - start], 0f);
        }
    }

    static double pearson(List<double[]> xy) {
        double mx = xy.stream().mapToDouble(v -> v[0]).average().orElseThrow();
        double my = xy.stream().mapToDouble(v -> v[1]).average().orElseThrow();
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (double[] v : xy) {
            sxy += (v[0] - mx) * (v[1] - my);
            sxx += (v[0] - mx) * (v[0] - mx);
            syy += (v[1] - my) * (v[1] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    @Test
    void mergeOfSplitsEqualsOnePassInAnyGrouping() {
        List<Doc> docs = corpus(60, 2);
        LatentStatsAccumulator whole = feed(docs);
        LatentStatsAccumulator a = feed(docs.subList(0, 17));
        LatentStatsAccumulator b = feed(docs.subList(17, 40));
        LatentStatsAccumulator c = feed(docs.subList(40, 60));
        // (a + b) + c and c + (b + a): counts, histograms, top-k and samples exactly equal to one pass
        LatentStatsAccumulator left = feed(List.of());
        left.merge(a);
        left.merge(b);
        left.merge(c);
        LatentStatsAccumulator right = feed(docs.subList(40, 60));
        LatentStatsAccumulator ba = feed(docs.subList(17, 40));
        ba.merge(a);
        right.merge(ba);
        for (LatentStatsAccumulator m : List.of(left, right)) {
            assertEquals(whole.tokens(), m.tokens());
            for (int i = 0; i < LATENTS; i++) {
                LatentSummary w = whole.summary(i);
                LatentSummary s = m.summary(i);
                assertEquals(w.fired(), s.fired());
                assertEquals(w.max(), s.max(), 0f);
                assertArrayEquals(w.histogram(), s.histogram());
                assertEquals(keys(w.top()), keys(s.top()));
                for (int sb = 0; sb < LatentStatsAccumulator.SAMPLE_BINS; sb++) {
                    assertEquals(keys(w.samples().get(sb)), keys(s.samples().get(sb)));
                }
                // the moment sums are exact, so the merged moments are bit-equal too
                assertEquals(w.meanWhenFired(), s.meanWhenFired(), 0.0);
                assertEquals(w.sdWhenFired(), s.sdWhenFired(), 0.0);
                assertArrayEquals(w.labelR(), s.labelR(), 0.0);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> whole.merge(
                new LatentStatsAccumulator(CHOSEN, 5, 3, 2, 2, 42, LABELS)));
    }

    @Test
    void aSerializedAccumulatorMergesLikeTheOriginal() throws Exception {
        List<Doc> docs = corpus(40, 6);
        LatentStatsAccumulator whole = feed(docs);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream o = new java.io.ObjectOutputStream(bytes)) {
            o.writeObject(feed(docs.subList(0, 25)));
        }
        LatentStatsAccumulator copy;
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(
                new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (LatentStatsAccumulator) in.readObject();
        }
        copy.merge(feed(docs.subList(25, 40)));
        for (int i = 0; i < LATENTS; i++) {
            assertArrayEquals(whole.summary(i).histogram(), copy.summary(i).histogram());
            assertEquals(keys(whole.summary(i).top()), keys(copy.summary(i).top()));
            for (int sb = 0; sb < LatentStatsAccumulator.SAMPLE_BINS; sb++) {
                assertEquals(keys(whole.summary(i).samples().get(sb)), keys(copy.summary(i).samples().get(sb)));
            }
        }
    }

    /** The same documents given as sparse codes over a wider SAE give the same summaries, bit for bit. */
    @Test
    void sparseCodesGiveTheSameStatisticsAsDense() {
        List<Doc> docs = corpus(50, 8);
        LatentStatsAccumulator dense = feed(docs);
        LatentStatsAccumulator sparse = fresh();
        int width = 12;
        for (Doc d : docs) {
            int t = d.tokens().length;
            float[] wide = new float[t * width];
            for (int p = 0; p < t; p++) {
                for (int i = 0; i < LATENTS; i++) {
                    wide[p * width + CHOSEN[i]] = d.codes()[p * LATENTS + i];
                }
                wide[p * width + 5] = 1f; // a latent not followed: ignored
            }
            sparse.add(d.id(), d.tokens(), sparse(wide, t, width),
                    d.labels());
        }
        assertEquals(dense.tokens(), sparse.tokens());
        for (int i = 0; i < LATENTS; i++) {
            LatentSummary w = dense.summary(i);
            LatentSummary s = sparse.summary(i);
            assertEquals(w.fired(), s.fired());
            assertEquals(w.meanWhenFired(), s.meanWhenFired(), 0.0);
            assertEquals(w.sdWhenFired(), s.sdWhenFired(), 0.0);
            assertArrayEquals(w.labelR(), s.labelR(), 0.0);
            assertArrayEquals(w.histogram(), s.histogram());
            assertEquals(contexts(w.top()), contexts(s.top()));
            for (int sb = 0; sb < LatentStatsAccumulator.SAMPLE_BINS; sb++) {
                assertEquals(contexts(w.samples().get(sb)), contexts(s.samples().get(sb)));
            }
        }
    }

    /** Row-major dense codes as sparse codes (non-zero entries, ascending latent). */
    static org.mechinterp.sae.model.SparseCodes sparse(float[] dense, int rows, int width) {
        int[] start = new int[rows + 1];
        List<Integer> idx = new ArrayList<>();
        List<Float> val = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < width; i++) {
                if (dense[r * width + i] != 0) {
                    idx.add(i);
                    val.add(dense[r * width + i]);
                }
            }
            start[r + 1] = idx.size();
        }
        float[] v = new float[val.size()];
        for (int e = 0; e < v.length; e++) {
            v[e] = val.get(e);
        }
        return new org.mechinterp.sae.model.SparseCodes(rows, width, start,
                idx.stream().mapToInt(Integer::intValue).toArray(), v);
    }

    /** Keys plus the window's tokens and activations. */
    private static List<String> contexts(List<LatentContext> cs) {
        return cs.stream().map(c -> c.doc() + ":" + c.position() + ":" + c.start() + ":"
                + java.util.Arrays.toString(c.tokens()) + java.util.Arrays.toString(c.activations())).toList();
    }

    @Test
    void exactSumIsTheCorrectlyRoundedSumInAnyMergeOrder() {
        SplittableRandom rnd = new SplittableRandom(9);
        ExactSum[] parts = ExactSum.array(3);
        java.math.BigDecimal exact = java.math.BigDecimal.ZERO;
        for (int i = 0; i < 5000; i++) {
            // floats, float products and doubles over 120 binades, both signs, cancellation, subnormals
            double v = Math.scalb(rnd.nextDouble(-1, 1), rnd.nextInt(120) - 60);
            if (i % 7 == 0) {
                v = (float) v * (double) (float) rnd.nextDouble(-3, 3);
            }
            if (i == 17) {
                v = Double.MIN_VALUE;
            }
            if (i == 18) {
                v = Float.MIN_VALUE;
            }
            if (i == 19) {
                v = 1e300;
            }
            if (i == 20) {
                v = -1e300;
            }
            parts[i % 3].add(v);
            exact = exact.add(new java.math.BigDecimal(v));
        }
        ExactSum ab = new ExactSum();
        ab.merge(parts[0]);
        ab.merge(parts[1]);
        ab.merge(parts[2]);
        ExactSum cb = new ExactSum();
        cb.merge(parts[2]);
        cb.merge(parts[1]);
        cb.merge(parts[0]);
        assertEquals(exact.doubleValue(), ab.value(), 0.0); // BigDecimal.doubleValue rounds correctly
        assertEquals(ab, cb);
        assertEquals(ab.value(), cb.value(), 0.0);
        // ties to even, and a sum far below one ulp of its parts
        ExactSum t = new ExactSum();
        t.add(1.0);
        t.add(Math.ulp(1.0) / 2);
        assertEquals(1.0, t.value(), 0.0);
        t.add(Math.ulp(1.0) / 4);
        assertEquals(1.0 + Math.ulp(1.0), t.value(), 0.0);
        ExactSum c = new ExactSum();
        c.add(1e20);
        c.add(3e-20);
        c.add(-1e20);
        assertEquals(3e-20, c.value(), 0.0);
        assertThrows(IllegalArgumentException.class, () -> c.add(Double.NaN));
    }

    /** More additions than one carry period: the limbs must not overflow. */
    @Test
    void exactSumSurvivesManyAdditions() {
        ExactSum s = new ExactSum();
        double big = Math.scalb(1.0 - Math.ulp(1.0) / 2, 900); // all-ones significand
        long n = (1L << 29) + 12345;
        for (long i = 0; i < n; i++) {
            s.add(big);
        }
        assertEquals(new java.math.BigDecimal(big).multiply(java.math.BigDecimal.valueOf(n)).doubleValue(),
                s.value(), 0.0);
    }

    private static List<String> keys(List<LatentContext> cs) {
        return cs.stream().map(c -> c.doc() + ":" + c.position() + ":" + c.activation()).toList();
    }

    @Test
    void memoryDoesNotGrowWithTheCorpus() {
        LatentStatsAccumulator small = feed(corpus(200, 3));
        LatentStatsAccumulator large = feed(corpus(2000, 4));
        long bound = (long) LATENTS * (6 + LatentStatsAccumulator.SAMPLE_BINS * 2);
        assertTrue(small.retainedContexts() <= bound && large.retainedContexts() <= bound);
        // both corpora fill the top-k and the populated sample bins; the held state is the same size
        assertEquals(small.retainedContexts(), large.retainedContexts(), 2);
        assertTrue(large.tokens() > 9 * small.tokens());
    }
}
