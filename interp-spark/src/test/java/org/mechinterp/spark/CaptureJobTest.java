package org.mechinterp.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.Interp;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.store.ActivationCapture;
import org.mechinterp.sae.store.RowBlock;
import org.mechinterp.sae.store.StoreBatches;
import org.mechinterp.sae.store.StoreManifest;
import org.mechinterp.sae.store.StoreReader;
import org.mechinterp.sae.train.SaeConfig;
import org.mechinterp.sae.train.SaeTrainer;

/**
 * The distributed capture against the single-machine capture of the same corpus (stories260K fixture, a labelled
 * .jsonl corpus read as many small Hadoop splits), a retried task, a resumed job, a Parquet table, and bad input.
 */
class CaptureJobTest {
    static final String R1 = "blocks.1.hook_resid_post";
    static final String MLP = "blocks.3.mlp.hook_post";
    static final List<String> HOOKS = List.of(R1, MLP);
    static final int PER_PASS = 3;
    static final int SHARD_ROWS = 40;
    static final List<String> TEXTS = List.of("Once upon a time there was a little girl.",
            "The dog ran to the park", "Tom had a red ball and he liked to play with it every day.",
            "She was happy.", "One day, a big bird came", "Lily and Ben went to the beach to see the sea.",
            "The sun was hot", "He said hello to his friend", "They played all day long and had fun.",
            "A cat sat on the mat", "The little boy found a shiny stone.", "Mom made a big cake for the party.",
            "It was a rainy day", "The tree was very tall and green.", "Sam wanted to fly like a bird.");

    @TempDir
    static Path tmp;

    static SparkSession spark;
    static Path corpus;
    static Path single;
    static Path distributed;

    @BeforeAll
    static void setUp() throws IOException {
        Interp.configureDjl();
        spark = SparkTestSupport.spark();
        corpus = writeCorpus(tmp.resolve("corpus.jsonl"));
        single = tmp.resolve("single");
        try (HookedTransformer model = HookedTransformer.load(SparkTestSupport.stories());
                Tokenizer tok = Tokenizer.load(SparkTestSupport.stories())) {
            ActivationCapture.builder().setModel(model).optTokenizer(tok).setCorpus(corpus).setOut(single)
                    .setHooks(HOOKS).optPromptsPerPass(PER_PASS).optShardRows(SHARD_ROWS).optProgress(false)
                    .optModelPath(SparkTestSupport.stories()).build().run();
        }
        distributed = tmp.resolve("distributed");
        job(corpus.toString(), distributed).build().run(spark);
    }

    @AfterAll
    static void tearDown() {
        ShardTask.failFirstAttemptOfShard = -1;
        ShardTask.failEveryAttemptOfShard = -1;
    }

    /** Labelled prompts (text, and one given as token ids), with blank lines between some. */
    static Path writeCorpus(Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        try (Tokenizer tok = Tokenizer.load(SparkTestSupport.stories())) {
            for (int i = 0; i < TEXTS.size(); i++) {
                int n = tok.encode(TEXTS.get(i)).length;
                StringBuilder a = new StringBuilder();
                StringBuilder b = new StringBuilder();
                for (int t = 0; t < n; t++) {
                    a.append(t == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.2f", 0.25 * t + i));
                    b.append(t == 0 ? "" : ",").append(t == 1 ? "null" : Integer.toString(t % 2));
                }
                lines.add("{\"text\": \"" + TEXTS.get(i) + "\", \"labels\": {\"depth\": [" + a + "], \"odd\": ["
                        + b + "]}}");
                if (i % 4 == 1) {
                    lines.add("");
                }
                if (i == 6) {
                    lines.add("{\"tokens\": [1, 403, 407, 262], \"labels\": {\"odd\": [0, 1, 0, 1], "
                            + "\"depth\": [1, 2, 3, 4]}}");
                }
            }
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
        return file;
    }

    static CaptureJob.Builder job(String corpusPath, Path out) {
        return CaptureJob.builder().setModel(SparkTestSupport.stories().toString()).setCorpus(corpusPath)
                .setOut(out).setHooks(HOOKS).optPromptsPerPass(PER_PASS).optShardRows(SHARD_ROWS);
    }

    @Test
    void sameStoreAsSingleMachineCapture() throws IOException {
        StoreManifest a = StoreManifest.read(single);
        StoreManifest b = StoreManifest.read(distributed);
        assertTrue(b.complete());
        assertTrue(a.shards().size() >= 4, "several shards: " + a.shards().size());
        assertEquals(a.totalRows(), b.totalRows());
        assertEquals(a.promptsCompleted(), b.promptsCompleted());
        assertEquals(a.labelNames(), b.labelNames());
        assertEquals(a.source().sha256(), b.source().sha256());
        assertEquals(a.model().weightsFingerprint(), b.model().weightsFingerprint());
        // row for row, ordered by (prompt, position): tokens and labels exact, activations within 1e-6
        try (StoreReader ra = StoreReader.open(single); StoreReader rb = StoreReader.open(distributed)) {
            for (String hook : HOOKS) {
                RowBlock x = ra.read(hook, 0, (int) ra.rows());
                RowBlock y = rb.read(hook, 0, (int) rb.rows());
                assertArrayEquals(x.promptIds(), y.promptIds());
                assertArrayEquals(x.positions(), y.positions());
                assertArrayEquals(x.tokenIds(), y.tokenIds());
                assertArrayEquals(x.labels(), y.labels());
                assertArrayEquals(x.activations(), y.activations(), 1e-6f);
            }
        }
        // and in fact the same bytes: same passes, same padding, same shard boundaries
        for (int i = 0; i < a.shards().size(); i++) {
            assertEquals(a.shards().get(i).file(), b.shards().get(i).file());
            assertEquals(a.shards().get(i).sha256(), b.shards().get(i).sha256(), "shard " + i);
        }
    }

    @Test
    void maxTokensCutsWhereTheSingleMachineCaptureCuts() throws IOException {
        for (long cap : new long[] {100, 129}) {
            Path a = tmp.resolve("single-cap-" + cap);
            try (HookedTransformer model = HookedTransformer.load(SparkTestSupport.stories());
                    Tokenizer tok = Tokenizer.load(SparkTestSupport.stories())) {
                ActivationCapture.builder().setModel(model).optTokenizer(tok).setCorpus(corpus).setOut(a)
                        .setHooks(HOOKS).optPromptsPerPass(PER_PASS).optShardRows(SHARD_ROWS).optMaxTokens(cap)
                        .optProgress(false).build().run();
            }
            Path b = tmp.resolve("spark-cap-" + cap);
            job(corpus.toString(), b).optMaxTokens(cap).build().run(spark);
            StoreManifest ma = StoreManifest.read(a);
            StoreManifest mb = StoreManifest.read(b);
            assertEquals(cap, ma.totalRows());
            assertEquals(ma.totalRows(), mb.totalRows());
            assertEquals(ma.promptsCompleted(), mb.promptsCompleted());
            assertEquals(ma.shards().size(), mb.shards().size());
            for (int i = 0; i < ma.shards().size(); i++) {
                assertEquals(ma.shards().get(i).sha256(), mb.shards().get(i).sha256(), "cap " + cap + " shard " + i);
            }
        }
    }

    @Test
    void saeTrainedOnEitherStoreIsTheSame() throws IOException {
        Sae x = train(single);
        Sae y = train(distributed);
        assertArrayEquals(x.wEnc(), y.wEnc());
        assertArrayEquals(x.wDec(), y.wDec());
        assertArrayEquals(x.bEnc(), y.bEnc());
        assertArrayEquals(x.bDec(), y.bDec());
    }

    private static Sae train(Path store) throws IOException {
        SaeConfig cfg = SaeConfig.builder().setArchitecture(Architecture.TOPK).setDims(64, 128).optK(4)
                .setSteps(20).optBatchSize(16).optSeed(11).optInitSampleRows(64).build();
        try (StoreBatches data = StoreBatches.builder().setStore(store).setHook(R1).optShuffle(5, 64).build()) {
            return SaeTrainer.builder().setConfig(cfg).optProgress(false).build().train(data);
        }
    }

    @Test
    void retriedTaskLeavesTheSameStore() throws IOException {
        Path out = tmp.resolve("retried");
        int before = ShardTask.injectedFailures.get();
        ShardTask.failFirstAttemptOfShard = 1;
        try {
            job(corpus.toString(), out).build().run(spark);
        } finally {
            ShardTask.failFirstAttemptOfShard = -1;
        }
        assertEquals(before + 1, ShardTask.injectedFailures.get(), "the first attempt of shard 1 failed");
        assertSameShards(distributed, out);
        for (Path p : SparkTestSupport.files(out)) {
            assertFalse(p.getFileName().toString().endsWith(".tmp"), "temporary file left: " + p);
        }
    }

    @Test
    void rerunResumesAnInterruptedStore() throws IOException {
        Path out = tmp.resolve("resumed");
        Files.createDirectories(out);
        StoreManifest m = StoreManifest.read(distributed);
        // an interrupted run: the initial manifest and the first two shards written
        for (int i = 0; i < 2; i++) {
            Files.copy(distributed.resolve(m.shards().get(i).file()), out.resolve(m.shards().get(i).file()));
        }
        Files.writeString(out.resolve(StoreManifest.FILE_NAME), Files.readString(
                distributed.resolve(StoreManifest.FILE_NAME)));
        StoreManifest initial = StoreManifest.read(out);
        initial.commit(out, List.of(), false);
        StoreManifest done = job(corpus.toString(), out).build().run(spark);
        assertTrue(done.complete());
        assertSameShards(distributed, out);
        // a complete store is left as is
        assertEquals(done.toJson(), job(corpus.toString(), out).build().run(spark).toJson());
    }

    @Test
    void failedJobListsNoMissingShardAndResumes() throws IOException {
        Path out = tmp.resolve("failed-then-resumed");
        ShardTask.failEveryAttemptOfShard = 2;
        try {
            RuntimeException e = assertThrows(RuntimeException.class,
                    () -> job(corpus.toString(), out).build().run(spark));
            assertTrue(e.getMessage().contains("injected failure of shard 2"), e.getMessage());
        } finally {
            ShardTask.failEveryAttemptOfShard = -1;
        }
        StoreManifest m = StoreManifest.read(out);
        assertFalse(m.complete());
        assertEquals(0, m.shards().size(), "the manifest lists no shard while the job has not finished");
        assertFalse(Files.exists(out.resolve(StoreManifest.shardName(2))));
        job(corpus.toString(), out).build().run(spark);
        assertSameShards(distributed, out);
    }

    @Test
    void folderOfFilesIsOneCorpusInNameOrder() throws IOException {
        List<String> lines = Files.readAllLines(corpus);
        Path dir = Files.createDirectories(tmp.resolve("parts"));
        Files.write(dir.resolve("part-1.jsonl"), lines.subList(0, 7));
        Files.write(dir.resolve("part-2.jsonl"), lines.subList(7, lines.size()));
        Path out = tmp.resolve("from-parts");
        job(dir.toString(), out).build().run(spark);
        StoreManifest a = StoreManifest.read(distributed);
        StoreManifest b = StoreManifest.read(out);
        for (int i = 0; i < a.shards().size(); i++) {
            assertEquals(a.shards().get(i).sha256(), b.shards().get(i).sha256(), "shard " + i);
        }
        // line numbers count within each file
        List<String> bad = new ArrayList<>(lines.subList(7, lines.size()));
        bad.set(3, "{\"text\": 5}");
        Files.write(dir.resolve("part-2.jsonl"), bad);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> job(dir.toString(), tmp.resolve("from-bad-parts")).build().run(spark));
        assertTrue(e.getMessage().contains("part-2.jsonl line 4: \"text\" must be a non-empty string"),
                e.getMessage());
    }

    @Test
    void tablesGiveTheSameStore() throws IOException {
        List<String> rows = new ArrayList<>();
        for (String line : Files.readAllLines(corpus)) {
            if (!line.isBlank() && line.contains("\"text\"")) {
                rows.add(line);
            }
        }
        Path textOnly = tmp.resolve("text-only.jsonl");
        Files.write(textOnly, rows);
        Path expect = tmp.resolve("from-jsonl");
        job(textOnly.toString(), expect).build().run(spark);
        // id, text, label arrays: the prompts in reverse order, put back in order by the id column
        List<String> json = new ArrayList<>();
        for (int i = rows.size() - 1; i >= 0; i--) {
            json.add(rows.get(i).replaceFirst("\\{", "{\"id\": " + i + ", ").replace("\"labels\": {", "")
                    .replace("]}}", "]}"));
        }
        Path jsonFile = tmp.resolve("rows.json");
        Files.write(jsonFile, json);
        var df = spark.read().json(jsonFile.toString());
        Path byId = tmp.resolve("by-id.parquet");
        df.repartition(3).write().parquet(byId.toString());
        assertSameRows(expect, capture(byId, "parquet", "id"));
        // Parquet without an order column: file and row order (one file, written in prompt order)
        Path inOrder = tmp.resolve("in-order.parquet");
        df.orderBy("id").coalesce(1).write().parquet(inOrder.toString());
        assertSameRows(expect, capture(inOrder, "parquet", null));
        // CSV: labels as JSON arrays in quoted cells
        Path csv = tmp.resolve("rows.csv");
        List<String> csvLines = new ArrayList<>(List.of("id,text,depth,odd"));
        for (var r : df.collectAsList()) {
            csvLines.add(r.getAs("id") + ",\"" + r.getAs("text") + "\",\"" + json(r.getList(r.fieldIndex("depth")))
                    + "\",\"" + json(r.getList(r.fieldIndex("odd"))) + "\"");
        }
        Files.write(csv, csvLines);
        assertSameRows(expect, capture(csv, "csv", "id"));
    }

    private static Path capture(Path table, String format, String order) throws IOException {
        Path out = tmp.resolve("store-of-" + table.getFileName() + "-" + order);
        job(table.toString(), out).optTable(format, "text", List.of("depth", "odd"), order).build().run(spark);
        return out;
    }

    private static String json(List<Object> values) {
        List<String> s = new ArrayList<>();
        values.forEach(v -> s.add(v == null ? "null" : v.toString()));
        return "[" + String.join(", ", s) + "]";
    }

    /** The same shard files (the source checksum differs: another corpus file). */
    private static void assertSameRows(Path expected, Path actual) throws IOException {
        StoreManifest a = StoreManifest.read(expected);
        StoreManifest b = StoreManifest.read(actual);
        assertEquals(a.totalRows(), b.totalRows());
        assertEquals(a.labelNames(), b.labelNames());
        assertEquals(a.shards().size(), b.shards().size());
        for (int i = 0; i < a.shards().size(); i++) {
            assertEquals(a.shards().get(i).sha256(), b.shards().get(i).sha256(), actual + " shard " + i);
        }
    }

    @Test
    void badLabelsNameFileAndLineAndWriteNothing() throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(corpus));
        lines.set(9, lines.get(9).replace("\"odd\": [", "\"odd\": [7, "));
        Path bad = tmp.resolve("bad-labels.jsonl");
        Files.write(bad, lines);
        Path out = tmp.resolve("bad-labels-store");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> job(bad.toString(), out).build().run(spark));
        assertTrue(e.getMessage().startsWith("corpus file:" + bad + " line 10: "), e.getMessage());
        assertTrue(e.getMessage().contains("label \"odd\""), e.getMessage());
        assertFalse(Files.exists(out.resolve(StoreManifest.FILE_NAME)));
    }

    @Test
    void unreadableFileIsNamed() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("two-files"));
        Files.copy(corpus, dir.resolve("a.jsonl"));
        // gzip magic, then garbage: the codec fails while reading
        byte[] junk = new byte[400];
        for (int i = 0; i < junk.length; i++) {
            junk[i] = (byte) (i * 37 + 11);
        }
        junk[0] = 0x1f;
        junk[1] = (byte) 0x8b;
        junk[2] = 8;
        junk[3] = 0;
        Files.write(dir.resolve("b.jsonl.gz"), junk);
        Path out = tmp.resolve("unreadable-store");
        RuntimeException e = assertThrows(RuntimeException.class, () -> job(dir.toString(), out).build().run(spark));
        assertTrue(e.getMessage().contains("b.jsonl.gz: cannot read"), e.getMessage());
        assertFalse(Files.exists(out.resolve(StoreManifest.FILE_NAME)));
    }

    @Test
    void missingModelIsNamedWithTheExecutor() {
        Path out = tmp.resolve("no-model-store");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CaptureJob.builder()
                .setModel("/nonexistent/models/stories").setCorpus(corpus.toString()).setOut(out).setHooks(HOOKS)
                .build().run(spark));
        assertTrue(e.getMessage().contains("/nonexistent/models/stories does not exist on executor"),
                e.getMessage());
        assertFalse(Files.exists(out.resolve(StoreManifest.FILE_NAME)));
    }

    /** The same shard files, byte for byte, and manifests equal but for their timestamps. */
    static void assertSameShards(Path expected, Path actual) throws IOException {
        StoreManifest a = StoreManifest.read(expected);
        StoreManifest b = StoreManifest.read(actual);
        assertEquals(a.shards().size(), b.shards().size());
        for (int i = 0; i < a.shards().size(); i++) {
            String f = a.shards().get(i).file();
            assertArrayEquals(Files.readAllBytes(expected.resolve(f)), Files.readAllBytes(actual.resolve(f)), f);
        }
        assertEquals(stripTimes(a.toJson()), stripTimes(b.toJson()));
    }

    private static String stripTimes(String json) {
        return json.replaceAll("\"(created|updated)\": \"[^\"]*\"", "").replaceAll("\"path\": \"[^\"]*\"", "");
    }
}
