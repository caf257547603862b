package org.mechinterp.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.Interp;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.sae.io.SaeLensFormat;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.model.SaeMetadata;
import org.mechinterp.sae.model.SparseCodes;
import org.mechinterp.sae.store.ActivationCapture;
import org.mechinterp.sae.store.RowBlock;
import org.mechinterp.sae.store.StoreReader;

/**
 * Feature statistics over a real store (stories260K, blocks.1.hook_resid_post, several shards) with a seeded
 * random ReLU SAE: the Spark job against one sequential pass, against a brute-force computation from dense codes,
 * and merges in different orders and trees.
 */
class FeatureStatsJobTest {
    static final String HOOK = CaptureJobTest.R1;
    static final int WIDTH = 96;
    static final int K = 5;
    static final int WINDOW = 3;

    @TempDir
    static Path tmp;

    static SparkSession spark;
    static Path store;
    static Path saeDir;
    static Sae sae;
    static RowBlock all;
    static SparseCodes codes;

    @BeforeAll
    static void setUp() throws IOException {
        Interp.configureDjl();
        spark = SparkTestSupport.spark();
        Path corpus = CaptureJobTest.writeCorpus(tmp.resolve("corpus.jsonl"));
        store = tmp.resolve("store");
        try (HookedTransformer model = HookedTransformer.load(SparkTestSupport.stories());
                Tokenizer tok = Tokenizer.load(SparkTestSupport.stories())) {
            ActivationCapture.builder().setModel(model).optTokenizer(tok).setCorpus(corpus).setOut(store)
                    .setHooks(List.of(HOOK)).optPromptsPerPass(4).optShardRows(50).optProgress(false).build().run();
        }
        sae = randomSae(64, WIDTH, 7);
        saeDir = tmp.resolve("sae");
        SaeLensFormat.save(sae, saeDir);
        sae = SaeLensFormat.load(saeDir); // exactly what the executors load
        try (StoreReader r = StoreReader.open(store)) {
            assertTrue(r.manifest().shards().size() >= 3, "several shards");
            all = r.read(HOOK, 0, (int) r.rows());
        }
        codes = sae.encode(all.activations(), all.rows());
    }

    /** A ReLU SAE with Gaussian weights and negative biases, so that each latent fires on part of the rows. */
    static Sae randomSae(int d, int n, long seed) {
        Random rnd = new Random(seed);
        float[] wEnc = new float[d * n];
        float[] wDec = new float[n * d];
        float[] bEnc = new float[n];
        for (int i = 0; i < wEnc.length; i++) {
            wEnc[i] = (float) (rnd.nextGaussian() * 0.3);
            wDec[i] = (float) (rnd.nextGaussian() * 0.1);
        }
        for (int i = 0; i < n; i++) {
            bEnc[i] = (float) (-0.5 - rnd.nextDouble());
        }
        return Sae.builder().setArchitecture(Architecture.RELU).setDims(d, n).setWEnc(wEnc, d, n).setBEnc(bEnc)
                .setWDec(wDec).setBDec(new float[d]).optMetadata(new SaeMetadata("stories260K", HOOK, 0, true))
                .build();
    }

    /**
     * One accumulator over rows [from, to) of the store, fed {@code step} rows at a time with codes sliced from one
     * encoding of the whole store (so that only the accumulation differs between splits: libtorch's matmul may
     * round differently for other batch sizes).
     */
    static LatentStats pass(int from, int to, int step) {
        LatentStats s = new LatentStats(WIDTH, K, WINDOW);
        for (int r = from; r < to; r += step) {
            s.add(all, r, slice(codes, r, Math.min(to, r + step)));
        }
        return s;
    }

    /** Rows [from, to) of sparse codes. */
    static SparseCodes slice(SparseCodes c, int from, int to) {
        int[] start = new int[to - from + 1];
        int base = c.rowStart()[from];
        for (int b = 0; b <= to - from; b++) {
            start[b] = c.rowStart()[from + b] - base;
        }
        int end = c.rowStart()[to];
        return new SparseCodes(to - from, c.width(), start, Arrays.copyOfRange(c.index(), base, end),
                Arrays.copyOfRange(c.value(), base, end));
    }

    @Test
    void sparkJobEqualsOneSequentialPass() throws IOException {
        Path json = tmp.resolve("stats.json");
        LatentStats got = FeatureStatsJob.builder().setStore(store).setSae(saeDir.toString()).optTopK(K)
                .optWindow(WINDOW).optOut(json).optTokenizer(SparkTestSupport.stories()).build().run(spark);
        // the same computation in one sequential pass: shards in order, encoded as the tasks encode them
        LatentStats want = new LatentStats(WIDTH, K, WINDOW);
        try (StoreReader r = StoreReader.open(store)) {
            for (var s : r.manifest().shards()) {
                int first = (int) s.firstRow();
                for (int b = 0; b < s.rows(); b += FeatureStatsJob.ENCODE_ROWS) {
                    int n = Math.min(FeatureStatsJob.ENCODE_ROWS, s.rows() - b);
                    int d = all.dim();
                    want.add(all, first + b, sae.encode(Arrays.copyOfRange(all.activations(), (first + b) * d,
                            (first + b + n) * d), n));
                }
            }
        }
        assertEquals(want, got);
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals(all.rows(), o.get("rows").getAsLong());
        JsonObject l0 = o.getAsJsonArray("latents").get(0).getAsJsonObject();
        assertEquals(want.fires(0), l0.get("fires").getAsLong());
        if (want.fires(0) > 0) {
            assertTrue(l0.getAsJsonArray("top").get(0).getAsJsonObject().has("text"));
        }
    }

    @Test
    void statisticsMatchBruteForceFromDenseCodes() {
        LatentStats s = pass(0, all.rows(), 37);
        int rows = all.rows();
        float[] dense = codes.toDense();
        int firing = 0;
        for (int i = 0; i < WIDTH; i++) {
            long fires = 0;
            float max = 0;
            BigDecimal sum = BigDecimal.ZERO;
            long[] hist = new long[LatentStats.BINS];
            List<int[]> order = new ArrayList<>();
            for (int r = 0; r < rows; r++) {
                float v = dense[r * WIDTH + i];
                if (v != 0) {
                    fires++;
                    max = Math.max(max, v);
                    sum = sum.add(new BigDecimal(v)); // exact
                    int b = 0;
                    while (b + 1 < LatentStats.BINS && v >= LatentStats.binLow(b + 1)) {
                        b++;
                    }
                    hist[b]++;
                    order.add(new int[] {r});
                }
            }
            firing += fires > 0 ? 1 : 0;
            assertEquals(fires, s.fires(i), "fires of latent " + i);
            assertEquals((double) fires / rows, s.frequency(i), 0.0);
            assertEquals(max, s.max(i), 0f, "max of latent " + i);
            assertEquals(sum.doubleValue(), s.sum(i), 0.0, "exact sum of latent " + i);
            assertArrayEquals(hist, s.histogram(i), "histogram of latent " + i);
            int li = i;
            order.sort(Comparator.comparingDouble((int[] a) -> -dense[a[0] * WIDTH + li])
                    .thenComparingInt(a -> a[0]));
            List<LatentStats.Context> top = s.top(i);
            assertEquals(Math.min(K, order.size()), top.size());
            for (int j = 0; j < top.size(); j++) {
                int r = order.get(j)[0];
                LatentStats.Context c = top.get(j);
                assertEquals(r, c.row());
                assertEquals(dense[r * WIDTH + i], c.value(), 0f);
                assertEquals(all.promptIds()[r], c.promptId());
                assertEquals(all.positions()[r], c.position());
                // the window: the prompt's tokens at positions max(0, p−W) .. p+W (clipped to the prompt)
                int p = all.positions()[r];
                assertEquals(Math.min(p, WINDOW), c.center());
                assertEquals(all.tokenIds()[r], c.tokens()[c.center()]);
                for (int t = 0; t < c.tokens().length; t++) {
                    assertEquals(all.tokenIds()[r - c.center() + t], c.tokens()[t]);
                    assertEquals(all.promptIds()[r], all.promptIds()[r - c.center() + t]);
                }
            }
        }
        assertTrue(firing > WIDTH / 2, "most latents fire: " + firing);
    }

    @Test
    void mergeIsExactInAnyOrderAndTree() {
        int rows = all.rows();
        LatentStats whole = pass(0, rows, 1024);
        Random rnd = new Random(3);
        for (int trial = 0; trial < 3; trial++) {
            List<Integer> cuts = new ArrayList<>(List.of(0, rows));
            for (int c = 0; c < 6; c++) {
                cuts.add(1 + rnd.nextInt(rows - 1));
            }
            List<Integer> sorted = cuts.stream().distinct().sorted().toList();
            List<LatentStats> parts = new ArrayList<>();
            for (int p = 0; p + 1 < sorted.size(); p++) {
                parts.add(pass(sorted.get(p), sorted.get(p + 1), 1 + rnd.nextInt(64)));
            }
            Collections.shuffle(parts, rnd);
            // left fold
            LatentStats left = new LatentStats(WIDTH, K, WINDOW);
            for (LatentStats p : parts) {
                left.merge(copy(p));
            }
            assertEquals(whole, left);
            // balanced tree
            List<LatentStats> level = new ArrayList<>();
            parts.forEach(p -> level.add(copy(p)));
            while (level.size() > 1) {
                List<LatentStats> next = new ArrayList<>();
                for (int i = 0; i < level.size(); i += 2) {
                    next.add(i + 1 < level.size() ? level.get(i).merge(level.get(i + 1)) : level.get(i));
                }
                level.clear();
                level.addAll(next);
            }
            assertEquals(whole, level.get(0));
        }
    }

    private static LatentStats copy(LatentStats s) {
        return new LatentStats(WIDTH, K, WINDOW).merge(s);
    }

    @Test
    void exactSumIsTheCorrectlyRoundedSum() {
        Random rnd = new Random(9);
        ExactSum a = new ExactSum();
        ExactSum b = new ExactSum();
        BigDecimal exact = BigDecimal.ZERO;
        for (int i = 0; i < 5000; i++) {
            float v = (float) (Math.scalb(rnd.nextGaussian(), rnd.nextInt(60) - 30));
            if (i == 17) {
                v = Float.MIN_VALUE; // subnormal
            }
            (i % 3 == 0 ? a : b).add(v);
            exact = exact.add(new BigDecimal(v));
        }
        a.merge(b);
        assertEquals(exact.doubleValue(), a.value(), 0.0);
    }
}
