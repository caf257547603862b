package org.mechinterp.sae.train;

import java.util.SplittableRandom;
import org.mechinterp.sae.store.ActivationBatches;

/**
 * An {@link ActivationBatches} over rows held in memory [rows, d]: epochs of a seeded permutation (a new one per
 * epoch, derived from the seed and the epoch number), position {@code "epoch:offset"}. For tests, examples and
 * small data sets. The array is held, not copied; it must not change while in use.
 */
public final class InMemoryBatches implements ActivationBatches {
    private final float[] data;
    private final int rows;
    private final int dim;
    private final long seed;
    private int epoch;
    private int offset;
    private int[] order;

    /**
     * @param data rows [rows, d], row-major
     * @param seed shuffling seed
     * @param rows number of rows B_total, ≥ 1
     * @param dim row width d, ≥ 1
     */
    public InMemoryBatches(float[] data, int rows, int dim, long seed) {
        if (dim < 1 || rows < 1 || (long) rows * dim > data.length) {
            throw new IllegalArgumentException("need rows, d >= 1 and rows·d <= data length; got rows=" + rows
                    + ", d=" + dim + ", length=" + data.length);
        }
        this.data = data;
        this.rows = rows;
        this.dim = dim;
        this.seed = seed;
        this.order = permutation(0);
    }

    private int[] permutation(int e) {
        int[] p = new int[rows];
        for (int i = 0; i < rows; i++) {
            p[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + e);
        for (int i = rows - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    @Override
    public int dim() {
        return dim;
    }

    @Override
    public void next(float[] dst, int n) {
        if ((long) n * dim > dst.length) {
            throw new IllegalArgumentException("dst holds " + dst.length + " values, fewer than rows·d = " + n
                    + "·" + dim);
        }
        for (int i = 0; i < n; i++) {
            if (offset == rows) {
                epoch++;
                offset = 0;
                order = permutation(epoch);
            }
            System.arraycopy(data, order[offset++] * dim, dst, i * dim, dim);
        }
    }

    @Override
    public String position() {
        return epoch + ":" + offset;
    }

    @Override
    public void seek(String position) {
        String[] parts = position.split(":");
        try {
            int e = Integer.parseInt(parts[0]);
            int o = Integer.parseInt(parts[1]);
            if (parts.length != 2 || e < 0 || o < 0 || o > rows) {
                throw new NumberFormatException();
            }
            epoch = e;
            offset = o;
            order = permutation(e);
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException("invalid position '" + position + "' (expected epoch:offset with "
                    + "offset <= " + rows + ")");
        }
    }

    @Override
    public void close() {
        // nothing held outside the Java heap
    }
}
