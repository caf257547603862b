package org.mechinterp.sae.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mechinterp.sae.train.simd.VectorRowKernels;

/**
 * The vector row kernels give the scalar kernels' bits, for every length (tails included), offset and a wide range
 * of magnitudes, and the test JVM (started with jdk.incubator.vector) really runs the vector ones.
 */
class RowKernelsTest {
    private final RowKernels.Impl scalar = new ScalarRowKernels();
    private final VectorRowKernels vector = new VectorRowKernels();

    @Test
    void testJvmRunsTheVectorKernels() {
        // surefire adds --add-modules jdk.incubator.vector; on a machine without 256-bit vectors, or in the
        // scalar-kernels execution (-Dinterp.vectorKernels=false), the scalar code runs
        boolean off = !Boolean.parseBoolean(System.getProperty("interp.vectorKernels", "true"));
        assertEquals(vector.isFast() && !off ? "vector" : "scalar", RowKernels.implementation());
    }

    @Test
    void dotIsBitIdenticalForEveryLengthAndOffset() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int len = 0; len <= 70; len++) {
            for (int trial = 0; trial < 20; trial++) {
                float[] a = randomRow(rnd, len + 9);
                float[] b = randomRow(rnd, len + 9);
                int ao = rnd.nextInt(9);
                int bo = rnd.nextInt(9);
                float s = scalar.dot(a, ao, b, bo, len);
                float v = vector.dot(a, ao, b, bo, len);
                assertEquals(Float.floatToRawIntBits(s), Float.floatToRawIntBits(v),
                        "len " + len + " offsets " + ao + "," + bo + ": " + s + " vs " + v);
            }
        }
    }

    @Test
    void axpyIsBitIdenticalForEveryLengthAndOffset() {
        SplittableRandom rnd = new SplittableRandom(12);
        for (int len = 0; len <= 70; len++) {
            float[] x = randomRow(rnd, len + 9);
            float[] y = randomRow(rnd, len + 9);
            float a = (float) rnd.nextGaussian();
            int xo = rnd.nextInt(9);
            int yo = rnd.nextInt(9);
            float[] ys = y.clone();
            float[] yv = y.clone();
            scalar.axpy(a, x, xo, ys, yo, len);
            vector.axpy(a, x, xo, yv, yo, len);
            assertArrayEquals(ys, yv, "axpy len " + len);
        }
    }

    /** Every count (the 8-, 4- and 1-row passes and their mixes) gives the bits of successive axpy calls. */
    @Test
    void axpyRowsIsBitIdenticalToSuccessiveAxpyCalls() {
        SplittableRandom rnd = new SplittableRandom(13);
        for (int count = 0; count <= 21; count++) {
            for (int len : new int[] {0, 1, 7, 8, 9, 31, 64, 67}) {
                int rows = count + 3;
                float[] x = randomRow(rnd, rows * len + 5);
                float[] a = randomRow(rnd, count + 2);
                int[] xo = new int[count + 2];
                for (int u = 0; u < xo.length; u++) {
                    xo[u] = rnd.nextInt(rows) * len + rnd.nextInt(5); // rows may repeat
                }
                float[] y = randomRow(rnd, len + 4);
                float[] expected = y.clone();
                for (int u = 1; u < 1 + count; u++) {
                    scalar.axpy(a[u], x, xo[u], expected, 2, len);
                }
                float[] ys = y.clone();
                float[] yv = y.clone();
                scalar.axpyRows(a, 1, xo, count, x, ys, 2, len);
                vector.axpyRows(a, 1, xo, count, x, yv, 2, len);
                assertArrayEquals(expected, ys, "scalar, count " + count + " len " + len);
                assertArrayEquals(expected, yv, "vector, count " + count + " len " + len);
            }
        }
    }

    @Test
    void dotRowsIsBitIdenticalToSeparateDots() {
        SplittableRandom rnd = new SplittableRandom(14);
        for (int count = 0; count <= 11; count++) {
            for (int len : new int[] {0, 3, 8, 13, 64, 71}) {
                float[] a = randomRow(rnd, len + 3);
                float[] b = randomRow(rnd, (count + 2) * len + 5);
                int[] bo = new int[count + 1];
                for (int u = 0; u < bo.length; u++) {
                    bo[u] = rnd.nextInt(count + 2) * len + rnd.nextInt(5);
                }
                float[] outS = new float[count + 2];
                float[] outV = new float[count + 2];
                scalar.dotRows(a, 3, b, bo, 1, count, outS, 2, len);
                vector.dotRows(a, 3, b, bo, 1, count, outV, 2, len);
                for (int u = 0; u < count; u++) {
                    float expected = scalar.dot(a, 3, b, bo[1 + u], len);
                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(outS[2 + u]), "scalar");
                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(outV[2 + u]),
                            "vector, count " + count + " len " + len + " product " + u);
                }
            }
        }
    }

    @Test
    void dotSumsInEightLanesWithTheTailInLaneZero() {
        // 3e-8 is below half an ulp of 1: added to lane 0 (which holds 1) it is lost, so the documented order gives
        // exactly 1; an order that first adds the three small products (9e-8, above half an ulp) gives 1 + 2^-23
        float[] a = new float[11];
        float[] b = new float[11];
        java.util.Arrays.fill(b, 1f);
        a[0] = 1f;
        a[8] = 3e-8f; // lane 0, second product: lost against 1 in float
        a[9] = 3e-8f; // lane 1
        a[10] = 3e-8f; // tail, into lane 0 (lost again)
        float expected = 1f;
        assertEquals(1f + 0x1p-23f, ((3e-8f + 3e-8f) + 3e-8f) + 1f, "the other order differs");
        assertEquals(expected, scalar.dot(a, 0, b, 0, 11));
        assertEquals(expected, vector.dot(a, 0, b, 0, 11));
        assertEquals(expected, RowKernels.dot(a, 0, b, 0, 11));
    }

    /**
     * Adam.globalNorm sums four 32,768-element chunks side by side; its result must be the defining one: per array,
     * each chunk summed sequentially in double, chunk sums and arrays added in order (sizes with full groups of four,
     * a partial group and a short last chunk).
     */
    @Test
    void globalNormIsTheSequentialChunkedSum() {
        SplittableRandom rnd = new SplittableRandom(15);
        SaeParameters g = new SaeParameters(97, 3001, false); // 291,097 entries per matrix: 8 full chunks and a tail
        for (float[] a : g.arrays()) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(-3, 3)));
            }
        }
        int chunk = 1 << 15;
        double total = 0;
        for (float[] a : g.arrays()) {
            for (int from = 0; from < a.length; from += chunk) {
                double s = 0;
                for (int i = from; i < Math.min(a.length, from + chunk); i++) {
                    s += (double) a[i] * a[i];
                }
                total += s;
            }
        }
        assertEquals(Double.doubleToRawLongBits(Math.sqrt(total)), Double.doubleToRawLongBits(Adam.globalNorm(g)));
    }

    /** Values over many binades (1e-6 … 1e4), both signs, some exact zeros. */
    private static float[] randomRow(SplittableRandom rnd, int n) {
        float[] r = new float[n];
        for (int i = 0; i < n; i++) {
            r[i] = rnd.nextInt(10) == 0 ? 0f : (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(-6, 5)));
        }
        return r;
    }
}
