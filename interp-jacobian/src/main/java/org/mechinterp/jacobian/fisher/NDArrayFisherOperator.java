package org.mechinterp.jacobian.fisher;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;

/**
 * {@link FisherOperator} whose products are two GEMMs on the engine, in the unembedding's precision (float32 for
 * real models): for a block X [b,D], A = X·W_U [b,V], A ← p ⊙ (A − A·p) (row-wise centring), F·X = A·W_Uᵀ [b,D].
 * W_U is borrowed, never copied: this is the operator for large vocabularies (V = 32k–128k).
 *
 * <p>Ownership: the operator owns a sub-manager of W_U's manager holding p, μ and a transposed view of W_U; each
 * product runs in its own sub-manager closed before it returns. Close the operator before the model.
 */
public final class NDArrayFisherOperator implements FisherOperator {
    private final NDManager manager;
    private final NDArray w;
    private final NDArray wt;
    private final NDArray pRow;
    private final NDArray pCol;
    private final NDArray sqrtP;
    private final NDArray mu;
    private final int d;
    private final int v;
    private final DataType type;

    /**
     * @param unembed W_U [D,V] (borrowed; not modified)
     * @param p probabilities over the V tokens (copied; must be a distribution)
     * @throws IllegalArgumentException on mismatched shapes or an invalid distribution
     */
    public NDArrayFisherOperator(NDArray unembed, double[] p) {
        this(unembed, p, null);
    }

    /**
     * The metric of logits ℓ(y) with Jacobian diag(s)·W_Uᵀ (soft-capped logits): W_U·diag(s), made once in this
     * operator's own memory, in place of W_U.
     *
     * @param unembed W_U [D,V] (borrowed; not modified)
     * @param p probabilities over the V tokens (copied; must be a distribution)
     * @param slopes ∂ℓ_v/∂z_v per token, or null for plain logits
     */
    public NDArrayFisherOperator(NDArray unembed, double[] p, double[] slopes) {
        Objects.requireNonNull(unembed, "unembed");
        Objects.requireNonNull(p, "p");
        Shape s = unembed.getShape();
        if (s.dimension() != 2) {
            throw new IllegalArgumentException("unembedding must be [D,V], got " + s);
        }
        this.d = Math.toIntExact(s.get(0));
        this.v = Math.toIntExact(s.get(1));
        if (p.length != v) {
            throw new IllegalArgumentException("got " + p.length + " probabilities for a vocabulary of " + v);
        }
        Probabilities.check(p);
        if (slopes != null && slopes.length != v) {
            throw new IllegalArgumentException("got " + slopes.length + " slopes for a vocabulary of " + v);
        }
        this.type = unembed.getDataType();
        this.manager = unembed.getManager().newSubManager();
        try {
            NDArray scaled = unembed;
            if (slopes != null) {
                scaled = unembed.mul(create(manager, slopes, new Shape(1, v)));          // [D,V]·diag(s)
                scaled.attach(manager);
            }
            this.w = scaled;
            NDArray t = scaled.transpose();
            t.attach(manager);
            this.wt = t;
            this.pRow = create(manager, p, new Shape(1, v));
            this.pCol = pRow.reshape(v, 1);
            this.sqrtP = pRow.sqrt();
            this.mu = pRow.matMul(wt); // [1,D]
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    @Override
    public int dimension() {
        return d;
    }

    @Override
    public int vocabularySize() {
        return v;
    }

    @Override
    public double[][] apply(double[][] block) {
        try (NDManager call = manager.newSubManager()) {
            NDArray x = create(call, flatten(block, d), new Shape(block.length, d));
            NDArray a = x.matMul(w);                          // [b,V]
            NDArray centred = a.sub(a.matMul(pCol)).mul(pRow); // p ⊙ (a − ā)
            return rows(centred.matMul(wt), block.length);    // [b,D]
        }
    }

    @Override
    public double[][] factorTranspose(double[][] zeta) {
        try (NDManager call = manager.newSubManager()) {
            NDArray z = create(call, flatten(zeta, v), new Shape(zeta.length, v));
            NDArray c = z.mul(sqrtP);                  // ζ ⊙ √p  [b,V]
            NDArray y = c.matMul(wt).sub(c.sum(new int[] {1}, true).matMul(mu));
            return rows(y, zeta.length);
        }
    }

    @Override
    public double relativePrecision() {
        return type == DataType.FLOAT64 ? 1e-14 : 1e-6;
    }

    @Override
    public void close() {
        manager.close();
    }

    private double[][] rows(NDArray y, int b) {
        double[] flat = y.toType(DataType.FLOAT64, false).toDoubleArray();
        double[][] out = new double[b][];
        for (int r = 0; r < b; r++) {
            out[r] = java.util.Arrays.copyOfRange(flat, r * d, (r + 1) * d);
        }
        return out;
    }

    private static double[] flatten(double[][] rows, int n) {
        double[] flat = new double[rows.length * n];
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length != n) {
                throw new IllegalArgumentException("vector of length " + rows[r].length + ", expected " + n);
            }
            System.arraycopy(rows[r], 0, flat, r * n, n);
        }
        return flat;
    }

    private NDArray create(NDManager m, double[] values, Shape shape) {
        if (type == DataType.FLOAT64) {
            return m.create(values, shape);
        }
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        NDArray a = m.create(f, shape);
        return type == DataType.FLOAT32 ? a : a.toType(type, false);
    }
}
