package org.mechinterp.examples.physics.prompt;

/**
 * What one token of a tokenised series covers.
 *
 * @param index token position in the sequence
 * @param id token id
 * @param start first character (inclusive) in the prompt text
 * @param end last character (exclusive); {@code start == end} for special tokens
 * @param kind what the token covers
 * @param step time step of the first series character covered (trajectory numbering), -1 if none
 * @param component component of that character (-1 for step separators and {@link TokenKind#OTHER})
 * @param digitIndex for {@link TokenKind#DIGIT} and {@link TokenKind#VALUE}: index within the value of the first
 *     digit covered, most significant = 0; otherwise -1
 * @param digitCount number of digit characters covered (of any value)
 */
public record TokenInfo(int index, int id, int start, int end, TokenKind kind, int step, int component,
        int digitIndex, int digitCount) {

    /** @return whether the token covers a time step */
    public boolean hasStep() {
        return step >= 0;
    }
}
