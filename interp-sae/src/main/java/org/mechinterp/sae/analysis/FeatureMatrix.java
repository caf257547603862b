package org.mechinterp.sae.analysis;

import java.util.Objects;

/**
 * A matrix of feature values over tokens, row-major {@code [rows, features]} in double precision, with the group
 * (a trajectory, a prompt) of each row. Rows of one group are contiguous; the group-permutation null of
 * {@link FeatureCorrelation} exchanges whole groups of equal length (in the physics study every trajectory has one
 * row per time step). Immutable by convention: the arrays are held, not copied; do not modify them.
 *
 * @param values {@code [rows * features]}
 * @param rows number of rows
 * @param features number of features (columns)
 * @param groups group index of each row, [rows]
 */
public record FeatureMatrix(double[] values, int rows, int features, int[] groups) {

    /**
     * Checks the shapes; the arrays are held, not copied.
     *
     * @param values {@code [rows * features]}, row-major
     * @param rows number of rows, ≥ 1
     * @param features number of features, ≥ 1
     * @param groups group index of each row, [rows]
     * @throws IllegalArgumentException if the lengths do not match rows and features
     */
    public FeatureMatrix {
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(groups, "groups");
        if (rows < 1 || features < 1 || (long) rows * features != values.length || groups.length != rows) {
            throw new IllegalArgumentException("feature matrix needs rows*features = values and one group per row;"
                    + " got rows " + rows + ", features " + features + ", values " + values.length + ", groups "
                    + groups.length);
        }
    }

    /**
     * Wraps float rows {@code [rows, d]}.
     *
     * @param x row-major floats; not modified (converted to double)
     * @param rows number of rows
     * @param d number of features per row
     * @param groups group index of each row, [rows] (held, not copied)
     * @return a new matrix holding the values as doubles
     */
    public static FeatureMatrix ofFloats(float[] x, int rows, int d, int[] groups) {
        double[] v = new double[rows * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = x[i];
        }
        return new FeatureMatrix(v, rows, d, groups);
    }

    /**
     * @param i row index
     * @param j feature index
     * @return value of feature {@code j} at row {@code i}
     */
    public double get(int i, int j) {
        return values[i * features + j];
    }

    /**
     * @param j feature index
     * @return a copy of column {@code j}
     */
    public double[] column(int j) {
        double[] c = new double[rows];
        for (int i = 0; i < rows; i++) {
            c[i] = values[i * features + j];
        }
        return c;
    }

    /**
     * @param directions k directions, each of length {@code features}; not modified
     * @param centre subtracted from each row before projecting ({@code [features]}), or null for none
     * @return projections onto directions {@code [k][features]}: a new {@code [rows, k]} matrix, same groups
     */
    public FeatureMatrix project(double[][] directions, double[] centre) {
        int k = directions.length;
        double[] out = new double[rows * k];
        for (int i = 0; i < rows; i++) {
            int o = i * features;
            for (int a = 0; a < k; a++) {
                double s = 0;
                double[] dir = directions[a];
                for (int j = 0; j < features; j++) {
                    s += (values[o + j] - (centre == null ? 0 : centre[j])) * dir[j];
                }
                out[i * k + a] = s;
            }
        }
        return new FeatureMatrix(out, rows, k, groups);
    }

    /** @return the float rows {@code [rows, features]} (for SAE encoding) */
    public float[] toFloats() {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        return f;
    }

    /**
     * Group-level features: per group (e.g. trajectory), the mean of each feature over its rows {@code from..end}
     * (e.g. time steps, in order). One row per group, group i = i.
     *
     * @param from first row within each group to include (e.g. skip the first steps, where little context is seen)
     * @return a new matrix [groups, features] of the pooled means
     * @throws IllegalArgumentException if groups differ in length or {@code from} is not below their length
     */
    public FeatureMatrix pooled(int from) {
        GroupBlocks blocks = GroupBlocks.of(groups);
        if (from < 0 || from >= blocks.length()) {
            throw new IllegalArgumentException("pooling from row " + from + " of groups with " + blocks.length()
                    + " rows");
        }
        int g = blocks.count();
        double[] out = new double[g * features];
        int[] ids = new int[g];
        int n = blocks.length() - from;
        for (int b = 0; b < g; b++) {
            ids[b] = b;
            for (int i = blocks.starts()[b] + from; i < blocks.starts()[b] + blocks.length(); i++) {
                for (int j = 0; j < features; j++) {
                    out[b * features + j] += values[i * features + j] / n;
                }
            }
        }
        return new FeatureMatrix(out, g, features, ids);
    }

    /** @return number of distinct contiguous groups; checks they are contiguous */
    public int groupCount() {
        return GroupBlocks.of(groups).count();
    }
}
