package org.mechinterp.examples.physics.prompt;

import java.util.Arrays;
import java.util.Objects;
import org.mechinterp.core.tokenizer.Tokenizer;

/**
 * Character spans of tokens, recovered by decoding: the core {@link Tokenizer} exposes ids but not offsets, so
 * token {@code i}'s text is {@code decode(ids[lo..i]) minus decode(ids[lo..i-1])} over a short window
 * {@code lo = i - 8} (the window absorbs decoders that treat the first token of a sequence specially, such as
 * SentencePiece's leading-space strip). Special tokens are decoded as skipped and get empty spans.
 *
 * <p>The spans are verified: consecutive, non-overlapping, and their concatenation must equal the text exactly;
 * otherwise an exception names the first token that does not line up (e.g. text the tokenizer normalises, or
 * a multi-byte character split across byte-level tokens; digits and ASCII separators always line up).
 */
public final class TokenOffsets {

    private static final int WINDOW = 8;

    private TokenOffsets() {
    }

    /**
     * @param tokenizer the tokenizer that produced {@code ids} from {@code text}
     * @param text the encoded text
     * @param ids its tokens (with or without special tokens); not modified
     * @return {@code [ids.length][2]}: start (inclusive) and end (exclusive) character of each token
     * @throws IllegalArgumentException if the decoded tokens do not reproduce {@code text}
     */
    public static int[][] compute(Tokenizer tokenizer, String text, int[] ids) {
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(ids, "ids");
        int[][] spans = new int[ids.length][2];
        int pos = 0;
        for (int i = 0; i < ids.length; i++) {
            int lo = Math.max(0, i - WINDOW);
            String before = i == lo ? "" : tokenizer.decode(Arrays.copyOfRange(ids, lo, i), true);
            String with = tokenizer.decode(Arrays.copyOfRange(ids, lo, i + 1), true);
            if (!with.startsWith(before)) {
                throw new IllegalArgumentException("token " + i + " (id " + ids[i]
                        + ") changes the decoding of the tokens before it; offsets cannot be recovered by decoding");
            }
            String piece = with.substring(before.length());
            if (!text.startsWith(piece, pos)) {
                String found = text.substring(pos, Math.min(text.length(), pos + Math.max(piece.length(), 1)));
                throw new IllegalArgumentException("token " + i + " (id " + ids[i] + ") decodes to '" + piece
                        + "' but the text at char " + pos + " is '" + found + "'");
            }
            spans[i][0] = pos;
            pos += piece.length();
            spans[i][1] = pos;
        }
        if (pos != text.length()) {
            throw new IllegalArgumentException("the tokens decode to the first " + pos + " of " + text.length()
                    + " characters of the text");
        }
        return spans;
    }
}
