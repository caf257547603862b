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
import org.mechinterp.sae.dashboard.LatentContext;
import org.mechinterp.sae.dashboard.LatentStatsAccumulator;
import org.mechinterp.sae.dashboard.LatentSummary;
import org.mechinterp.sae.dashboard.LatentSummaryJson;
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
 * random ReLU SAE: the Spark job against one sequential pass, the accumulated statistics against a brute-force
 * computation from dense codes, and merges of prompt subsets in different orders and trees bit-equal to one pass.
 */
class FeatureStatsJobTest {
    static final String HOOK = CaptureJobTest.R1;
    static final int WIDTH = 96;
    static final int K = 5;
    static final int WINDOW = 3;
    static final int SAMPLES = 2;
    static final long SEED = 11;

    @TempDir
    static Path tmp;

    static SparkSession spark;
    static Path store;
    static Path saeDir;
    static Sae sae;
    static RowBlock all;
    static SparseCodes codes;
    /** Row ranges [from, to) of the store's prompts. */
    static List<int[]> prompts;

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
        prompts = new ArrayList<>();
        for (int from = 0; from < all.rows(); ) {
            int to = from + 1;
            while (to < all.rows() && all.promptIds()[to] == all.promptIds()[from]) {
                to++;
            }
            prompts.add(new int[] {from, to});
            from = to;
        }
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

    static FeatureStatsJob.Settings settings() {
        return new FeatureStatsJob.Settings(WIDTH, K, WINDOW, SAMPLES, SEED, List.of());
    }

    /**
     * One accumulator over the given prompts, with codes sliced from one encoding of the whole store (so that only
     * the accumulation differs between splits: libtorch's matmul may round differently for other batch sizes).
     */
    static LatentStatsAccumulator pass(List<int[]> ps) {
        LatentStatsAccumulator s = settings().empty();
        for (int[] p : ps) {
            s.add(all.promptIds()[p[0]], Arrays.copyOfRange(all.tokenIds(), p[0], p[1]),
                    FeatureStatsJob.rows(codes, p[0], p[1]), null);
        }
        return s;
    }

    /** Every statistic of every latent bit-equal, contexts (ids, positions, windows) included. */
    static void assertSameStats(LatentStatsAccumulator want, LatentStatsAccumulator got) {
        assertEquals(want.tokens(), got.tokens());
        assertEquals(want.documents(), got.documents());
        assertArrayEquals(want.latents(), got.latents());
        for (int i = 0; i < want.latents().length; i++) {
            LatentSummary w = want.summary(i);
            LatentSummary g = got.summary(i);
            String l = "latent " + i;
            assertEquals(w.fired(), g.fired(), l);
            assertEquals(w.meanWhenFired(), g.meanWhenFired(), 0.0, l);
            assertEquals(w.sdWhenFired(), g.sdWhenFired(), 0.0, l);
            assertEquals(w.max(), g.max(), 0f, l);
            assertArrayEquals(w.histogram(), g.histogram(), l);
            assertEquals(keys(w.top()), keys(g.top()), l);
            assertEquals(w.samples().size(), g.samples().size());
            for (int b = 0; b < w.samples().size(); b++) {
                assertEquals(keys(w.samples().get(b)), keys(g.samples().get(b)), l + " sample bin " + b);
            }
        }
    }

    static List<String> keys(List<LatentContext> cs) {
        return cs.stream().map(c -> c.doc() + ":" + c.position() + ":" + c.activation() + ":" + c.start() + ":"
                + Arrays.toString(c.tokens()) + Arrays.toString(c.activations())).toList();
    }

    @Test
    void sparkJobEqualsOneSequentialPass() throws IOException {
        Path json = tmp.resolve("stats.json");
        LatentStatsAccumulator got = FeatureStatsJob.builder().setStore(store).setSae(saeDir.toString()).optTopK(K)
                .optWindow(WINDOW).optSamples(SAMPLES).optSeed(SEED).optOut(json)
                .optTokenizer(SparkTestSupport.stories()).build().run(spark);
        // the same computation in one sequential pass: shards in order, encoded as the tasks encode them
        LatentStatsAccumulator want = settings().empty();
        try (StoreReader r = StoreReader.open(store)) {
            for (var s : r.manifest().shards()) {
                RowBlock block = r.read(HOOK, s.firstRow(), s.rows());
                FeatureStatsJob.addPrompts(want, block, FeatureStatsJob.encode(sae, block));
            }
        }
        assertSameStats(want, got);
        assertEquals(prompts.size(), got.documents());
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals(all.rows(), o.get("rows").getAsLong());
        assertEquals(WIDTH, o.getAsJsonArray("latents").size());
        // the JSON reads back (as sae dashboard --stats reads it) into the same summaries
        List<LatentSummary> back = LatentSummaryJson.read(json);
        assertEquals(WIDTH, back.size());
        for (int i = 0; i < WIDTH; i++) {
            LatentSummary w = want.summary(i);
            assertEquals(w.fired(), back.get(i).fired());
            assertEquals(w.meanWhenFired(), back.get(i).meanWhenFired(), 0.0);
            assertArrayEquals(w.histogram(), back.get(i).histogram());
            assertEquals(keys(w.top()), keys(back.get(i).top()));
            for (int b = 0; b < w.samples().size(); b++) {
                assertEquals(keys(w.samples().get(b)), keys(back.get(i).samples().get(b)));
            }
        }
        for (int i = 0; i < WIDTH; i++) {
            JsonObject l = o.getAsJsonArray("latents").get(i).getAsJsonObject();
            LatentSummary w = want.summary(i);
            assertEquals(i, l.get("latent").getAsInt());
            assertEquals(w.fired(), l.get("fired").getAsLong());
            assertEquals(w.top().size(), l.getAsJsonArray("top_contexts").size());
            if (w.fired() > 0) {
                JsonObject t = l.getAsJsonArray("top_contexts").get(0).getAsJsonObject();
                assertEquals(w.top().get(0).activation(), t.get("activation").getAsFloat(), 0f);
                // decoded by the tokenizer, not "#id"
                assertTrue(!t.getAsJsonArray("tokens").get(0).getAsString().startsWith("#"));
            }
        }
    }

    @Test
    void statisticsMatchBruteForceFromDenseCodes() {
        LatentStatsAccumulator s = pass(prompts);
        int rows = all.rows();
        float[] dense = codes.toDense();
        int firing = 0;
        for (int i = 0; i < WIDTH; i++) {
            long fires = 0;
            float max = 0;
            BigDecimal sum = BigDecimal.ZERO;
            long[] hist = new long[LatentStatsAccumulator.BINS];
            List<Integer> order = new ArrayList<>();
            for (int r = 0; r < rows; r++) {
                float v = dense[r * WIDTH + i];
                if (v > 0) {
                    fires++;
                    max = Math.max(max, v);
                    sum = sum.add(new BigDecimal(v)); // exact
                    // bin = floor((log10 v + 4) * 8), clamped to the open-ended end bins
                    int b = (int) Math.floor((Math.log10(v) + 4) * 8);
                    hist[Math.max(0, Math.min(LatentStatsAccumulator.BINS - 1, b))]++;
                    order.add(r);
                }
            }
            firing += fires > 0 ? 1 : 0;
            LatentSummary l = s.summary(i);
            assertEquals(fires, l.fired(), "fires of latent " + i);
            assertEquals((double) fires / rows, l.density(), 0.0);
            assertEquals(max, l.max(), 0f, "max of latent " + i);
            if (fires > 0) {
                assertEquals(sum.doubleValue() / fires, l.meanWhenFired(), 0.0, "exact mean of latent " + i);
            }
            assertArrayEquals(hist, l.histogram(), "histogram of latent " + i);
            int li = i;
            // largest first, then the lower prompt id, then the lower position (rows are in that order)
            order.sort(Comparator.comparingDouble((Integer r) -> -dense[r * WIDTH + li])
                    .thenComparingLong(r -> all.promptIds()[r]).thenComparingInt(r -> r));
            List<LatentContext> top = l.top();
            assertEquals(Math.min(K, order.size()), top.size());
            for (int j = 0; j < top.size(); j++) {
                int r = order.get(j);
                LatentContext c = top.get(j);
                assertEquals(dense[r * WIDTH + i], c.activation(), 0f);
                assertEquals(all.promptIds()[r], c.doc());
                assertEquals(all.positions()[r], c.position());
                // the window: the prompt's tokens at positions max(0, p−W) .. p+W (clipped to the prompt)
                int p = all.positions()[r];
                assertEquals(Math.max(0, p - WINDOW), c.start());
                assertEquals(all.tokenIds()[r], c.tokens()[c.offset()]);
                for (int t = 0; t < c.tokens().length; t++) {
                    int q = r - c.offset() + t;
                    assertEquals(all.tokenIds()[q], c.tokens()[t]);
                    assertEquals(dense[q * WIDTH + i], c.activations()[t], 0f);
                    assertEquals(all.promptIds()[r], all.promptIds()[q]);
                }
            }
        }
        assertTrue(firing > WIDTH / 2, "most latents fire: " + firing);
    }

    @Test
    void mergeIsExactInAnyOrderAndTree() {
        LatentStatsAccumulator whole = pass(prompts);
        Random rnd = new Random(3);
        for (int trial = 0; trial < 3; trial++) {
            // random subsets of prompts (documents must be disjoint, not contiguous)
            List<List<int[]>> groups = new ArrayList<>();
            for (int g = 0; g < 5; g++) {
                groups.add(new ArrayList<>());
            }
            for (int[] p : prompts) {
                groups.get(rnd.nextInt(groups.size())).add(p);
            }
            List<LatentStatsAccumulator> parts = new ArrayList<>();
            groups.forEach(g -> parts.add(pass(g)));
            Collections.shuffle(parts, rnd);
            // left fold
            LatentStatsAccumulator left = settings().empty();
            for (LatentStatsAccumulator p : parts) {
                left.merge(p);
            }
            assertSameStats(whole, left);
            // balanced tree over copies
            List<LatentStatsAccumulator> level = new ArrayList<>();
            parts.forEach(p -> level.add(copy(p)));
            while (level.size() > 1) {
                List<LatentStatsAccumulator> next = new ArrayList<>();
                for (int i = 0; i < level.size(); i += 2) {
                    if (i + 1 < level.size()) {
                        level.get(i).merge(level.get(i + 1));
                    }
                    next.add(level.get(i));
                }
                level.clear();
                level.addAll(next);
            }
            assertSameStats(whole, level.get(0));
        }
    }

    private static LatentStatsAccumulator copy(LatentStatsAccumulator s) {
        LatentStatsAccumulator c = settings().empty();
        c.merge(s);
        return c;
    }
}
