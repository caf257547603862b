package org.mechinterp.jacobian;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.tokenizer.Tokenizer;

class TokenGroupsTest {
    @Test
    void wordsAndNumbersGroupPiecesOfOneWordOrNumber() {
        TokenGroups g = TokenGroups.wordsAndNumbers(List.of("<s>", " The", " price", " is", " 1", "2", "3", ".",
                "5", " un", "believ", "able", "!", "▁next", "Ġword", "s"));
        assertEquals(List.of("<s>", " The", " price", " is", " 123.5", " unbelievable", "!", "▁next",
                "Ġwords"), g.labels(List.of("<s>", " The", " price", " is", " 1", "2", "3", ".", "5", " un", "believ",
                "able", "!", "▁next", "Ġword", "s")));
        assertArrayEquals(new int[] {4, 5, 6, 7, 8}, g.members(4));
    }

    @Test
    void mergingUsesRootSumOfSquaresForNormsAndSumForSquaredScores() {
        TokenGroups g = TokenGroups.of(4, List.of(new int[] {1, 2}));
        assertEquals(3, g.size());
        assertArrayEquals(new double[] {1, 5, 2}, g.merge(new double[] {1, 3, 4, 2},
                TokenGroups.Aggregation.ROOT_SUM_OF_SQUARES), 1e-15);
        assertArrayEquals(new double[] {1, 7, 2}, g.merge(new double[] {1, 3, 4, 2}, TokenGroups.Aggregation.SUM));
        assertArrayEquals(new double[] {1, -4, 2}, g.merge(new double[] {1, 3, -4, 2},
                TokenGroups.Aggregation.SIGNED_MAX_MAGNITUDE));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TokenGroups.of(4, List.of(new int[] {1, 2}, new int[] {2, 3})));
        assertTrue(e.getMessage().contains("position 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TokenGroups.of(4, List.of(new int[] {4})));
        assertThrows(IllegalArgumentException.class, () -> g.merge(new double[3], TokenGroups.Aggregation.SUM));
    }

    @Test
    void inContextTextsKeepLeadingSpacesOfSentencePieceTokens() throws Exception {
        try (Tokenizer tok = Tokenizer.load(TestModels.stories())) {
            int[] ids = tok.encode("Once upon a time, 12 cats");
            List<String> pieces = TokenTexts.inContext(tok, ids);
            assertEquals(tok.decode(ids, false), String.join("", pieces));
            assertEquals(" upon", pieces.get(2));
            TokenGroups g = TokenGroups.wordsAndNumbers(pieces);
            List<String> labels = g.labels(pieces);
            assertTrue(labels.contains(" 12"), labels.toString());
            assertTrue(labels.contains(" cats"), labels.toString());
        }
    }
}
