package org.mechinterp.examples.physics.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.examples.physics.prompt.SerializedSeries;
import org.mechinterp.examples.physics.prompt.TokenAlignment;
import org.mechinterp.examples.physics.prompt.TokenKind;

/** The written tokenizer.json, read back by the core Tokenizer (HF tokenizers), agrees with the Java map. */
class DigitVocabularyTest {
    @TempDir
    Path tmp;

    @Test
    void tokenizerJsonEncodesAndDecodesLikeTheJavaMap() throws IOException {
        DigitVocabulary.writeTokenizerJson(tmp);
        try (Tokenizer tok = Tokenizer.load(tmp)) {
            assertEquals(DigitVocabulary.SIZE, tok.vocabSize());
            String text = "512,488;097,903;";
            int[] ids = tok.encode(text);
            assertArrayEquals(new int[] {1, 8, 4, 5, 13, 7, 11, 11, 14, 3, 12, 10, 13, 12, 3, 6, 14}, ids);
            assertArrayEquals(DigitVocabulary.encode(text, true), ids);
            assertArrayEquals(DigitVocabulary.encode(text, false), tok.encode(text, false));
            assertEquals("<bos>" + text, tok.decode(ids));
            assertEquals(text, tok.decode(ids, true));
            for (int id = 0; id < DigitVocabulary.SIZE; id++) {
                assertEquals(DigitVocabulary.text(id), tok.tokenText(id), "id " + id);
            }
            assertThrows(RuntimeException.class, () -> tok.encode("12 3"), "a space is not in the vocabulary");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DigitVocabulary.encode("1.5", false));
        assertTrue(e.getMessage().contains("'.'"), e.getMessage());
    }

    @Test
    void alignsWithTheSeriesTokenMap() throws IOException {
        DigitVocabulary.writeTokenizerJson(tmp);
        PhysicsDataRecipe recipe = PhysicsDataRecipe.builder().optContextTokens(64).build();
        SerializedSeries series = recipe.sample("mass-spring", new java.util.SplittableRandom(3)).series();
        try (Tokenizer tok = Tokenizer.load(tmp)) {
            TokenAlignment a = TokenAlignment.encode(tok, "", series, true);
            assertEquals(TokenKind.OTHER, a.token(0).kind()); // <bos>
            assertEquals(1 + series.text().length(), a.size());
            for (int i = 1; i < a.size(); i++) {
                char c = series.text().charAt(i - 1);
                TokenKind expected = Character.isDigit(c) ? TokenKind.DIGIT : c == ',' ? TokenKind.COMPONENT_SEP
                        : TokenKind.STEP_SEP;
                assertEquals(expected, a.token(i).kind(), "token " + i);
                assertEquals((i - 1) / 8, a.token(i).step(), "step of token " + i);
            }
        }
    }
}
