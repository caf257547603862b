package org.mechinterp.jacobian;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A partition of a prompt's positions 0..T−1 into consecutive or arbitrary groups (the tokens of one word, the digits
 * of one number), used to merge token scores into one score per group. Immutable.
 *
 * <p>Merging: {@link Aggregation#ROOT_SUM_OF_SQUARES} for norm scores (√Σ s², the norm of the concatenated
 * gradients), {@link Aggregation#SUM} for squared-norm or additive scores (Fisher, attention, KL),
 * {@link Aggregation#SIGNED_MAX_MAGNITUDE} for signed scores.
 */
public final class TokenGroups {
    /** How the scores of one group combine. */
    public enum Aggregation {
        /** √Σ s²: the norm of the concatenated per-token vectors (for norm scores). */
        ROOT_SUM_OF_SQUARES,
        /** Σ s: for squared-norm or additive scores. */
        SUM,
        /** The member score of largest magnitude, sign kept: for signed scores. */
        SIGNED_MAX_MAGNITUDE;

        double combine(double[] scores, int[] members) {
            double acc = 0;
            for (int i : members) {
                double s = scores[i];
                switch (this) {
                    case ROOT_SUM_OF_SQUARES -> acc += s * s;
                    case SUM -> acc += s;
                    case SIGNED_MAX_MAGNITUDE -> acc = Math.abs(s) > Math.abs(acc) ? s : acc;
                    default -> throw new IllegalStateException(name());
                }
            }
            return this == ROOT_SUM_OF_SQUARES ? Math.sqrt(acc) : acc;
        }
    }

    private final int length;
    private final List<int[]> groups;

    private TokenGroups(int length, List<int[]> groups) {
        this.length = length;
        this.groups = groups;
    }

    /**
     * Every position alone.
     *
     * @param length the length
     * @return every position alone
     */
    public static TokenGroups singletons(int length) {
        List<int[]> g = new ArrayList<>();
        for (int i = 0; i < length; i++) {
            g.add(new int[] {i});
        }
        return new TokenGroups(length, Collections.unmodifiableList(g));
    }

    /**
     * Explicit groups; positions not mentioned become groups of their own. Groups are ordered by their first
     * position.
     *
     * @param length the length
     * @param groups the groups
     * @return explicit groups; positions not mentioned become groups of their own
     * @throws IllegalArgumentException for empty groups, positions outside [0, length) or positions in two groups
     */
    public static TokenGroups of(int length, List<int[]> groups) {
        Objects.requireNonNull(groups, "groups");
        int[] owner = new int[length];
        java.util.Arrays.fill(owner, -1);
        List<int[]> all = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            int[] members = groups.get(g).clone();
            if (members.length == 0) {
                throw new IllegalArgumentException("group " + g + " is empty");
            }
            java.util.Arrays.sort(members);
            for (int p : members) {
                if (p < 0 || p >= length) {
                    throw new IllegalArgumentException("group " + g + " contains position " + p
                            + ", outside the prompt of " + length + " tokens");
                }
                if (owner[p] >= 0) {
                    throw new IllegalArgumentException("position " + p + " is in group " + owner[p] + " and group "
                            + g);
                }
                owner[p] = g;
            }
            all.add(members);
        }
        for (int i = 0; i < length; i++) {
            if (owner[i] < 0) {
                all.add(new int[] {i});
            }
        }
        all.sort((a, b) -> Integer.compare(a[0], b[0]));
        return new TokenGroups(length, Collections.unmodifiableList(all));
    }

    /**
     * Groups consecutive pieces of one word or one number. {@code pieces} are the tokens' texts as they appear in
     * the decoded prompt (see {@link TokenTexts#inContext}) or raw vocabulary pieces. A token continues the
     * previous group when it does not start with whitespace, '▁' (SentencePiece) or 'Ġ' (byte-level BPE), starts
     * with a letter or digit, and the previous piece ends with a letter or digit (so "12" + "3" and "un" + "believ"
     * merge, while "(" + "a" and "word" + "." do not). A decimal point between digits joins the number ("1", ".",
     * "5"), and a bare space token joins the token after it.
     *
     * @param pieces the pieces
     * @return the token groups
     */
    public static TokenGroups wordsAndNumbers(List<String> pieces) {
        List<int[]> groups = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        for (int i = 0; i < pieces.size(); i++) {
            boolean continues = i > 0 && continuesWord(pieces, i);
            if (!continues && !current.isEmpty()) {
                groups.add(current.stream().mapToInt(Integer::intValue).toArray());
                current.clear();
            }
            current.add(i);
        }
        if (!current.isEmpty()) {
            groups.add(current.stream().mapToInt(Integer::intValue).toArray());
        }
        return new TokenGroups(pieces.size(), Collections.unmodifiableList(groups));
    }

    private static boolean continuesWord(List<String> pieces, int i) {
        String previous = piece(pieces, i - 1);
        String piece = piece(pieces, i);
        if (previous.isEmpty() || piece.isEmpty()) {
            return false;
        }
        if (previous.codePoints().allMatch(c -> Character.isWhitespace(c) || c == '▁' || c == 'Ġ')) {
            return true; // a bare space token belongs to the word it precedes
        }
        int first = piece.codePointAt(0);
        int last = previous.codePointBefore(previous.length());
        if (piece.equals(".") && Character.isDigit(last)) {
            // a decimal point inside a number: only when a digit follows
            String next = piece(pieces, i + 1);
            return !next.isEmpty() && Character.isDigit(next.codePointAt(0));
        }
        if (Character.isDigit(first) && previous.equals(".") && i >= 2) {
            String before = piece(pieces, i - 2);
            return !before.isEmpty() && Character.isDigit(before.codePointBefore(before.length()));
        }
        if (Character.isWhitespace(first) || first == '▁' || first == 'Ġ' || !Character.isLetterOrDigit(first)) {
            return false;
        }
        return Character.isLetterOrDigit(last);
    }

    private static String piece(List<String> pieces, int i) {
        return i < 0 || i >= pieces.size() || pieces.get(i) == null ? "" : pieces.get(i);
    }

    /**
     * Number of positions covered.
     *
     * @return number of positions covered
     */
    public int length() {
        return length;
    }

    /**
     * Number of groups.
     *
     * @return number of groups
     */
    public int size() {
        return groups.size();
    }

    /**
     * The positions of group {@code g}, sorted (a copy).
     *
     * @param g the g
     * @return the positions of group {@code g}, sorted (a copy)
     */
    public int[] members(int g) {
        return groups.get(g).clone();
    }

    /**
     * One score per group.
     *
     * @param scores one score per position (not modified)
     * @param aggregation the aggregation
     * @return one score per group
     * @throws IllegalArgumentException if the lengths differ
     */
    public double[] merge(double[] scores, Aggregation aggregation) {
        if (scores.length != length) {
            throw new IllegalArgumentException("got " + scores.length + " scores for groups over " + length
                    + " positions");
        }
        double[] out = new double[groups.size()];
        for (int g = 0; g < out.length; g++) {
            out[g] = aggregation.combine(scores, groups.get(g));
        }
        return out;
    }

    /**
     * The group labels: the members' texts concatenated (texts not modified).
     *
     * @param texts the texts
     * @return the group labels: the members' texts concatenated (texts not modified)
     */
    public List<String> labels(List<String> texts) {
        if (texts.size() != length) {
            throw new IllegalArgumentException("got " + texts.size() + " texts for groups over " + length
                    + " positions");
        }
        List<String> out = new ArrayList<>();
        for (int[] g : groups) {
            StringBuilder sb = new StringBuilder();
            for (int i : g) {
                sb.append(texts.get(i) == null ? "?" : texts.get(i));
            }
            out.add(sb.toString());
        }
        return out;
    }
}
