package org.mechinterp.jacobian;

import java.util.ArrayList;
import java.util.List;
import org.mechinterp.core.tokenizer.Tokenizer;

/** Display texts of a prompt's tokens. */
public final class TokenTexts {
    private TokenTexts() {}

    /**
     * Each token's text as it appears in the decoded prompt, leading space included: piece τ is
     * decode(ids[0..τ]) minus decode(ids[0..τ−1]) (special tokens kept). Decoders that drop the leading space of a
     * lone token (SentencePiece) keep it here, which {@link TokenGroups#wordsAndNumbers} relies on. Falls back to
     * the token's own text where a prefix does not decode to a prefix (e.g. inside a multi-byte character).
     * O(T²) decoding: for prompts, not documents.
     *
     * @param tokenizer the tokenizer
     * @param ids the ids
     * @return each token's text as it appears in the decoded prompt, leading space included: piece τ is
     *     decode(ids[0..τ]) minus decode(ids[0..τ−1]) (special tokens kept)
     */
    public static List<String> inContext(Tokenizer tokenizer, int[] ids) {
        List<String> out = new ArrayList<>(ids.length);
        String previous = "";
        for (int i = 0; i < ids.length; i++) {
            String text = tokenizer.decode(java.util.Arrays.copyOf(ids, i + 1), false);
            if (text.startsWith(previous) && !previous.contains("\uFFFD")) {
                out.add(text.substring(previous.length()));
            } else {
                out.add(tokenizer.tokenText(ids[i]));
            }
            previous = text;
        }
        return out;
    }
}
