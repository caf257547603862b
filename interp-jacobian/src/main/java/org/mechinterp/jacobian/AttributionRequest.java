package org.mechinterp.jacobian;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One prompt to attribute: its token ids, the prediction position ℓ, the target token and the positions that get no
 * score. Immutable; build with {@link #builder()}.
 *
 * <p>Positions are indices into the unpadded prompt, 0..T−1. The prediction position ℓ is the token whose output
 * predicts the next token (default: the last one). Every token stays in the forward pass; excluded positions (BOS,
 * delimiters) and positions after ℓ (which cannot influence ℓ in a causal model) simply score 0.
 */
public final class AttributionRequest {
    /** {@link #target()} when the target is the top-1 prediction at ℓ, resolved by the model. */
    public static final int TOP_1 = -1;

    private final int[] tokens;
    private final int position;
    private final int target;
    private final BitSet excluded;
    private final List<String> tokenTexts;

    private AttributionRequest(int[] tokens, int position, int target, BitSet excluded, List<String> tokenTexts) {
        this.tokens = tokens;
        this.position = position;
        this.target = target;
        this.excluded = excluded;
        this.tokenTexts = tokenTexts;
    }

    /**
     * A new builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A request for {@code tokens} with every default: last position, top-1 target, nothing excluded.
     *
     * @param tokens the token ids
     * @return a request for {@code tokens} with every default: last position, top-1 target, nothing excluded
     */
    public static AttributionRequest of(int... tokens) {
        return builder().setTokens(tokens).build();
    }

    /**
     * The token ids (a copy), length T.
     *
     * @return the token ids (a copy), length T
     */
    public int[] tokens() {
        return tokens.clone();
    }

    /**
     * Number of tokens T.
     *
     * @return number of tokens T
     */
    public int length() {
        return tokens.length;
    }

    /**
     * Token id at {@code i}.
     *
     * @param i the index
     * @return token id at {@code i}
     */
    public int token(int i) {
        return tokens[i];
    }

    /**
     * The prediction position ℓ in [0, T).
     *
     * @return the prediction position ℓ in [0, T)
     */
    public int position() {
        return position;
    }

    /**
     * The target token id, or {@link #TOP_1}.
     *
     * @return the target token id, or {@link #TOP_1}
     */
    public int target() {
        return target;
    }

    /**
     * Whether position {@code i} gets a score: not excluded and not after ℓ.
     *
     * @param i the index
     * @return whether position {@code i} gets a score: not excluded and not after ℓ
     */
    public boolean isAttributable(int i) {
        return i >= 0 && i <= position && !excluded.get(i);
    }

    /**
     * The attributable positions in increasing order.
     *
     * @return the attributable positions in increasing order
     */
    public int[] attributablePositions() {
        int[] out = new int[position + 1];
        int n = 0;
        for (int i = 0; i <= position; i++) {
            if (!excluded.get(i)) {
                out[n++] = i;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * The excluded positions in increasing order.
     *
     * @return the excluded positions in increasing order
     */
    public int[] excludedPositions() {
        return excluded.stream().toArray();
    }

    /**
     * Display texts of the tokens (unmodifiable), or null when none were given.
     *
     * @return display texts of the tokens (unmodifiable), or null when none were given
     */
    public List<String> tokenTexts() {
        return tokenTexts;
    }

    /**
     * A copy with the target set (used to pin the resolved top-1).
     *
     * @param newTarget the new target
     * @return a copy with the target set (used to pin the resolved top-1)
     */
    public AttributionRequest withTarget(int newTarget) {
        return new AttributionRequest(tokens, position, newTarget, excluded, tokenTexts);
    }

    /**
     * Builder: {@code setTokens} is required; {@code opt*} have defaults.
     */
    public static final class Builder {
        private int[] tokens;
        private Integer position;
        private int target = TOP_1;
        private final BitSet excluded = new BitSet();
        private List<String> tokenTexts;

        private Builder() {}

        /**
         * The prompt's token ids (copied).
         *
         * @param ids the prompt's token ids (copied)
         * @return this builder
         */
        public Builder setTokens(int... ids) {
            this.tokens = Objects.requireNonNull(ids, "tokens").clone();
            return this;
        }

        /**
         * Prediction position ℓ (default: the last token). Negative values count from the end (−1 = last).
         *
         * @param p Prediction position ℓ (default: the last token)
         * @return this builder
         */
        public Builder optPosition(int p) {
            this.position = p;
            return this;
        }

        /**
         * Target token id (default: the top-1 prediction at ℓ).
         *
         * @param id Target token id (default: the top-1 prediction at ℓ)
         * @return this builder
         */
        public Builder optTarget(int id) {
            this.target = id;
            return this;
        }

        /**
         * Positions that get no score (e.g. 0 for BOS); may be called repeatedly.
         *
         * @param positions Positions that get no score (e.g. 0 for BOS); may be called repeatedly
         * @return this builder
         */
        public Builder optExclude(int... positions) {
            for (int p : positions) {
                if (p < 0) {
                    throw new IllegalArgumentException("excluded position " + p + " is negative");
                }
                excluded.set(p);
            }
            return this;
        }

        /**
         * Display texts, one per token (copied).
         *
         * @param texts Display texts, one per token (copied)
         * @return this builder
         */
        public Builder optTokenTexts(List<String> texts) {
            this.tokenTexts = Collections.unmodifiableList(new ArrayList<>(Objects.requireNonNull(texts, "texts")));
            return this;
        }

        /**
         * @return the validated request
         * @throws IllegalArgumentException for no or empty tokens, a position outside the prompt, a negative target
         *     other than {@link #TOP_1}, excluded positions outside the prompt, or texts of the wrong count
         */
        public AttributionRequest build() {
            if (tokens == null) {
                throw new IllegalArgumentException("tokens are required (setTokens)");
            }
            if (tokens.length == 0) {
                throw new IllegalArgumentException("empty prompt: no tokens to attribute");
            }
            int t = tokens.length;
            int p = position == null ? t - 1 : position < 0 ? t + position : position;
            if (p < 0 || p >= t) {
                throw new IllegalArgumentException("prediction position " + position + " is outside the prompt of "
                        + t + " tokens (valid: 0.." + (t - 1) + " or -" + t + "..-1)");
            }
            if (target < 0 && target != TOP_1) {
                throw new IllegalArgumentException("target token id " + target + " is negative");
            }
            if (excluded.length() > t) {
                throw new IllegalArgumentException("excluded position " + (excluded.length() - 1)
                        + " is outside the prompt of " + t + " tokens");
            }
            if (tokenTexts != null && tokenTexts.size() != t) {
                throw new IllegalArgumentException("got " + tokenTexts.size() + " token texts for " + t + " tokens");
            }
            BitSet ex = (BitSet) excluded.clone();
            return new AttributionRequest(tokens.clone(), p, target, ex, tokenTexts);
        }
    }
}
