package org.mechinterp.core.model;

import java.util.Arrays;

/**
 * A batch of token sequences, left-padded to a common length T, with its attention mask.
 *
 * <p>Position ids follow the mask: a sequence's first real token is at position 0 whatever its padding, so a
 * padded sequence gets the same activations at its real tokens as when run alone. Padded slots hold
 * {@link #PAD_ID} and are never attended to. Immutable.
 */
public final class TokenBatch {
    /** The id stored in padded slots (never embedded in a way that reaches real tokens). */
    public static final int PAD_ID = 0;

    private final int[][] ids;
    private final int[] padding;

    private TokenBatch(int[][] ids, int[] padding) {
        this.ids = ids;
        this.padding = padding;
    }

    /**
     * One sequence.
     *
     * @param tokens the token ids
     * @return one sequence
     * @throws IllegalArgumentException if {@code tokens} is empty ("empty prompt")
     */
    public static TokenBatch of(int... tokens) {
        return of(new int[][] {tokens});
    }

    /**
     * Several sequences, left-padded to the longest.
     *
     * @param sequences the sequences
     * @return several sequences, left-padded to the longest
     * @throws IllegalArgumentException if there are no sequences or one of them is empty
     */
    public static TokenBatch of(int[][] sequences) {
        if (sequences.length == 0) {
            throw new IllegalArgumentException("empty batch: no sequences");
        }
        int t = 0;
        for (int i = 0; i < sequences.length; i++) {
            if (sequences[i] == null || sequences[i].length == 0) {
                throw new IllegalArgumentException("empty prompt: sequence " + i + " has no tokens");
            }
            t = Math.max(t, sequences[i].length);
        }
        int[][] ids = new int[sequences.length][t];
        int[] padding = new int[sequences.length];
        for (int i = 0; i < sequences.length; i++) {
            padding[i] = t - sequences[i].length;
            System.arraycopy(sequences[i], 0, ids[i], padding[i], sequences[i].length);
        }
        return new TokenBatch(ids, padding);
    }

    /**
     * Number of sequences B.
     *
     * @return number of sequences B
     */
    public int batchSize() {
        return ids.length;
    }

    /**
     * Padded length T.
     *
     * @return padded length T
     */
    public int length() {
        return ids[0].length;
    }

    /**
     * Number of padded slots at the start of sequence {@code b}.
     *
     * @param b the batch row
     * @return number of padded slots at the start of sequence {@code b}
     */
    public int padding(int b) {
        return padding[b];
    }

    /**
     * True if any sequence is padded.
     *
     * @return true if any sequence is padded
     */
    public boolean isPadded() {
        return Arrays.stream(padding).anyMatch(p -> p > 0);
    }

    /**
     * Token at slot {@code t} of sequence {@code b} ({@link #PAD_ID} in padding).
     *
     * @param b the batch row
     * @param t the t
     * @return token at slot {@code t} of sequence {@code b} ({@link #PAD_ID} in padding)
     */
    public int token(int b, int t) {
        return ids[b][t];
    }

    /**
     * The unpadded tokens of sequence {@code b} (a copy).
     *
     * @param b the batch row
     * @return the unpadded tokens of sequence {@code b} (a copy)
     */
    public int[] sequence(int b) {
        return Arrays.copyOfRange(ids[b], padding[b], ids[b].length);
    }

    /**
     * Position id of slot {@code t} in sequence {@code b}: its index among real tokens, 0 in padding.
     *
     * @param b the batch row
     * @param t the t
     * @return position id of slot {@code t} in sequence {@code b}: its index among real tokens, 0 in padding
     */
    public int position(int b, int t) {
        return Math.max(0, t - padding[b]);
    }

    /**
     * Whether slot {@code t} of sequence {@code b} holds a real token.
     *
     * @param b the batch row
     * @param t the t
     * @return whether slot {@code t} of sequence {@code b} holds a real token
     */
    public boolean isReal(int b, int t) {
        return t >= padding[b];
    }

    /**
     * The ids as a row-major [B*T] array of longs, ready for an index tensor.
     *
     * @return the ids as a row-major [B*T] array of longs, ready for an index tensor
     */
    public long[] flatIds() {
        int t = length();
        long[] flat = new long[ids.length * t];
        for (int b = 0; b < ids.length; b++) {
            for (int j = 0; j < t; j++) {
                flat[b * t + j] = ids[b][j];
            }
        }
        return flat;
    }

    /**
     * Checks every real token against the vocabulary.
     *
     * @param vocabSize the vocabulary size
     * @throws IllegalArgumentException naming the first token id outside [0, vocabSize)
     */
    public void requireInVocabulary(int vocabSize) {
        for (int b = 0; b < ids.length; b++) {
            for (int j = padding[b]; j < ids[b].length; j++) {
                int id = ids[b][j];
                if (id < 0 || id >= vocabSize) {
                    throw new IllegalArgumentException("token id " + id + " at position " + (j - padding[b])
                            + (ids.length > 1 ? " of sequence " + b : "") + " is outside the vocabulary [0, "
                            + vocabSize + ")");
                }
            }
        }
    }
}
