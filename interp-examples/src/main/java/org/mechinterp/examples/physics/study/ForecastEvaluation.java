package org.mechinterp.examples.physics.study;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeSet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.examples.physics.GaussianTransition;
import org.mechinterp.examples.physics.Trajectory;
import org.mechinterp.examples.physics.prompt.DigitDistribution;
import org.mechinterp.examples.physics.prompt.SeriesFormat;
import org.mechinterp.examples.physics.prompt.SerializedSeries;
import org.mechinterp.examples.physics.prompt.TokenAlignment;
import org.mechinterp.examples.physics.prompt.TokenKind;
import org.mechinterp.sae.analysis.Normal;
import org.mechinterp.sae.analysis.PowerLawFit;
import org.mechinterp.sae.analysis.Stats;

/**
 * In-context forecasting error against context length, from teacher-forced digit probabilities
 * ("Hierarchy-PDF", Liu et al. 2024).
 *
 * <p><b>Method.</b> A causal model's prediction of time step {@code c} given steps {@code 0..c−1} is the same in
 * a forward pass over the whole trajectory as over the prefix alone, so one forward per held-out trajectory gives
 * every context length. For each value {@code (c, k)} (component k of step c), the logits at the token before each
 * of its digits, restricted to the ten digit tokens and softmaxed, are the conditional digit distributions given
 * the true preceding digits (and, for k &gt; 0, the true earlier components of step c): a
 * {@link DigitDistribution}. Its mean on the digit axis is mapped back to a physical value.
 *
 * <p><b>Error units.</b> Errors are measured on the rescaled axis of the serialisation, {@code u = code / 10^p}
 * (for {@code RescaledDigits} the data window maps to [0.15, 0.85]), so trajectories of different amplitudes are
 * comparable: {@code e = (valueToDigitAxis(prediction) − valueToDigitAxis(truth)) / 10^p}. Per trajectory and
 * context length the squared error is averaged over components; the curve is the root of its mean over
 * trajectories (RMSE), with a percentile bootstrap 95% interval over trajectories.
 *
 * <p><b>Baselines</b> on the same values: context parroting ({@link ContextParroting}) and repeat-last-value,
 * both reading the quantised (decoded) context as the model does; the quantisation floor is the error of the true
 * value's own bin centre. For stochastic systems with a known {@link GaussianTransition} the Bhattacharyya
 * distance between the model's distribution and the true next-value density (discretised on the same bins, given
 * the true previous state) is averaged over components and trajectories.
 *
 * <p>The model is borrowed; each forward runs in a manager closed before the next.
 */
public final class ForecastEvaluation {

    private final int[] contexts;
    private final int motif;
    private final int resamples;
    private final long seed;

    private ForecastEvaluation(Builder b) {
        this.contexts = b.contexts;
        this.motif = b.motif;
        this.resamples = b.resamples;
        this.seed = b.seed;
    }

    /**
     * Starts an evaluation set-up.
     *
     * @return a builder with the defaults: {@link #logGrid} up to 32 steps, motif 3, 1000 resamples, seed 1
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The default context grid: {@code round(2^(i/2))} for i = 0, 1, 2, ..., deduplicated, up to {@code maxContext}.
     *
     * @param maxContext largest context length in steps (inclusive)
     * @return the context lengths in steps, ascending, starting 1, 2, 3, 4, 6, 8, 11, 16, ...
     */
    public static int[] logGrid(int maxContext) {
        TreeSet<Integer> set = new TreeSet<>();
        for (int i = 0; ; i++) {
            long c = Math.round(Math.pow(2, i / 2.0));
            if (c > maxContext) {
                break;
            }
            set.add((int) c);
        }
        return set.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Evaluates the model on held-out trajectories.
     *
     * @param model the model (borrowed)
     * @param trajectories held-out trajectories, at least 2, all longer than the largest context
     * @param digitIds token id of each digit ({@link DigitTokens#of})
     * @param progress called after each trajectory with (done, total); may be null
     * @return per context length: model RMSE with bootstrap 95% interval, baselines (context parroting, last
     *     value, quantisation floor), Bhattacharyya distances where the system has a known transition, and the
     *     power-law fit of the model curve
     * @throws IllegalArgumentException for fewer than 2 trajectories or one not longer than the largest context
     */
    public ForecastResult evaluate(HookedTransformer model, List<EncodedTrajectory> trajectories, int[] digitIds,
            java.util.function.BiConsumer<Integer, Integer> progress) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(trajectories, "trajectories");
        if (trajectories.size() < 2) {
            throw new IllegalArgumentException("forecast evaluation needs at least 2 held-out trajectories, got "
                    + trajectories.size());
        }
        int maxC = contexts[contexts.length - 1];
        for (EncodedTrajectory t : trajectories) {
            if (t.steps() <= maxC) {
                throw new IllegalArgumentException("trajectory " + t.index() + " has " + t.steps()
                        + " steps; context " + maxC + " needs at least " + (maxC + 1));
            }
        }
        DigitTokens.verify(trajectories, digitIds);
        int nT = trajectories.size();
        int nC = contexts.length;
        double[][] sqModel = new double[nT][nC];
        double[][] sqParrot = new double[nT][nC];
        double[][] sqLast = new double[nT][nC];
        double[][] sqFloor = new double[nT][nC];
        double[][] bhat = new double[nT][nC];
        double[][] mass = new double[nT][nC];
        boolean stochastic = trajectories.get(0).trajectory().transition().isPresent();
        for (int j = 0; j < nT; j++) {
            EncodedTrajectory et = trajectories.get(j);
            double[][] digitLogits = digitLogits(model, et.ids(), digitIds);
            evaluateTrajectory(et, digitLogits, sqModel[j], sqParrot[j], sqLast[j], sqFloor[j], bhat[j], mass[j]);
            if (progress != null) {
                progress.accept(j + 1, nT);
            }
        }
        double[] cs = new double[nC];
        for (int i = 0; i < nC; i++) {
            cs[i] = contexts[i];
        }
        Curve model0 = curve(sqModel, 1);
        Curve parrot = curve(sqParrot, 2);
        Curve last = curve(sqLast, 3);
        Curve floor = curve(sqFloor, 4);
        PowerLawFit fit = PowerLawFit.fitBootstrap(cs, sqModel, resamples, seed);
        PowerLawFit parrotFit = positive(parrot.rmse) ? PowerLawFit.fitBootstrap(cs, sqParrot, resamples, seed + 1)
                : null;
        double[] bMean = null;
        if (stochastic) {
            bMean = new double[nC];
            for (int i = 0; i < nC; i++) {
                double s = 0;
                for (int j = 0; j < nT; j++) {
                    s += bhat[j][i];
                }
                bMean[i] = s / nT;
            }
        }
        double m = 0;
        for (double[] row : mass) {
            for (double v : row) {
                m += v;
            }
        }
        return new ForecastResult(contexts.clone(), nT, model0.rmse, model0.lo, model0.hi, parrot.rmse, parrot.lo,
                parrot.hi, last.rmse, last.lo, last.hi, floor.rmse, bMean, m / (nT * nC), fit, parrotFit, motif);
    }

    private static boolean positive(double[] x) {
        for (double v : x) {
            if (!(v > 0)) {
                return false;
            }
        }
        return true;
    }

    private void evaluateTrajectory(EncodedTrajectory et, double[][] digitLogits, double[] sqModel,
            double[] sqParrot, double[] sqLast, double[] sqFloor, double[] bhat, double[] mass) {
        SerializedSeries series = et.series();
        SeriesFormat format = series.format();
        TokenAlignment al = et.alignment();
        Trajectory tr = et.trajectory();
        int d = series.components();
        double[][] decoded = series.decoded();
        double scale = 0;
        for (int ci = 0; ci < contexts.length; ci++) {
            int c = contexts[ci];
            double[] parrot = ContextParroting.forecast(Arrays.copyOfRange(decoded, 0, c), motif);
            double[] lastV = decoded[c - 1];
            double sm = 0;
            double sp = 0;
            double sl = 0;
            double sf = 0;
            double sb = 0;
            double sMass = 0;
            GaussianTransition transition = tr.transition().orElse(null);
            double[] tMean = transition != null ? transition.mean(tr.state(c - 1)) : null;
            double[] tVar = transition != null ? transition.variance(tr.state(c - 1)) : null;
            for (int k = 0; k < d; k++) {
                int start = series.valueStart(c, k);
                int end = series.valueEnd(c, k);
                int p = end - start;
                scale = Math.pow(10, p);
                int[] truthDigits = DigitDistribution.digitsOf(series.code(c, k), p);
                double[][] probs = new double[p][];
                double m = 0;
                for (int i = 0; i < p; i++) {
                    int tok = al.tokenOfChar(start + i);
                    if (al.token(tok).kind() != TokenKind.DIGIT || tok == 0) {
                        throw new IllegalArgumentException("digit " + i + " of step " + c + " component " + k
                                + " is not a single digit token after another token");
                    }
                    probs[i] = softmax(digitLogits[tok - 1]);
                    m += probs[i][10];
                    probs[i] = Arrays.copyOf(probs[i], 10);
                }
                sMass += m / p;
                DigitDistribution dist = DigitDistribution.of(truthDigits, probs);
                Scaling0 sc = new Scaling0(format, k, series);
                double truthU = sc.toAxis(tr.value(c, k));
                double predU = dist.mean();
                sm += sq((predU - truthU) / scale);
                sp += sq((sc.toAxis(parrot[k]) - truthU) / scale);
                sl += sq((sc.toAxis(lastV[k]) - truthU) / scale);
                sf += sq((sc.toAxis(decoded[c][k]) - truthU) / scale);
                if (transition != null) {
                    double mu = tMean[k];
                    double sdv = Math.sqrt(tVar[k]);
                    sb += dist.bhattacharyyaDistance(u -> Normal.cdf(sc.toValue(u), mu, sdv));
                }
            }
            sqModel[ci] = sm / d;
            sqParrot[ci] = sp / d;
            sqLast[ci] = sl / d;
            sqFloor[ci] = sf / d;
            bhat[ci] = sb / d;
            mass[ci] = sMass / d;
        }
    }

    /** The format's digit-axis map for one component of one series. */
    private record Scaling0(SeriesFormat format, int k, SerializedSeries series) {
        double toAxis(double value) {
            return format.valueToDigitAxis(value, k, series.scaling());
        }

        double toValue(double u) {
            return format.digitAxisToValue(u, k, series.scaling());
        }
    }

    /**
     * Logits at every position restricted to the digit tokens: {@code [T][10]}, plus nothing else; the
     * softmax over these ten (and the mass they hold in the full softmax) is taken later.
     */
    static double[][] digitLogits(HookedTransformer model, int[] ids, int[] digitIds) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = model.forward(m, TokenBatch.of(ids));
            int t = ids.length;
            double[][] out = new double[t][11];
            for (int dgt = 0; dgt < 10; dgt++) {
                float[] col = logits.get(new NDIndex("0, :, " + digitIds[dgt])).toFloatArray();
                for (int i = 0; i < t; i++) {
                    out[i][dgt] = col[i];
                }
            }
            // log-sum-exp over the full vocabulary, to report the probability mass on digit tokens
            float[] lse = logits.get(0).logSoftmax(-1).get(new NDIndex(":, " + digitIds[0])).toFloatArray();
            for (int i = 0; i < t; i++) {
                out[i][10] = out[i][0] - lse[i]; // log-normaliser of the full softmax
            }
            return out;
        }
    }

    /**
     * @param row [11]: ten digit logits and the log-normaliser of the full softmax
     * @return [11]: the digit softmax (restricted to the ten digits) and, at index 10, the total full-vocabulary
     *     probability of the ten digits
     */
    static double[] softmax(double[] row) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < 10; i++) {
            max = Math.max(max, row[i]);
        }
        double[] p = new double[11];
        double s = 0;
        for (int i = 0; i < 10; i++) {
            p[i] = Math.exp(row[i] - max);
            s += p[i];
        }
        for (int i = 0; i < 10; i++) {
            p[i] /= s;
        }
        p[10] = Math.min(1, Math.exp(max + Math.log(s) - row[10]));
        return p;
    }

    private static double sq(double x) {
        return x * x;
    }

    private record Curve(double[] rmse, double[] lo, double[] hi) {
    }

    private Curve curve(double[][] sq, long salt) {
        int nT = sq.length;
        int nC = sq[0].length;
        int[] all = new int[nT];
        for (int j = 0; j < nT; j++) {
            all[j] = j;
        }
        double[] rmse = PowerLawFit.rms(sq, all);
        double[][] boot = new double[nC][resamples];
        SplittableRandom rng = new SplittableRandom(seed * 31 + salt);
        int[] pick = new int[nT];
        for (int r = 0; r < resamples; r++) {
            for (int j = 0; j < nT; j++) {
                pick[j] = rng.nextInt(nT);
            }
            double[] e = PowerLawFit.rms(sq, pick);
            for (int i = 0; i < nC; i++) {
                boot[i][r] = e[i];
            }
        }
        double[] lo = new double[nC];
        double[] hi = new double[nC];
        for (int i = 0; i < nC; i++) {
            lo[i] = Stats.quantile(boot[i], 0.025);
            hi[i] = Stats.quantile(boot[i], 0.975);
        }
        return new Curve(rmse, lo, hi);
    }

    /** Builder: everything optional. */
    public static final class Builder {
        private int[] contexts;
        private int motif = 3;
        private int resamples = 1000;
        private long seed = 1;

        private Builder() {
        }

        /**
         * Sets the context grid.
         *
         * @param contexts context lengths in steps, ascending, each ≥ 1, at least 3 (default: {@link #logGrid} up
         *     to 32); copied
         * @return this builder
         */
        public Builder optContexts(int... contexts) {
            this.contexts = contexts.clone();
            return this;
        }

        /**
         * Sets the context-parroting baseline's motif.
         *
         * @param motif number of most recent steps matched against earlier stretches of the context (default 3)
         * @return this builder
         */
        public Builder optMotif(int motif) {
            this.motif = motif;
            return this;
        }

        /**
         * Sets the bootstrap size.
         *
         * @param resamples bootstrap resamples over trajectories for the 95% intervals (default 1000)
         * @return this builder
         */
        public Builder optResamples(int resamples) {
            this.resamples = resamples;
            return this;
        }

        /**
         * Sets the bootstrap seed.
         *
         * @param seed seed of the bootstrap resampling (default 1); the same seed gives the same intervals
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Validates the settings.
         *
         * @return the evaluation
         * @throws IllegalArgumentException for fewer than 3 contexts, non-ascending or non-positive contexts
         */
        public ForecastEvaluation build() {
            if (contexts == null) {
                contexts = logGrid(32);
            }
            if (contexts.length < 3) {
                throw new IllegalArgumentException("need at least 3 context lengths for a power-law fit, got "
                        + Arrays.toString(contexts));
            }
            for (int i = 0; i < contexts.length; i++) {
                if (contexts[i] < 1 || (i > 0 && contexts[i] <= contexts[i - 1])) {
                    throw new IllegalArgumentException("context lengths must be ascending and >= 1: "
                            + Arrays.toString(contexts));
                }
            }
            if (motif < 1) {
                throw new IllegalArgumentException("parroting motif must be >= 1, got " + motif);
            }
            if (resamples < 100) {
                throw new IllegalArgumentException("bootstrap resamples must be >= 100, got " + resamples);
            }
            return new ForecastEvaluation(this);
        }
    }
}
