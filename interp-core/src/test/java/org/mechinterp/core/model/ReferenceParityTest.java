package org.mechinterp.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mechinterp.core.testing.Fixtures;
import org.mechinterp.core.testing.Fixtures.ReferenceLogits;

/**
 * Every shared fixture against its independent reference (llama2.c run.c, ONNX Runtime, llm.c): logits at every
 * position within the fixture README's tolerance, and greedy continuations identical.
 */
class ReferenceParityTest {
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    static Stream<Arguments> referenceFiles() {
        return Stream.of(
                Arguments.of("stories260K-llama", "stories260K_runc_lily_prompt.bin", 1e-4),
                Arguments.of("stories260K-llama", "stories260K_runc_once_upon_a_time_64.bin", 1e-4),
                Arguments.of("stories260K-llama", "stories260K_runc_greedy256.bin", 1e-4),
                Arguments.of("tiny-random-gpt2", "ort_a.bin", 1e-5),
                Arguments.of("tiny-random-gpt2", "ort_b.bin", 1e-5),
                Arguments.of("tiny-random-gpt2", "ort_long64.bin", 1e-5),
                Arguments.of("tiny-random-gpt2", "llmc_a.bin", 1e-5),
                Arguments.of("tiny-random-gpt2", "llmc_b.bin", 1e-5),
                Arguments.of("tiny-random-gpt2", "llmc_long64.bin", 1e-5),
                Arguments.of("tiny-random-llama-fp16", "ortfp32_a.bin", 1e-5),
                Arguments.of("tiny-random-llama-fp16", "ortfp32_b.bin", 1e-5));
    }

    @ParameterizedTest(name = "{0}/{1} within {2}")
    @MethodSource("referenceFiles")
    void logitsMatchReferenceAtEveryPosition(String model, String file, double tolerance) throws IOException {
        Path dir = Fixtures.fixture(model);
        ReferenceLogits ref = Fixtures.readLogits(dir.resolve("reference").resolve(file));
        try (HookedTransformer m = HookedTransformer.load(dir); NDManager call = manager.newSubManager()) {
            NDArray logits = m.forward(call, TokenBatch.of(ref.tokens()));
            assertEquals(List.of(1L, (long) ref.length(), (long) ref.vocab()),
                    Arrays.stream(logits.getShape().getShape()).boxed().toList());
            float[] flat = logits.toFloatArray();
            double worst = 0;
            int worstPos = -1;
            for (int t = 0; t < ref.length(); t++) {
                float[] row = Arrays.copyOfRange(flat, t * ref.vocab(), (t + 1) * ref.vocab());
                double diff = Fixtures.maxAbsDiff(row, ref.logits()[t]);
                if (!(diff <= worst)) {
                    worst = diff;
                    worstPos = t;
                }
            }
            assertTrue(worst <= tolerance, model + "/" + file + ": max |Δlogit| = " + worst + " at position "
                    + worstPos + " exceeds " + tolerance);
        }
    }

    @Test
    void everyPrefixLengthMatchesRunC() throws IOException {
        // logits[t] depends only on tokens[0..t]: each prefix must reproduce the reference rows (catches bugs that
        // depend on the sequence length, e.g. in masks or rotary tables)
        Path dir = Fixtures.fixture("stories260K-llama");
        ReferenceLogits ref = Fixtures.readLogits(dir.resolve("reference/stories260K_runc_once_upon_a_time_64.bin"));
        try (HookedTransformer m = HookedTransformer.load(dir)) {
            for (int length = 1; length <= ref.length(); length++) {
                float[] last = Generation.lastLogits(m, Arrays.copyOf(ref.tokens(), length));
                double diff = Fixtures.maxAbsDiff(ref.logits()[length - 1], last);
                assertTrue(diff <= 1e-4, "prefix of " + length + " tokens: max |Δlogit| = " + diff);
            }
        }
    }

    @Test
    void stories260kGreedyStoryMatchesRunC() throws IOException {
        Path dir = Fixtures.fixture("stories260K-llama");
        ReferenceLogits ref = Fixtures.readLogits(dir.resolve("reference/stories260K_runc_greedy256.bin"));
        try (HookedTransformer m = HookedTransformer.load(dir)) {
            int[] generated = Generation.greedy(m, new int[] {ref.tokens()[0]}, ref.length() - 1);
            assertArrayEquals(ref.tokens(), generated);
        }
        String txt = Files.readString(dir.resolve("reference/stories260K_greedy256.txt"));
        String ids = txt.lines().filter(l -> l.startsWith("tokens:")).findFirst().orElseThrow();
        int[] fromText = Arrays.stream(ids.substring("tokens:".length()).trim().split("\\s+"))
                .mapToInt(Integer::parseInt).toArray();
        assertArrayEquals(ref.tokens(), Arrays.copyOf(fromText, ref.length()));
    }

    static Stream<Arguments> upstreamGreedy() {
        return Stream.of(Arguments.of("tiny-random-gpt2"), Arguments.of("tiny-random-llama-fp16"));
    }

    @ParameterizedTest
    @MethodSource("upstreamGreedy")
    void greedyMatchesUpstreamIds(String model) throws IOException {
        Path dir = Fixtures.fixture(model);
        JsonObject expected = JsonParser.parseString(
                Files.readString(dir.resolve("reference/expected_greedy_upstream.json"))).getAsJsonObject()
                .getAsJsonObject("greedy_max_length_10");
        try (HookedTransformer m = HookedTransformer.load(dir)) {
            for (String prompt : expected.keySet()) {
                int[] input = parseIds(prompt);
                int[] want = expected.getAsJsonArray(prompt).asList().stream()
                        .mapToInt(e -> e.getAsInt()).toArray();
                assertArrayEquals(want, Generation.greedy(m, input, want.length - input.length), model + prompt);
            }
        }
    }

    private static int[] parseIds(String json) {
        List<Integer> ids = new ArrayList<>();
        JsonParser.parseString(json).getAsJsonArray().forEach(e -> ids.add(e.getAsInt()));
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }
}
