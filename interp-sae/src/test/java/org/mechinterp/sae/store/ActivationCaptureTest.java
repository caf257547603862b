package org.mechinterp.sae.store;

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
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.Interp;
import org.mechinterp.core.model.ActivationCache;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.tokenizer.Tokenizer;

/** Capture on the real stories260K model: stored rows against runWithCache, manifest, resume, bad input. */
class ActivationCaptureTest {
    static final String R1 = "blocks.1.hook_resid_post";
    static final String MLP = "blocks.3.mlp.hook_post";
    static final List<String> PROMPTS = List.of("Once upon a time there was a little girl.",
            "The dog ran to the park", "Tom had a red ball and he liked to play with it every day.",
            "She was happy.", "One day, a big bird came", "Lily and Ben went to the beach to see the sea.",
            "The sun was hot", "He said hello to his friend", "They played all day long and had fun.",
            "A cat sat on the mat");

    static HookedTransformer model;
    static Tokenizer tokenizer;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws IOException {
        Interp.configureDjl();
        model = HookedTransformer.load(StoreTestSupport.stories());
        tokenizer = Tokenizer.load(StoreTestSupport.stories());
    }

    @AfterAll
    static void close() {
        tokenizer.close();
        model.close();
    }

    private Path txtCorpus() throws IOException {
        Path f = tmp.resolve("corpus.txt");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < PROMPTS.size(); i++) {
            lines.add(PROMPTS.get(i));
            if (i == 3) {
                lines.add("   "); // blank lines are skipped
            }
        }
        Files.write(f, lines, StandardCharsets.UTF_8);
        return f;
    }

    private ActivationCapture.Builder capture(Path corpus, Path out) {
        return ActivationCapture.builder().setModel(model).optTokenizer(tokenizer).setCorpus(corpus).setOut(out)
                .setHooks(List.of(R1, MLP)).optProgress(false);
    }

    /** Activations of one hook for one prompt run alone: [T, d] row-major. */
    private static float[] alone(int[] ids, String hook) {
        try (ActivationCache cache = model.runWithCache(TokenBatch.of(ids), List.of(hook))) {
            return cache.get(hook).toFloatArray();
        }
    }

    @Test
    void storedRowsAreBitIdenticalToRunWithCacheAlone() throws IOException {
        Path out = tmp.resolve("store");
        StoreManifest m = capture(txtCorpus(), out).optPromptsPerPass(1).optShardRows(40).build().run();
        assertTrue(m.shards().size() > 1, "expected several shards");
        checkRows(out, 0f);
    }

    @Test
    void batchedCaptureMatchesRunsAloneWithinRounding() throws IOException {
        Path out = tmp.resolve("store");
        capture(txtCorpus(), out).optPromptsPerPass(4).optShardRows(40).build().run();
        // left-padded batches agree with single runs to float rounding (different GEMM shapes), not bit for bit
        checkRows(out, 1e-5f);
    }

    private void checkRows(Path out, float tol) throws IOException {
        try (StoreReader r = StoreReader.open(out)) {
            r.verifyAll();
            long row = 0;
            for (int p = 0; p < PROMPTS.size(); p++) {
                int[] ids = tokenizer.encode(PROMPTS.get(p));
                try (ActivationCache cache = model.runWithCache(TokenBatch.of(ids), List.of(R1, MLP))) {
                    for (String hook : List.of(R1, MLP)) {
                        float[] expected = cache.get(hook).toFloatArray();
                        RowBlock block = r.read(hook, row, ids.length);
                        float[] got = java.util.Arrays.copyOf(block.activations(), ids.length * r.dim(hook));
                        if (tol == 0f) {
                            assertArrayEquals(expected, got, "prompt " + p + " hook " + hook);
                        } else {
                            assertArrayEquals(expected, got, tol, "prompt " + p + " hook " + hook);
                        }
                        for (int t = 0; t < ids.length; t++) {
                            assertEquals(p, block.promptIds()[t]);
                            assertEquals(t, block.positions()[t]);
                            assertEquals(ids[t], block.tokenIds()[t]);
                        }
                    }
                }
                row += ids.length;
            }
            assertEquals(row, r.rows(), "no padded or duplicated rows");
        }
    }

    @Test
    void manifestRecordsModelHooksCountsAndChecksums() throws IOException {
        Path out = tmp.resolve("store");
        Path corpus = txtCorpus();
        StoreManifest m = capture(corpus, out).optShardRows(40).optModelPath(StoreTestSupport.stories()).build().run();
        StoreManifest onDisk = StoreManifest.read(out);
        long tokens = 0;
        for (String p : PROMPTS) {
            tokens += tokenizer.encode(p).length;
        }
        for (StoreManifest mm : List.of(m, onDisk)) {
            assertEquals(StoreManifest.FORMAT_VERSION, mm.formatVersion());
            assertEquals("llama", mm.model().modelType());
            assertEquals(64, mm.model().dModel());
            assertEquals(5, mm.model().nLayers());
            assertEquals(512, mm.model().vocabSize());
            assertEquals(List.of(R1, MLP), mm.hooks().stream().map(StoreManifest.Hook::name).toList());
            assertEquals(64, mm.dim(R1));
            assertEquals(model.config().dMlp(), mm.dim(MLP));
            assertEquals("F32", mm.dtype());
            assertEquals(tokens, mm.totalRows());
            assertEquals(PROMPTS.size(), mm.promptsCompleted());
            assertTrue(mm.complete());
            assertEquals(Checksums.sha256(corpus), mm.source().sha256());
            assertTrue(mm.created() != null && mm.model().path().endsWith("stories260K-llama"));
            long rows = 0;
            for (StoreManifest.Shard s : mm.shards()) {
                assertEquals(Checksums.sha256(out.resolve(s.file())), s.sha256());
                assertEquals(Files.size(out.resolve(s.file())), s.bytes());
                assertEquals(rows, s.firstRow());
                rows += s.rows();
            }
            assertEquals(tokens, rows);
        }
    }

    @Test
    void resumeAfterInterruptionGivesIdenticalShards() throws IOException {
        Path corpus = txtCorpus();
        Path whole = tmp.resolve("whole");
        StoreManifest ref = capture(corpus, whole).optPromptsPerPass(2).optShardRows(10).build().run();
        assertTrue(ref.shards().size() >= 4, "need several shards, got " + ref.shards().size());

        Path cut = tmp.resolve("cut");
        AtomicInteger written = new AtomicInteger();
        IOException crash = assertThrows(IOException.class, () -> capture(corpus, cut).optPromptsPerPass(2)
                .optShardRows(10).optShardListener(s -> {
                    if (written.incrementAndGet() == 2) {
                        throw new IOException("simulated crash");
                    }
                }).build().run());
        assertEquals("simulated crash", crash.getMessage());
        StoreManifest partial = StoreManifest.read(cut);
        assertFalse(partial.complete());
        assertEquals(2, partial.shards().size());
        // a crash between writing a shard and listing it leaves an orphan file: resume must overwrite it
        Files.write(cut.resolve(StoreManifest.shardFileName(2)), new byte[] {1, 2, 3});

        StoreManifest resumed = capture(corpus, cut).optPromptsPerPass(2).optShardRows(10).build().run();
        assertTrue(resumed.complete());
        assertEquals(ref.totalRows(), resumed.totalRows());
        assertEquals(ref.promptsCompleted(), resumed.promptsCompleted());
        assertEquals(ref.shards().size(), resumed.shards().size());
        for (int i = 0; i < ref.shards().size(); i++) {
            assertEquals(ref.shards().get(i).sha256(), resumed.shards().get(i).sha256(), "shard " + i);
            assertArrayEquals(Files.readAllBytes(whole.resolve(ref.shards().get(i).file())),
                    Files.readAllBytes(cut.resolve(resumed.shards().get(i).file())));
        }
        // running again on a complete store changes nothing
        StoreManifest again = capture(corpus, cut).optPromptsPerPass(2).optShardRows(10).build().run();
        assertEquals(resumed.toJson(), again.toJson());
    }

    @Test
    void resumeWithOtherSettingsIsRefused() throws IOException {
        Path corpus = txtCorpus();
        Path out = tmp.resolve("s");
        assertThrows(IOException.class, () -> capture(corpus, out).optShardRows(30).optShardListener(s -> {
            throw new IOException("stop");
        }).build().run());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> capture(corpus, out).optShardRows(30).optContext(5).build().run());
        assertTrue(e.getMessage().contains("context differs (0 vs 5)"), e.getMessage());
    }

    /**
     * A resume with other weights of the same shapes (one value of one layer changed) is refused; the same weights
     * loaded at rest instead of in F32 are the same model and resume.
     */
    @Test
    void resumeWithOtherWeightsIsRefusedAndTheSameWeightsAtRestResume() throws IOException {
        Path corpus = txtCorpus();
        Path out = tmp.resolve("s");
        assertThrows(IOException.class, () -> capture(corpus, out).optShardRows(30).optShardListener(s -> {
            throw new IOException("stop");
        }).build().run());
        Path copy = tmp.resolve("other-model");
        Files.createDirectories(copy);
        Files.copy(StoreTestSupport.stories().resolve("config.json"), copy.resolve("config.json"));
        org.mechinterp.core.io.SafetensorsWriter writer = new org.mechinterp.core.io.SafetensorsWriter();
        try (var in = org.mechinterp.core.io.SafetensorsFile.open(
                StoreTestSupport.stories().resolve("model.safetensors"))) {
            for (String name : in.names()) {
                float[] v = in.readFloats(name);
                if (name.equals("model.layers.4.mlp.down_proj.weight")) {
                    v[7] *= 1.5f;
                }
                writer.addF32(name, v, in.info(name).shape());
            }
        }
        writer.write(copy.resolve("model.safetensors"));
        try (HookedTransformer other = HookedTransformer.load(copy)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ActivationCapture
                    .builder().setModel(other).optTokenizer(tokenizer).setCorpus(corpus).setOut(out)
                    .setHooks(List.of(R1, MLP)).optProgress(false).optShardRows(30).build().run());
            assertTrue(e.getMessage().contains("weights differ"), e.getMessage());
        }
        var atRest = org.mechinterp.core.model.LoadOptions.builder()
                .optStorage(org.mechinterp.core.model.LoadOptions.Storage.AT_REST).build();
        try (HookedTransformer same = HookedTransformer.load(StoreTestSupport.stories(), atRest)) {
            StoreManifest m = ActivationCapture.builder().setModel(same).optTokenizer(tokenizer).setCorpus(corpus)
                    .setOut(out).setHooks(List.of(R1, MLP)).optProgress(false).optShardRows(30).build().run();
            assertTrue(m.complete());
            assertEquals(64, m.model().weightsFingerprint().length());
        }
    }

    @Test
    void jsonlWithTokensLabelsContextAndMaxTokens() throws IOException {
        Path corpus = tmp.resolve("c.jsonl");
        int n2 = tokenizer.encode("The dog ran").length;
        assertTrue(n2 > 4, "fixture assumption: the text prompt is longer than the context");
        String temp2 = "[" + String.join(",", java.util.Collections.nCopies(n2, "5")) + "]";
        String mass2 = "[" + String.join(",", java.util.Collections.nCopies(n2, "1")) + "]";
        Files.writeString(corpus, String.join("\n",
                "{\"tokens\": [1, 403, 407, 261, 500], \"labels\": {\"temp\": [0.5, 1, 2, 3, 4], \"mass\": [9, 8, 7, 6, null]}}",
                "",
                "{\"text\": \"The dog ran\", \"labels\": {\"mass\": " + mass2 + ", \"temp\": " + temp2 + "}}",
                // labels may also be given for the truncated prompt only (4 = --context)
                "{\"tokens\": [1, 20, 30, 40, 50], \"labels\": {\"temp\": [1, 2, 3, 4], \"mass\": [4, 5, 6, 7]}}")
                + "\n");
        Path out = tmp.resolve("s");
        StoreManifest m = capture(corpus, out).setHooks(List.of(R1)).optContext(4).optMaxTokens(10).build().run();
        assertEquals(List.of("temp", "mass"), m.labelNames());
        assertEquals(10, m.totalRows()); // 4 + 4 + 2 (third prompt cut by the row budget)
        assertEquals(4, m.context());
        try (StoreReader r = StoreReader.open(out)) {
            RowBlock b = r.read(R1, 0, 10);
            assertArrayEquals(new int[] {1, 403, 407, 261}, java.util.Arrays.copyOf(b.tokenIds(), 4));
            assertArrayEquals(new float[] {0.5f, 9, 1, 8, 2, 7, 3, 6}, java.util.Arrays.copyOf(b.labels(), 8));
            assertEquals(5f, b.label(4, 0), 0f); // second prompt: columns reordered to the first prompt's names
            assertEquals(1f, b.label(4, 1), 0f);
            assertEquals(2, b.promptIds()[9]);
            assertEquals(1, b.positions()[9]);
            assertEquals(20, b.tokenIds()[9]);
            // the truncated prompt's rows equal the prefix run alone (causal model)
            float[] expected = alone(new int[] {1, 20}, R1);
            assertArrayEquals(expected, java.util.Arrays.copyOfRange(b.activations(), 8 * 64, 10 * 64), 1e-5f);
        }
    }

    @Test
    void labelLengthMismatchNamesTheLine() throws IOException {
        Path corpus = tmp.resolve("c.jsonl");
        Files.writeString(corpus, "{\"tokens\": [1, 2, 3], \"labels\": {\"t\": [1, 2, 3]}}\n"
                + "{\"tokens\": [1, 2, 3], \"labels\": {\"t\": [1, 2]}}\n");
        Path out = tmp.resolve("s");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> capture(corpus, out).build().run());
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("label \"t\" has 2 values"),
                e.getMessage());
        assertFalse(Files.exists(out), "nothing is written before the corpus validates");
    }

    @Test
    void badCorpusAndHookInputsGiveClearMessages() throws IOException {
        Path corpus = txtCorpus();
        Path out = tmp.resolve("s");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> capture(corpus, out).setHooks(List.of("blocks.1.hook_nonsense")).build());
        assertTrue(e.getMessage().contains("blocks.1.hook_nonsense"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> capture(corpus, out).setHooks(List.of("blocks.0.attn.hook_pattern")).build());
        assertTrue(e.getMessage().contains("not one row per token"), e.getMessage());

        Path badJson = tmp.resolve("b.jsonl");
        Files.writeString(badJson, "{\"tokens\": [1, 2]}\n{\"tokens\": [1, 9999]}\n");
        e = assertThrows(IllegalArgumentException.class, () -> capture(badJson, out).build().run());
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("9999"), e.getMessage());

        Files.writeString(badJson, "{\"tokens\": [1, 2]}\n{\"tokens\": [1, 2], \"labels\": {\"x\": [1, 2]}}\n");
        e = assertThrows(IllegalArgumentException.class, () -> capture(badJson, out).build().run());
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("label columns"), e.getMessage());

        Path csv = tmp.resolve("c.csv");
        Files.writeString(csv, "x\n");
        e = assertThrows(IllegalArgumentException.class, () -> capture(csv, out).build().run());
        assertTrue(e.getMessage().contains("unknown format"), e.getMessage());

        Files.createDirectories(out);
        Files.writeString(out.resolve("other.txt"), "x");
        e = assertThrows(IllegalArgumentException.class, () -> capture(corpus, out).build().run());
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
    }

    @Test
    void promptLongerThanLearnedPositionsIsRefusedBeforeWriting() throws IOException {
        Path gpt2 = StoreTestSupport.shared().resolve("fixtures/tiny-random-gpt2");
        StringBuilder ids = new StringBuilder();
        for (int i = 0; i < 600; i++) {
            ids.append(i == 0 ? "" : ",").append(i % 900);
        }
        Path corpus = tmp.resolve("long.jsonl");
        Files.writeString(corpus, "{\"tokens\": [5, 6]}\n{\"tokens\": [" + ids + "]}\n");
        Path out = tmp.resolve("s");
        try (HookedTransformer small = HookedTransformer.load(gpt2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ActivationCapture
                    .builder().setModel(small).setCorpus(corpus).setOut(out).setHooks(List.of("blocks.0.hook_resid_post"))
                    .optProgress(false).build().run());
            assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("600 tokens")
                    && e.getMessage().contains("512"), e.getMessage());
            assertFalse(Files.exists(out));
            // with a context within the limit the same corpus captures, without a tokenizer (token ids only)
            StoreManifest m = ActivationCapture.builder().setModel(small).setCorpus(corpus).setOut(out)
                    .setHooks(List.of("blocks.0.hook_resid_post")).optContext(512).optProgress(false).build().run();
            assertEquals(2 + 512, m.totalRows());
        }
    }
}
