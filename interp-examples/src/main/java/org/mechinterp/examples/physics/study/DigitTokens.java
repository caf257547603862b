package org.mechinterp.examples.physics.study;

import java.util.Arrays;
import java.util.List;

import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.examples.physics.prompt.TokenInfo;
import org.mechinterp.examples.physics.prompt.TokenKind;
import org.mechinterp.examples.physics.prompt.TokenOffsets;

/**
 * The token ids of the ten digits of a digit-per-token vocabulary (Qwen, Llama-2 / SentencePiece with split
 * digits), found by encoding {@code ",0,1,...,9,"} and reading the tokens whose text is exactly one digit.
 */
public final class DigitTokens {

    private DigitTokens() {
    }

    /**
     * Finds the single-character token of each digit by encoding {@code ",0,1,...,9,"} and reading the offsets.
     *
     * @param tokenizer the model's tokenizer
     * @return {@code ids[d]} = the token of digit {@code d}, length 10
     * @throws IllegalArgumentException if some digit has no single-character token of its own (a vocabulary that
     *     merges digits, e.g. GPT-2 or Llama-3, cannot give digit-level distributions)
     */
    public static int[] of(Tokenizer tokenizer) {
        String text = ",0,1,2,3,4,5,6,7,8,9,";
        int[] ids = tokenizer.encode(text, false);
        int[][] spans = TokenOffsets.compute(tokenizer, text, ids);
        int[] digit = new int[10];
        Arrays.fill(digit, -1);
        for (int i = 0; i < ids.length; i++) {
            if (spans[i][1] - spans[i][0] == 1) {
                char c = text.charAt(spans[i][0]);
                if (c >= '0' && c <= '9') {
                    digit[c - '0'] = ids[i];
                }
            }
        }
        for (int d = 0; d < 10; d++) {
            if (digit[d] < 0) {
                throw new IllegalArgumentException("the tokenizer has no token of its own for the digit " + d
                        + " (it merges digits into multi-digit tokens); the physics study needs a digit-per-token "
                        + "vocabulary such as Qwen's or Llama-2's");
            }
        }
        return digit;
    }

    /**
     * Checks that every digit of the aligned series is a single {@link TokenKind#DIGIT} token with the expected id.
     *
     * @param trajectories encoded prompts with their token alignment; not modified
     * @param digitIds {@code digitIds[d]} = token id of digit {@code d}, from {@link #of}
     * @throws IllegalArgumentException naming the first token that is not
     */
    public static void verify(List<EncodedTrajectory> trajectories, int[] digitIds) {
        for (EncodedTrajectory t : trajectories) {
            String text = t.series().text();
            for (TokenInfo info : t.alignment().tokens()) {
                if (info.digitCount() == 0) {
                    continue;
                }
                if (info.kind() != TokenKind.DIGIT) {
                    throw new IllegalArgumentException("trajectory " + t.index() + " token " + info.index()
                            + " covers " + info.digitCount() + " digits (" + info.kind() + "); the study needs one "
                            + "token per digit");
                }
                int d = text.charAt(info.start() - t.alignment().seriesOffset()) - '0';
                if (digitIds[d] != info.id()) {
                    throw new IllegalArgumentException("trajectory " + t.index() + " token " + info.index()
                            + " is digit " + d + " with id " + info.id() + ", but the tokenizer's digit " + d
                            + " is id " + digitIds[d] + " (context-dependent digit tokens are not supported)");
                }
            }
        }
    }
}
