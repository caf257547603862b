package org.mechinterp.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;

/** AdamW against a scalar double-precision transcription of the update rule; the schedule's shape. */
class OptimizerAndScheduleTest {
    @Test
    void adamWMatchesScalarReference() {
        float[] p0 = {0.5f, -1.25f, 2f, 0.1f};
        float[][] grads = {{0.3f, -0.2f, 1.5f, 0f}, {-0.1f, 0.4f, 0.5f, 2f}, {0.05f, 0.05f, -3f, 1f}};
        double b1 = 0.9;
        double b2 = 0.95;
        double eps = 1e-8;
        double wd = 0.1;
        double[] lrs = {1e-2, 5e-3, 2e-2};
        try (NDManager root = NDManager.newBaseManager()) {
            NDArray matrix = root.create(p0).reshape(2, 2);
            NDArray vector = root.create(p0);
            try (AdamW opt = new AdamW(List.of(matrix, vector), new boolean[] {true, false}, root, b1, b2, eps, wd)) {
                for (int s = 0; s < grads.length; s++) {
                    try (NDManager scratch = root.newSubManager()) {
                        opt.update(List.of(scratch.create(grads[s]).reshape(2, 2), scratch.create(grads[s])),
                                lrs[s], scratch);
                    }
                }
                assertArrayEquals(reference(p0, grads, lrs, b1, b2, eps, wd), matrix.toFloatArray(), 2e-6f);
                assertArrayEquals(reference(p0, grads, lrs, b1, b2, eps, 0), vector.toFloatArray(), 2e-6f);
                assertEquals(3, opt.updates());
            }
        }
    }

    private static float[] reference(float[] p0, float[][] g, double[] lr, double b1, double b2, double eps,
            double wd) {
        int n = p0.length;
        double[] p = new double[n];
        double[] m = new double[n];
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            p[i] = p0[i];
        }
        for (int t = 1; t <= g.length; t++) {
            for (int i = 0; i < n; i++) {
                m[i] = b1 * m[i] + (1 - b1) * g[t - 1][i];
                v[i] = b2 * v[i] + (1 - b2) * g[t - 1][i] * g[t - 1][i];
                double mh = m[i] / (1 - Math.pow(b1, t));
                double vh = v[i] / (1 - Math.pow(b2, t));
                p[i] = p[i] * (1 - lr[t - 1] * wd) - lr[t - 1] * mh / (Math.sqrt(vh) + eps);
            }
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) p[i];
        }
        return out;
    }

    @Test
    void scheduleWarmsUpThenDecaysToTheFloor() {
        LearningRateSchedule cos = new LearningRateSchedule(1.0, 10, 110, 0.1, LearningRateSchedule.Decay.COSINE);
        assertEquals(0.1, cos.at(0), 1e-12);
        assertEquals(1.0, cos.at(9), 1e-12);
        assertEquals(1.0, cos.at(10), 1e-12);
        assertEquals(0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * 49 / 99.0)), cos.at(59), 1e-12);
        assertEquals(0.1, cos.at(109), 1e-12);
        LearningRateSchedule lin = new LearningRateSchedule(2.0, 0, 11, 0.0, LearningRateSchedule.Decay.LINEAR);
        assertEquals(2.0, lin.at(0), 1e-12);
        assertEquals(1.0, lin.at(5), 1e-12);
        assertEquals(0.0, lin.at(10), 1e-12);
    }
}
