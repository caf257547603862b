package org.mechinterp.core.generate;

import java.util.Arrays;

/** The prompts and generated tokens of a batch, per sequence; a finished sequence's tokens end at its stop token. */
public final class GenerationResult {
    private final int[][] prompts;
    private final int[][] newTokens;
    private final FinishReason[] reasons;

    GenerationResult(int[][] prompts, int[][] newTokens, FinishReason[] reasons) {
        this.prompts = prompts;
        this.newTokens = newTokens;
        this.reasons = reasons;
    }

    /**
     * The batch size.
     *
     * @return the batch size
     */
    public int batchSize() {
        return prompts.length;
    }

    /**
     * The prompt of sequence {@code b} (a copy).
     *
     * @param b the batch row
     * @return the prompt of sequence {@code b} (a copy)
     */
    public int[] prompt(int b) {
        return prompts[b].clone();
    }

    /**
     * The generated tokens of sequence {@code b}, its stop token included (a copy).
     *
     * @param b the batch row
     * @return the generated tokens of sequence {@code b}, its stop token included (a copy)
     */
    public int[] newTokens(int b) {
        return newTokens[b].clone();
    }

    /**
     * The prompt followed by the generated tokens of sequence {@code b}.
     *
     * @param b the batch row
     * @return the prompt followed by the generated tokens of sequence {@code b}
     */
    public int[] tokens(int b) {
        int[] all = Arrays.copyOf(prompts[b], prompts[b].length + newTokens[b].length);
        System.arraycopy(newTokens[b], 0, all, prompts[b].length, newTokens[b].length);
        return all;
    }

    /**
     * The finish reason.
     *
     * @param b the batch row
     * @return the finish reason
     */
    public FinishReason finishReason(int b) {
        return reasons[b];
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("GenerationResult[");
        for (int b = 0; b < prompts.length; b++) {
            s.append(b == 0 ? "" : "; ").append(Arrays.toString(newTokens[b])).append(' ').append(reasons[b]);
        }
        return s.append(']').toString();
    }
}
