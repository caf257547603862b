package org.mechinterp.core.train;

import java.util.Arrays;
import java.util.Objects;

/**
 * One causal-LM training example: {@code T + 1} token ids and, for each of the T next-token targets, the loss
 * group it counts in. Position {@code t} of the model input is {@code tokens[t]} and its target is
 * {@code tokens[t + 1]}, counted in group {@code targetGroups[t]} ({@value #IGNORED} = not in the loss, e.g.
 * padding or a prompt prefix; {@code 0..G-1} = one of the groups named in {@link TrainerConfig#groups()}, e.g.
 * "digit" and "separator"). Every group weighs 1 per token in the training loss; groups only split the reported
 * losses. Immutable (arrays are copied in and out).
 */
public final class TrainingSequence {
    /** Target group of positions left out of the loss. */
    public static final int IGNORED = -1;

    private final int[] tokens;
    private final int[] targetGroups;

    /**
     * @param tokens T + 1 token ids, T ≥ 1 (copied)
     * @param targetGroups T groups, each {@value #IGNORED} or ≥ 0 (copied)
     * @throws IllegalArgumentException for mismatched lengths, too short sequences, negative ids or bad groups
     */
    public TrainingSequence(int[] tokens, int[] targetGroups) {
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(targetGroups, "targetGroups");
        if (tokens.length < 2) {
            throw new IllegalArgumentException("a training sequence needs at least 2 tokens, got " + tokens.length);
        }
        if (targetGroups.length != tokens.length - 1) {
            throw new IllegalArgumentException("expected " + (tokens.length - 1) + " target groups for "
                    + tokens.length + " tokens, got " + targetGroups.length);
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0) {
                throw new IllegalArgumentException("negative token id " + tokens[i] + " at position " + i);
            }
        }
        for (int i = 0; i < targetGroups.length; i++) {
            if (targetGroups[i] < IGNORED) {
                throw new IllegalArgumentException("target group " + targetGroups[i] + " at position " + i
                        + " (use " + IGNORED + " to leave a target out)");
            }
        }
        this.tokens = tokens.clone();
        this.targetGroups = targetGroups.clone();
    }

    /**
     * A sequence whose every target counts in group 0.
     *
     * @param tokens T + 1 token ids, T ≥ 1 (copied)
     * @return a sequence whose every target counts in group 0
     */
    public static TrainingSequence allTargets(int[] tokens) {
        return new TrainingSequence(tokens, new int[Math.max(0, tokens.length - 1)]);
    }

    /**
     * Number of model inputs T (= number of targets).
     *
     * @return number of model inputs T (= number of targets)
     */
    public int length() {
        return targetGroups.length;
    }

    /**
     * The T + 1 tokens (a copy).
     *
     * @return the T + 1 tokens (a copy)
     */
    public int[] tokens() {
        return tokens.clone();
    }

    /**
     * The T model inputs {@code tokens[0..T)} (a copy).
     *
     * @return the T model inputs {@code tokens[0..T)} (a copy)
     */
    public int[] inputs() {
        return Arrays.copyOf(tokens, targetGroups.length);
    }

    /**
     * The T targets {@code tokens[1..T]} (a copy).
     *
     * @return the T targets {@code tokens[1..T]} (a copy)
     */
    public int[] targets() {
        return Arrays.copyOfRange(tokens, 1, tokens.length);
    }

    /**
     * The T target groups (a copy).
     *
     * @return the T target groups (a copy)
     */
    public int[] targetGroups() {
        return targetGroups.clone();
    }

    int token(int i) {
        return tokens[i];
    }

    int group(int t) {
        return targetGroups[t];
    }
}
