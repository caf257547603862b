package org.mechinterp.examples.physics.prompt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.examples.physics.Trajectory;

/**
 * The exact map token ↔ time step ↔ component for a tokenised {@link SerializedSeries}, for any vocabulary:
 * digit-per-token (Qwen, Llama-2: each digit one {@link TokenKind#DIGIT} token), multi-digit chunks (GPT-2,
 * Llama-3: {@link TokenKind#VALUE} tokens with their first digit index and digit count), and tokens straddling
 * values or separators ({@link TokenKind#MIXED}, attributed to the first series character they cover).
 *
 * <p>Built from token ids and their character spans in the prompt text, where the series text starts at
 * {@code seriesOffset} (text before it, e.g. an instruction, and special tokens become {@link TokenKind#OTHER}).
 * Construction checks that every character of the series is covered by exactly one token. Immutable.
 */
public final class TokenAlignment {

    private final SerializedSeries series;
    private final int offset;
    private final int[] ids;
    private final List<TokenInfo> tokens;
    /** Token index covering each series character. */
    private final int[] charToken;

    private TokenAlignment(SerializedSeries series, int offset, int[] ids, List<TokenInfo> tokens,
            int[] charToken) {
        this.series = series;
        this.offset = offset;
        this.ids = ids;
        this.tokens = tokens;
        this.charToken = charToken;
    }

    /**
     * Tokenises {@code prefix + series.text()} and aligns it, with offsets from {@link TokenOffsets}.
     *
     * @param tokenizer the tokenizer (not closed here)
     * @param prefix text before the series (may be empty)
     * @param series the serialised series
     * @param addSpecialTokens whether to add the tokenizer's special tokens (BOS etc.)
     * @return the alignment; {@link #ids()} are the tokens to feed the model
     */
    public static TokenAlignment encode(Tokenizer tokenizer, String prefix, SerializedSeries series,
            boolean addSpecialTokens) {
        Objects.requireNonNull(prefix, "prefix");
        String prompt = prefix + series.text();
        int[] ids = tokenizer.encode(prompt, addSpecialTokens);
        return align(series, prefix.length(), ids, TokenOffsets.compute(tokenizer, prompt, ids));
    }

    /**
     * Aligns tokens with given character spans (e.g. from DJL's {@code Encoding.getCharTokenSpans()}).
     *
     * @param series the serialised series
     * @param seriesOffset character index in the prompt where {@code series.text()} starts
     * @param ids token ids; copied
     * @param spans {@code [ids.length][2]} start (inclusive) and end (exclusive) character of each token in the
     *     prompt; not modified
     * @return the alignment
     * @throws IllegalArgumentException if the spans are malformed, overlap, or leave a series character
     *     uncovered (the message names it)
     */
    public static TokenAlignment align(SerializedSeries series, int seriesOffset, int[] ids, int[][] spans) {
        Objects.requireNonNull(series, "series");
        Objects.requireNonNull(ids, "ids");
        Objects.requireNonNull(spans, "spans");
        if (ids.length != spans.length) {
            throw new IllegalArgumentException(ids.length + " ids but " + spans.length + " spans");
        }
        if (seriesOffset < 0) {
            throw new IllegalArgumentException("series offset must be >= 0, got " + seriesOffset);
        }
        int len = series.text().length();
        int[] charToken = new int[len];
        Arrays.fill(charToken, -1);
        List<TokenInfo> out = new ArrayList<>(ids.length);
        int prevEnd = 0;
        for (int i = 0; i < ids.length; i++) {
            int a = spans[i][0];
            int b = spans[i][1];
            if (a < 0 || b < a) {
                throw new IllegalArgumentException("token " + i + " has an invalid span [" + a + ", " + b + ")");
            }
            if (a < b && a < prevEnd) {
                throw new IllegalArgumentException("token " + i + " span [" + a + ", " + b
                        + ") overlaps the previous token (ending at " + prevEnd + ")");
            }
            if (a < b) {
                prevEnd = b;
            }
            int from = Math.max(a, seriesOffset) - seriesOffset;
            int to = Math.min(b, seriesOffset + len) - seriesOffset;
            if (from >= to) {
                out.add(new TokenInfo(i, ids[i], a, b, TokenKind.OTHER, -1, -1, -1, 0));
                continue;
            }
            boolean inside = a >= seriesOffset && b <= seriesOffset + len;
            int digits = 0;
            boolean sameValue = true;
            boolean sameSep = true;
            CharKind firstKind = series.charKind(from);
            int firstStep = series.charStep(from);
            int firstComp = series.charComponent(from);
            for (int k = from; k < to; k++) {
                charToken[k] = i;
                CharKind ck = series.charKind(k);
                if (ck == CharKind.DIGIT) {
                    digits++;
                }
                boolean sameStepComp = series.charStep(k) == firstStep && series.charComponent(k) == firstComp;
                sameValue &= ck == CharKind.DIGIT && firstKind == CharKind.DIGIT && sameStepComp;
                sameSep &= ck != CharKind.DIGIT && ck == firstKind && sameStepComp;
            }
            TokenKind kind;
            int digitIndex = -1;
            if (inside && sameValue) {
                kind = digits == 1 ? TokenKind.DIGIT : TokenKind.VALUE;
                digitIndex = series.charDigit(from);
            } else if (inside && sameSep) {
                kind = firstKind == CharKind.STEP_SEP ? TokenKind.STEP_SEP : TokenKind.COMPONENT_SEP;
            } else {
                kind = TokenKind.MIXED;
            }
            out.add(new TokenInfo(i, ids[i], a, b, kind, firstStep, firstComp, digitIndex, digits));
        }
        for (int k = 0; k < len; k++) {
            if (charToken[k] < 0) {
                throw new IllegalArgumentException("series character " + k + " ('" + series.text().charAt(k) + "', "
                        + series.charKind(k) + " of step " + series.charStep(k) + ") is covered by no token");
            }
        }
        return new TokenAlignment(series, seriesOffset, ids.clone(), Collections.unmodifiableList(out),
                charToken);
    }

    /** @return the series */
    public SerializedSeries series() {
        return series;
    }

    /** @return where the series starts in the prompt text */
    public int seriesOffset() {
        return offset;
    }

    /** @return a copy of the token ids */
    public int[] ids() {
        return ids.clone();
    }

    /** @return number of tokens */
    public int size() {
        return tokens.size();
    }

    /** @return all tokens in order (unmodifiable) */
    public List<TokenInfo> tokens() {
        return tokens;
    }

    /**
     * One token of the prompt.
     *
     * @param i token index, in {@code [0, tokens().size())}
     * @return token {@code i} with its text, kind, step and component
     */
    public TokenInfo token(int i) {
        return tokens.get(i);
    }

    /**
     * Maps a character of the series text to its token.
     *
     * @param k character index into the series text
     * @return the index of the token covering character {@code k}
     */
    public int tokenOfChar(int k) {
        return charToken[k];
    }

    /**
     * @param step a serialised step (trajectory numbering)
     * @return indices of the tokens covering any character of that step (its values and separators), ascending
     */
    public int[] tokensOfStep(int step) {
        int first = tokenOfChar(series.valueStart(step, 0));
        int last = closingToken(step);
        int[] out = new int[last - first + 1];
        for (int i = 0; i < out.length; i++) {
            out[i] = first + i;
        }
        return out;
    }

    /**
     * @param step a serialised step
     * @return the token covering the step's last character: its closing separator, or its last digit when it
     *     has none (the final step without trailing separator). At this token the model has read the whole step,
     *     the natural position for reading out per-step quantities.
     */
    public int closingToken(int step) {
        int end = series.valueEnd(step, series.components() - 1);
        boolean hasSep = end < series.text().length() && series.charKind(end) == CharKind.STEP_SEP
                && series.charStep(end) == step;
        int last = end - 1;
        if (hasSep) {
            last = end + series.format().stepSeparator().length() - 1;
        }
        return charToken[last];
    }

    /**
     * The token at which a value has been read completely.
     *
     * @param step a serialised step (trajectory numbering)
     * @param component component index
     * @return the index of the token holding the last digit of value ({@code step}, {@code component})
     */
    public int lastDigitToken(int step, int component) {
        return charToken[series.valueEnd(step, component) - 1];
    }

    /** @return per token, its time step (-1 for {@link TokenKind#OTHER}) */
    public int[] steps() {
        int[] s = new int[tokens.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = tokens.get(i).step();
        }
        return s;
    }

    /**
     * @param trajectory the trajectory the series was made from (same step numbering)
     * @param quantity a quantity name, e.g. {@code "E"}
     * @return per token, the quantity at its time step ({@code NaN} for tokens without one)
     * @throws IllegalArgumentException for an unknown quantity or a trajectory too short for the series
     */
    public double[] quantity(Trajectory trajectory, String quantity) {
        if (trajectory.steps() < series.endStep()) {
            throw new IllegalArgumentException("trajectory has " + trajectory.steps()
                    + " steps but the series reaches step " + (series.endStep() - 1));
        }
        double[] q = trajectory.quantity(quantity);
        double[] out = new double[tokens.size()];
        for (int i = 0; i < out.length; i++) {
            int s = tokens.get(i).step();
            out[i] = s < 0 ? Double.NaN : q[s];
        }
        return out;
    }
}
