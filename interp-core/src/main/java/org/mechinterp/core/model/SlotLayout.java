package org.mechinterp.core.model;

import java.util.Arrays;

/**
 * Where the tokens of one forward call sit: each row has {@code padding(b)} left-padded slots, then real tokens; the
 * call's queries are the last {@link #queryLength()} of {@link #keyLength()} key slots (the earlier ones, if any,
 * are in a {@link KvCache}). Slot s of row b holds position {@code s - padding(b)}, so a row's activations do not
 * depend on its padding.
 */
final class SlotLayout {
    private final int[] padding;
    private final int past;
    private final int queryLength;

    SlotLayout(int[] padding, int past, int queryLength) {
        this.padding = padding.clone();
        this.past = past;
        this.queryLength = queryLength;
    }

    /** The layout of a whole batch run without a cache. */
    static SlotLayout of(TokenBatch batch) {
        int[] padding = new int[batch.batchSize()];
        Arrays.setAll(padding, batch::padding);
        return new SlotLayout(padding, 0, batch.length());
    }

    int batchSize() {
        return padding.length;
    }

    int padding(int b) {
        return padding[b];
    }

    /** Slots already cached before this call. */
    int past() {
        return past;
    }

    /** New slots (queries) in this call. */
    int queryLength() {
        return queryLength;
    }

    /** All key slots: cached plus new. */
    int keyLength() {
        return past + queryLength;
    }

    boolean isPadded() {
        return Arrays.stream(padding).anyMatch(p -> p > 0);
    }

    boolean isReal(int b, int slot) {
        return slot >= padding[b];
    }

    /** Position id of a slot: its index among the row's real tokens, 0 in padding. */
    int position(int b, int slot) {
        return Math.max(0, slot - padding[b]);
    }

    /** Position ids of the new slots, row-major [B*Tq]. */
    long[] queryPositions() {
        long[] pos = new long[padding.length * queryLength];
        for (int b = 0; b < padding.length; b++) {
            for (int j = 0; j < queryLength; j++) {
                pos[b * queryLength + j] = position(b, past + j);
            }
        }
        return pos;
    }

    /** Number of mask rows: one per sequence when padded, else one shared by all. */
    int maskRows() {
        return isPadded() ? padding.length : 1;
    }

    /**
     * Additive attention mask [maskRows, 1, Tq, K], row-major: 0 where query slot i may attend to key slot j,
     * {@code masked} elsewhere. A real query sees real keys j ≤ i, and with a sliding window {@code w > 0} only those
     * with {@code j > i - w} (HF's {@code sliding_window_overlay}; slot distance equals position distance between real
     * tokens). A padded query sees itself only, so its unused row stays finite.
     */
    float[] additiveMask(int window, float masked) {
        int rows = maskRows();
        int keys = keyLength();
        float[] mask = new float[rows * queryLength * keys];
        Arrays.fill(mask, masked);
        for (int b = 0; b < rows; b++) {
            for (int q = 0; q < queryLength; q++) {
                int i = past + q;
                int base = (b * queryLength + q) * keys;
                if (!isReal(b, i)) {
                    mask[base + i] = 0f;
                    continue;
                }
                int from = Math.max(padding[b], window > 0 ? i - window + 1 : 0);
                Arrays.fill(mask, base + from, base + i + 1, 0f);
            }
        }
        return mask;
    }
}
