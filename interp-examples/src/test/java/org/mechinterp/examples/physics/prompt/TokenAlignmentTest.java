package org.mechinterp.examples.physics.prompt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.examples.physics.SeriesTestData;
import org.mechinterp.examples.physics.Trajectory;

/**
 * Token ↔ step ↔ component maps with real tokenizers: Qwen3 (one token per digit), GPT-2 (BPE number chunks of
 * varying length) and a Llama-3-style vocabulary built here (numbers pre-split into 1–3 digit chunks, each one
 * token, plus a BOS). Checked against the tokens' own texts and against DJL's native character offsets.
 */
class TokenAlignmentTest {

    @TempDir
    static Path tmp;

    static Tokenizer qwen;
    static Tokenizer gpt2;
    static Tokenizer llama3;
    static final Trajectory TRAJ = SeriesTestData.massSpring(60);

    static Path shared() {
        String p = System.getProperty("interp.shared.dir");
        if (p != null && Files.isDirectory(Path.of(p))) {
            return Path.of(p);
        }
        for (String c : new String[] {"../shared", "../../shared"}) {
            if (Files.isDirectory(Path.of(c))) {
                return Path.of(c);
            }
        }
        throw new IllegalStateException("shared fixtures directory not found");
    }

    /**
     * A WordLevel vocabulary of every 1–3 digit string plus single non-digit characters, pre-tokenised like
     * Llama-3 ({@code \p{N}{1,3}}, left to right), with a BOS added by the post-processor.
     */
    static Path writeLlama3Style(Path dir) throws IOException {
        StringBuilder vocab = new StringBuilder("\"<|begin_of_text|>\":0,\"[UNK]\":1");
        int id = 2;
        for (int len = 1; len <= 3; len++) {
            int n = (int) Math.pow(10, len);
            for (int i = 0; i < n; i++) {
                vocab.append(",\"").append(String.format("%0" + len + "d", i)).append("\":").append(id++);
            }
        }
        for (char ch = '!'; ch <= '~'; ch++) {
            if (Character.isDigit(ch)) {
                continue;
            }
            String s = ch == '"' ? "\\\"" : ch == '\\' ? "\\\\" : String.valueOf(ch);
            vocab.append(",\"").append(s).append("\":").append(id++);
        }
        String bos = "{\"SpecialToken\":{\"id\":\"<|begin_of_text|>\",\"type_id\":0}}";
        String json = "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
                + "\"added_tokens\":[{\"id\":0,\"content\":\"<|begin_of_text|>\",\"single_word\":false,"
                + "\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true}],"
                + "\"normalizer\":null,"
                + "\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"\\\\p{N}{1,3}|[^\\\\p{N}]\"},"
                + "\"behavior\":\"Isolated\",\"invert\":false},"
                + "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[" + bos
                + ",{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],\"pair\":[" + bos
                + ",{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"Sequence\":{\"id\":\"B\",\"type_id\":1}}],"
                + "\"special_tokens\":{\"<|begin_of_text|>\":{\"id\":\"<|begin_of_text|>\",\"ids\":[0],"
                + "\"tokens\":[\"<|begin_of_text|>\"]}}},"
                + "\"decoder\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":false,"
                + "\"use_regex\":false},"
                + "\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + vocab + "},\"unk_token\":\"[UNK]\"}}";
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, json, StandardCharsets.UTF_8);
        return f;
    }

    @BeforeAll
    static void load() throws IOException {
        qwen = Tokenizer.load(shared().resolve("fixtures/tokenizers/qwen3"));
        gpt2 = Tokenizer.load(shared().resolve("fixtures/tokenizers/gpt2"));
        llama3 = Tokenizer.load(writeLlama3Style(tmp));
    }

    @AfterAll
    static void close() {
        for (Tokenizer t : new Tokenizer[] {qwen, gpt2, llama3}) {
            if (t != null) {
                t.close();
            }
        }
    }

    /**
     * The invariants every alignment must satisfy, checked from the tokens' own texts: each digit character is
     * covered exactly once; a DIGIT/VALUE token's lone decode is exactly the digits of its value starting at its
     * digit index; concatenating each value's tokens in order gives back its code.
     */
    static Map<TokenKind, Integer> checkAlignment(Tokenizer tok, TokenAlignment a, String prompt) {
        SerializedSeries s = a.series();
        int off = a.seriesOffset();
        int[] coveredDigits = new int[s.text().length()];
        StringBuilder[][] rebuilt = new StringBuilder[s.endStep()][s.components()];
        Map<TokenKind, Integer> counts = new EnumMap<>(TokenKind.class);
        for (TokenInfo t : a.tokens()) {
            counts.merge(t.kind(), 1, Integer::sum);
            for (int k = Math.max(t.start(), off); k < Math.min(t.end(), off + s.text().length()); k++) {
                if (s.charKind(k - off) == CharKind.DIGIT) {
                    coveredDigits[k - off]++;
                }
            }
            switch (t.kind()) {
                case DIGIT, VALUE -> {
                    String text = tok.decode(new int[] {t.id()}, true);
                    int vs = s.valueStart(t.step(), t.component());
                    assertEquals(s.text().substring(vs + t.digitIndex(), vs + t.digitIndex() + t.digitCount()), text,
                            "token " + t);
                    assertEquals(t.kind() == TokenKind.DIGIT, t.digitCount() == 1);
                    StringBuilder b = rebuilt[t.step()][t.component()];
                    if (b == null) {
                        b = rebuilt[t.step()][t.component()] = new StringBuilder();
                    }
                    assertEquals(t.digitIndex(), b.length(), "digits of a value arrive in order");
                    b.append(text);
                }
                case STEP_SEP -> assertTrue(s.format().stepSeparator().contains(prompt.substring(t.start(), t.end())));
                case COMPONENT_SEP -> assertTrue(
                        s.format().componentSeparator().contains(prompt.substring(t.start(), t.end())));
                case OTHER -> assertEquals(-1, t.step());
                case MIXED -> assertTrue(t.step() >= s.firstStep());
                default -> throw new AssertionError();
            }
            if (t.kind() != TokenKind.OTHER) {
                assertEquals(s.charStep(Math.max(t.start(), off) - off), t.step());
            }
        }
        for (int k = 0; k < coveredDigits.length; k++) {
            if (s.charKind(k) == CharKind.DIGIT) {
                assertEquals(1, coveredDigits[k], "digit char " + k + " coverage");
            }
        }
        if (!counts.containsKey(TokenKind.MIXED)) {
            for (int st = s.firstStep(); st < s.endStep(); st++) {
                for (int c = 0; c < s.components(); c++) {
                    assertEquals(s.code(st, c), Long.parseLong(rebuilt[st][c].toString()), "step " + st + " comp " + c);
                }
            }
        }
        return counts;
    }

    static TokenAlignment alignAndCheck(Tokenizer tok, String prefix, SerializedSeries s, boolean special) {
        TokenAlignment a = TokenAlignment.encode(tok, prefix, s, special);
        Map<TokenKind, Integer> counts = checkAlignment(tok, a, prefix + s.text());
        System.err.println(tok.path().getParent().getFileName() + " " + s.format() + " prefix='" + prefix + "': "
                + a.size() + " tokens " + counts);
        return a;
    }

    @Test
    void qwen3HasOneTokenPerDigit() {
        for (SeriesFormat f : new SeriesFormat[] {IntegerGrid.builder().build(), RescaledDigits.builder().build()}) {
            SerializedSeries s = f.serialize(TRAJ, 10, 60);
            TokenAlignment a = alignAndCheck(qwen, "Trajectory: ", s, true);
            long digitChars = s.text().chars().filter(Character::isDigit).count();
            long digitTokens = a.tokens().stream().filter(t -> t.kind() == TokenKind.DIGIT).count();
            assertEquals(digitChars, digitTokens);
            assertEquals(0, a.tokens().stream().filter(t -> t.kind() == TokenKind.VALUE
                    || t.kind() == TokenKind.MIXED).count());
            // each step: 3 digits, separator, 3 digits, separator
            for (int st = 10; st < 60; st++) {
                int[] toks = a.tokensOfStep(st);
                assertEquals(8, toks.length);
                TokenInfo close = a.token(a.closingToken(st));
                assertEquals(TokenKind.STEP_SEP, close.kind());
                assertEquals(st, close.step());
                TokenInfo last = a.token(a.lastDigitToken(st, 1));
                assertEquals(2, last.digitIndex());
                assertEquals(1, last.component());
            }
            double[] e = a.quantity(TRAJ, "E1");
            for (TokenInfo t : a.tokens()) {
                if (t.hasStep()) {
                    assertEquals(TRAJ.quantity("E1", t.step()), e[t.index()], 0);
                } else {
                    assertTrue(Double.isNaN(e[t.index()]));
                }
            }
        }
    }

    @Test
    void gpt2SplitsNumbersIntoMultiDigitChunks() {
        int multi = 0;
        for (SeriesFormat f : new SeriesFormat[] {IntegerGrid.builder().build(),
                RescaledDigits.builder().optDigits(5).build()}) {
            SerializedSeries s = f.serialize(TRAJ);
            TokenAlignment a = alignAndCheck(gpt2, "", s, true);
            for (TokenInfo t : a.tokens()) {
                if (t.kind() == TokenKind.VALUE) {
                    multi++;
                }
            }
            for (int st = 0; st < 60; st++) {
                assertEquals(TokenKind.STEP_SEP, a.token(a.closingToken(st)).kind());
            }
        }
        assertTrue(multi > 50, "GPT-2 should merge digits: " + multi);
    }

    @Test
    void llama3StyleVocabularyHasOneTokenPerThreeDigitValue() {
        SerializedSeries s = IntegerGrid.builder().build().serialize(TRAJ);
        TokenAlignment a = alignAndCheck(llama3, "Data:", s, true);
        assertEquals(TokenKind.OTHER, a.token(0).kind()); // BOS, empty span
        assertEquals(a.token(0).start(), a.token(0).end());
        for (int st = 0; st < 60; st++) {
            for (int c = 0; c < 2; c++) {
                TokenInfo t = a.token(a.lastDigitToken(st, c));
                assertEquals(TokenKind.VALUE, t.kind());
                assertEquals(3, t.digitCount());
                assertEquals(0, t.digitIndex());
                assertEquals(st, t.step());
                assertEquals(c, t.component());
            }
        }
        // 4-digit values split 3 + 1 from the left
        SerializedSeries s4 = RescaledDigits.builder().optDigits(4).build().serialize(TRAJ);
        TokenAlignment a4 = alignAndCheck(llama3, "", s4, false);
        TokenInfo first = a4.token(0);
        TokenInfo second = a4.token(1);
        assertEquals(TokenKind.VALUE, first.kind());
        assertEquals(3, first.digitCount());
        assertEquals(TokenKind.DIGIT, second.kind());
        assertEquals(3, second.digitIndex());
    }

    @Test
    void sentencePieceLlama2WithBosAndByteFallback() throws IOException {
        // stories260K: Llama-2-style SentencePiece BPE (prepended '▁', leading-space strip, byte fallback)
        try (Tokenizer sp = Tokenizer.load(shared().resolve("fixtures/stories260K-llama"))) {
            SerializedSeries s = IntegerGrid.builder().build().serialize(TRAJ, 0, 20);
            TokenAlignment a = alignAndCheck(sp, "Once upon a time: ", s, true);
            assertEquals(TokenKind.OTHER, a.token(0).kind()); // BOS
            long digitChars = s.text().chars().filter(Character::isDigit).count();
            assertEquals(digitChars, a.tokens().stream().filter(t -> t.kind() == TokenKind.DIGIT).count());
            for (int st = 0; st < 20; st++) {
                assertEquals(TokenKind.STEP_SEP, a.token(a.closingToken(st)).kind());
            }
        }
    }

    @Test
    void decodedOffsetsEqualTheNativeOffsets() throws IOException {
        SerializedSeries s = IntegerGrid.builder().build().serialize(TRAJ);
        for (String name : new String[] {"qwen3", "gpt2"}) {
            Path file = shared().resolve("fixtures/tokenizers/" + name + "/tokenizer.json");
            try (Tokenizer tok = Tokenizer.load(file);
                    HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(file, Map.of("truncation", "false",
                            "padding", "false"))) {
                String prompt = "Data:" + s.text();
                Encoding enc = hf.encode(prompt, false, false);
                int[] ids = tok.encode(prompt, false);
                long[] native_ = enc.getIds();
                assertEquals(native_.length, ids.length);
                int[][] spans = TokenOffsets.compute(tok, prompt, ids);
                CharSpan[] ref = enc.getCharTokenSpans();
                for (int i = 0; i < ids.length; i++) {
                    assertEquals(native_[i], ids[i]);
                    assertArrayEquals(new int[] {ref[i].getStart(), ref[i].getEnd()}, spans[i], name + " token " + i);
                }
                // aligning with the native spans gives the same map
                TokenAlignment viaNative = TokenAlignment.align(s, 5, ids, spans);
                assertEquals(TokenAlignment.encode(tok, "Data:", s, false).tokens(), viaNative.tokens());
            }
        }
    }

    @Test
    void mixedTokensAndCoverageErrors() {
        SerializedSeries s = IntegerGrid.builder().build().serialize(new double[][] {{0, 1}, {1, 0}});
        assertEquals("150,850;850,150;", s.text());
        // a hand-made tokenisation with a token straddling a value and its separator: "150," "850;" ...
        int[][] spans = {{0, 4}, {4, 8}, {8, 12}, {12, 16}};
        TokenAlignment a = TokenAlignment.align(s, 0, new int[] {1, 2, 3, 4}, spans);
        assertEquals(TokenKind.MIXED, a.token(0).kind());
        assertEquals(0, a.token(0).step());
        assertEquals(0, a.token(0).component());
        assertEquals(3, a.token(0).digitCount());
        assertEquals(1, a.token(3).step());
        assertEquals(3, a.closingToken(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TokenAlignment.align(s, 0, new int[] {1, 2}, new int[][] {{0, 4}, {5, 16}}));
        assertTrue(e.getMessage().contains("series character 4 ('8', DIGIT of step 0) is covered by no token"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TokenAlignment.align(s, 0, new int[] {1, 2}, new int[][] {{0, 5}, {4, 16}}));
        assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TokenOffsets.compute(qwen, "150,851;", qwen.encode("150,850;", false)));
        assertTrue(e.getMessage().contains("decodes to '0' but the text at char 6 is '1'"), e.getMessage());
    }
}
