package org.mechinterp.jacobian;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.mechinterp.core.Interp;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.hooks.HookScope;
import org.mechinterp.core.model.ActivationCache;
import org.mechinterp.core.model.BlockWeights;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.NormWeights;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.model.TransformerWeights;

/** Fixtures and independent reference computations shared by the tests. */
final class TestModels {
    private TestModels() {}

    static Path shared() {
        String configured = System.getProperty("interp.shared.dir");
        if (configured != null && Files.isDirectory(Paths.get(configured))) {
            return Paths.get(configured);
        }
        for (String candidate : new String[] {"../shared", "../../shared"}) {
            if (Files.isDirectory(Paths.get(candidate))) {
                return Paths.get(candidate);
            }
        }
        throw new IllegalStateException("shared/ fixtures not found (set -Dinterp.shared.dir)");
    }

    static Path project() {
        String configured = System.getProperty("interp.project.dir");
        for (String candidate : new String[] {configured, "..", "."}) {
            if (candidate != null && Files.isDirectory(Paths.get(candidate, "interp-core", "src", "test", "resources",
                    "families"))) {
                return Paths.get(candidate);
            }
        }
        throw new IllegalStateException("project root with interp-core/ not found (set -Dinterp.project.dir)");
    }

    static Path stories() {
        return shared().resolve("fixtures/stories260K-llama");
    }

    static HookedTransformer loadStories() throws IOException {
        return HookedTransformer.load(stories());
    }

    /**
     * Every family checkpoint (incl. Gemma 3 with its √D embedding scale, (1 + w) and post norms, and Pythia with
     * partial rotary and a parallel residual) plus the shared tiny GPT-2 and fp16 Llama: (name, folder).
     */
    static List<Path> familyDirs() {
        List<Path> dirs = new ArrayList<>();
        Path families = project().resolve("interp-core/src/test/resources/families");
        for (String f : new String[] {"qwen2", "qwen3", "mistral", "llama3", "qwen3-bf16-v5", "gemma3", "pythia"}) {
            dirs.add(families.resolve(f));
        }
        dirs.add(shared().resolve("fixtures/tiny-random-gpt2"));
        dirs.add(shared().resolve("fixtures/tiny-random-llama-fp16"));
        return dirs;
    }

    /** A float64 copy of a model (new manager, owned by the returned model), for finite differences. */
    static HookedTransformer toFloat64(HookedTransformer model) {
        Interp.configureDjl();
        NDManager m = NDManager.newBaseManager();
        TransformerWeights w = model.weights();
        List<BlockWeights> blocks = new ArrayList<>();
        for (BlockWeights b : w.blocks()) {
            blocks.add(new BlockWeights(norm(b.ln1(), m), f64(b.wq(), m), f64(b.bq(), m), f64(b.wk(), m),
                    f64(b.bk(), m), f64(b.wv(), m), f64(b.bv(), m), f64(b.qNorm(), m), f64(b.kNorm(), m),
                    f64(b.wo(), m), f64(b.bo(), m), norm(b.ln2(), m), f64(b.wGate(), m), f64(b.wIn(), m),
                    f64(b.bIn(), m), f64(b.wOut(), m), f64(b.bOut(), m),
                    b.ln1Post() == null ? null : norm(b.ln1Post(), m),
                    b.ln2Post() == null ? null : norm(b.ln2Post(), m)));
        }
        TransformerWeights w64 = new TransformerWeights(f64(w.embed(), m), f64(w.posEmbed(), m), blocks,
                norm(w.lnFinal(), m), f64(w.unembed(), m));
        return HookedTransformer.fromWeights(model.config(), w64, m);
    }

    private static NormWeights norm(NormWeights n, NDManager m) {
        return new NormWeights(f64(n.weight(), m), f64(n.bias(), m));
    }

    private static NDArray f64(NDArray a, NDManager m) {
        if (a == null) {
            return null;
        }
        NDArray c = a.toType(DataType.FLOAT64, true);
        c.attach(m);
        return c;
    }

    /**
     * The full Jacobian J_τ = ∂y(ℓ)/∂x_τ [D][D] (row j = ∂y_j) by central finite differences: row-batched runs with
     * ±ε·e_i added to x_τ at {@code hook_embed}.
     */
    static double[][] finiteDifferenceJacobian(HookedTransformer model, int[] tokens, int position, int tau,
            double eps) {
        int d = model.config().dModel();
        int t = tokens.length;
        int rows = 2 * d;
        double[] delta = new double[rows * t * d];
        int[][] seqs = new int[rows][];
        for (int i = 0; i < d; i++) {
            seqs[2 * i] = tokens;
            seqs[2 * i + 1] = tokens;
            delta[((2 * i) * t + tau) * d + i] = eps;
            delta[((2 * i + 1) * t + tau) * d + i] = -eps;
        }
        double[][] jac = new double[d][d];
        try (HookScope scope = model.hooks().scope()) {
            scope.add(HookNames.EMBED, (x, ctx) -> x.add(JacobianProbe.create(ctx.manager(), delta, x.getShape(),
                    x.getDataType())));
            try (ActivationCache cache = model.runWithCache(TokenBatch.of(seqs), Set.of(HookNames.UNEMBED_IN))) {
                double[] y = JacobianProbe.doubles(cache.get(HookNames.UNEMBED_IN).get(":, {}, :", position));
                for (int i = 0; i < d; i++) {
                    for (int j = 0; j < d; j++) {
                        jac[j][i] = (y[(2 * i) * d + j] - y[(2 * i + 1) * d + j]) / (2 * eps);
                    }
                }
            }
        }
        return jac;
    }

    /** The full Jacobians J_τ for every τ from D unit-vector VJPs (row j of J_τ = e_jᵀJ_τ): [T][D][D]. */
    static double[][][] bruteForceJacobians(JacobianProbe probe, int[] tokens, int position) {
        int d = probe.model().config().dModel();
        List<JacobianProbe.Direction> rows = new ArrayList<>();
        for (int j = 0; j < d; j++) {
            double[] e = new double[d];
            e[j] = 1;
            rows.add(new JacobianProbe.Direction(tokens, position, e));
        }
        double[][][] g = probe.vjp(rows); // [d][T][D]
        double[][][] jac = new double[tokens.length][d][];
        for (int tau = 0; tau < tokens.length; tau++) {
            for (int j = 0; j < d; j++) {
                jac[tau][j] = g[j][tau];
            }
        }
        return jac;
    }

    /** ‖vᵀJ‖₂ computed directly from a full Jacobian. */
    static double directionalNorm(double[] v, double[][] jac) {
        int d = jac[0].length;
        double s = 0;
        for (int i = 0; i < d; i++) {
            double c = 0;
            for (int j = 0; j < v.length; j++) {
                c += v[j] * jac[j][i];
            }
            s += c * c;
        }
        return Math.sqrt(s);
    }

    /** F = Wᵀ(diag p − ppᵀ)W formed densely from W_U [D][V] (float, row-major) in double: Σ p w wᵀ − μμᵀ. */
    static double[][] denseFisher(float[] wu, int d, double[] p) {
        int v = p.length;
        double[] mu = new double[d];
        for (int a = 0; a < d; a++) {
            for (int i = 0; i < v; i++) {
                mu[a] += p[i] * wu[a * v + i];
            }
        }
        double[][] f = new double[d][d];
        for (int a = 0; a < d; a++) {
            for (int b = 0; b <= a; b++) {
                double s = 0;
                for (int i = 0; i < v; i++) {
                    s += p[i] * wu[a * v + i] * wu[b * v + i];
                }
                f[a][b] = s - mu[a] * mu[b];
                f[b][a] = f[a][b];
            }
        }
        return f;
    }

    /** tr(JᵀFJ) = Σ_{a,b} F_ab (JJᵀ)_ab from the full Jacobian. */
    static double fisherTrace(double[][] f, double[][] jac) {
        int d = f.length;
        double s = 0;
        for (int a = 0; a < d; a++) {
            for (int b = 0; b < d; b++) {
                double jj = 0;
                for (int i = 0; i < d; i++) {
                    jj += jac[a][i] * jac[b][i];
                }
                s += f[a][b] * jj;
            }
        }
        return s;
    }

    static void assertRelative(double expected, double actual, double tol, String what) {
        double err = Math.abs(expected - actual) / Math.max(Math.abs(expected), 1e-12);
        if (!(err <= tol)) {
            throw new AssertionError(what + ": expected " + expected + " got " + actual + " (relative error " + err
                    + " > " + tol + ")");
        }
    }

    /** |expected_τ − actual_τ| ≤ tol · max_τ |expected_τ| for every τ. */
    static void assertScoresClose(double[] expected, double[] actual, double tol, String what) {
        if (expected.length != actual.length) {
            throw new AssertionError(what + ": lengths " + expected.length + " vs " + actual.length);
        }
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        if (!(scale > 0)) {
            throw new AssertionError(what + ": reference scores are all zero");
        }
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]) / scale;
            if (!(err <= tol)) {
                throw new AssertionError(what + " at position " + i + ": expected " + expected[i] + " got "
                        + actual[i] + " (error " + err + " of the largest score > " + tol + ")");
            }
        }
    }
}
