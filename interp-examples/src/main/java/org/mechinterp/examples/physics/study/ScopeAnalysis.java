package org.mechinterp.examples.physics.study;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.examples.physics.prompt.TokenInfo;
import org.mechinterp.examples.physics.prompt.TokenKind;
import org.mechinterp.jacobian.AttributionRequest;
import org.mechinterp.jacobian.AttributionResult;
import org.mechinterp.jacobian.Attributor;
import org.mechinterp.jacobian.FisherMode;
import org.mechinterp.jacobian.Method;

/**
 * Which earlier time steps the model uses when it forecasts: Temperature and Fisher Jacobian Scopes at forecast
 * positions, aggregated per time step.
 *
 * <p>For a held-out trajectory and a target step {@code c}, the prediction position ℓ is the token closing step
 * {@code c − 1} (its output predicts the first digit of step c); the prompt is the trajectory's tokens up to ℓ.
 * BOS and tokens outside the series score 0. Token scores are aggregated per earlier step {@code s < c} as a sum of
 * squares over the step's tokens (Temperature scores are gradient norms, so this is the squared norm of the
 * step's concatenated gradient; Fisher scores are already squared norms and are summed), then normalised to shares
 * that sum to 1 over the steps. Shares are averaged over trajectories. The model is borrowed.
 */
public final class ScopeAnalysis {

    private final int[] targets;
    private final int trajectories;
    private final int fisherRank;
    private final int maxRows;

    private ScopeAnalysis(Builder b) {
        this.targets = b.targets;
        this.trajectories = b.trajectories;
        this.fisherRank = b.fisherRank;
        this.maxRows = b.maxRows;
    }

    /**
     * Starts a scope analysis set-up.
     *
     * @return a builder; targets are required, 3 trajectories, Fisher rank 1 and 16 rows per pass by default
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @param methods scope names ({@code temperature}, {@code fisher})
     * @param targets target steps c
     * @param trajectories trajectories averaged
     * @param share {@code [method][target][s]}: mean share of the influence on the forecast of step c held by
     *     step s (0 for s ≥ c)
     * @param lagShare {@code [method][lag − 1]}: mean share at lag {@code c − s}, averaged over the targets that
     *     reach that lag
     * @param fisherRank k of the Fisher Scope
     */
    public record Result(String[] methods, int[] targets, int trajectories, double[][][] share, double[][] lagShare,
            int fisherRank) {

        /**
         * How much of the influence the most recent step holds.
         *
         * @param method index into {@link #methods()}
         * @return mean share of the most recent step (lag 1), in {@code [0, 1]}
         */
        public double lastStepShare(int method) {
            return lagShare[method][0];
        }
    }

    /**
     * @param model the model (borrowed)
     * @param heldOut trajectories; the first {@code trajectories} are used
     * @param progress called after each method with (done, total); may be null
     * @return per method, target and earlier step the mean share of influence, and the shares by lag
     * @throws IllegalArgumentException if there is no trajectory or one is too short for the largest target
     */
    public Result analyse(HookedTransformer model, List<EncodedTrajectory> heldOut,
            java.util.function.BiConsumer<Integer, Integer> progress) {
        Objects.requireNonNull(model, "model");
        int nt = Math.min(trajectories, heldOut.size());
        if (nt < 1) {
            throw new IllegalArgumentException("scope analysis needs at least one trajectory");
        }
        int maxTarget = targets[targets.length - 1];
        for (int i = 0; i < nt; i++) {
            if (heldOut.get(i).steps() <= maxTarget) {
                throw new IllegalArgumentException("target step " + maxTarget + " is beyond trajectory " + i
                        + " (" + heldOut.get(i).steps() + " steps)");
            }
        }
        Method[] methods = {Method.TEMPERATURE, Method.FISHER};
        Attributor attributor = Attributor.builder().setModel(model).optFisherMode(FisherMode.RANK_K)
                .optFisherRank(fisherRank).optMaxRows(maxRows).build();
        List<AttributionRequest> requests = new ArrayList<>();
        List<int[]> stepOf = new ArrayList<>();
        List<Integer> targetIndex = new ArrayList<>();
        for (int i = 0; i < nt; i++) {
            EncodedTrajectory et = heldOut.get(i);
            int[] ids = et.ids();
            List<TokenInfo> tokens = et.alignment().tokens();
            for (int ti = 0; ti < targets.length; ti++) {
                int c = targets[ti];
                int pos = et.alignment().closingToken(c - 1);
                AttributionRequest.Builder rb = AttributionRequest.builder()
                        .setTokens(Arrays.copyOf(ids, pos + 1)).optPosition(pos);
                int[] steps = new int[pos + 1];
                for (int t = 0; t <= pos; t++) {
                    TokenInfo info = tokens.get(t);
                    steps[t] = info.step();
                    if (info.kind() == TokenKind.OTHER || info.step() < 0) {
                        rb.optExclude(t);
                    }
                }
                requests.add(rb.build());
                stepOf.add(steps);
                targetIndex.add(ti);
            }
        }
        double[][][] share = new double[methods.length][targets.length][maxTarget];
        double[][] lag = new double[methods.length][maxTarget];
        int[] lagCount = new int[maxTarget];
        for (int ti = 0; ti < targets.length; ti++) {
            for (int l = 1; l <= targets[ti]; l++) {
                lagCount[l - 1] += 1;
            }
        }
        for (int mi = 0; mi < methods.length; mi++) {
            List<AttributionResult> results = attributor.attribute(methods[mi], requests);
            for (int r = 0; r < results.size(); r++) {
                double[] scores = results.get(r).scores();
                int[] steps = stepOf.get(r);
                int ti = targetIndex.get(r);
                int c = targets[ti];
                double[] agg = new double[c];
                for (int t = 0; t < scores.length; t++) {
                    int s = steps[t];
                    if (s >= 0 && s < c) {
                        double v = scores[t];
                        agg[s] += methods[mi] == Method.FISHER ? v : v * v;
                    }
                }
                double total = 0;
                for (double v : agg) {
                    total += v;
                }
                for (int s = 0; s < c; s++) {
                    double sh = total > 0 ? agg[s] / total : 0;
                    share[mi][ti][s] += sh / nt;
                    lag[mi][c - s - 1] += sh / (nt * (double) lagCount[c - s - 1]);
                }
            }
            if (progress != null) {
                progress.accept(mi + 1, methods.length);
            }
        }
        return new Result(new String[] {"temperature", "fisher"}, targets.clone(), nt, share, lag, fisherRank);
    }

    /** Builder: {@code setTargets} required. */
    public static final class Builder {
        private int[] targets;
        private int trajectories = 3;
        private int fisherRank = 1;
        private int maxRows = 16;

        private Builder() {
        }

        /**
         * Sets the forecast targets.
         *
         * @param targets target steps c, ascending, each ≥ 1; copied
         * @return this builder
         */
        public Builder setTargets(int... targets) {
            this.targets = targets.clone();
            return this;
        }

        /**
         * Sets how many held-out trajectories are averaged.
         *
         * @param n trajectories, ≥ 1 (default 3); the first n of the held-out list are used
         * @return this builder
         */
        public Builder optTrajectories(int n) {
            this.trajectories = n;
            return this;
        }

        /**
         * Sets the Fisher Scope's rank.
         *
         * @param k number of leading eigen-directions of the output Fisher metric used, ≥ 1 (default 1)
         * @return this builder
         */
        public Builder optFisherRank(int k) {
            this.fisherRank = k;
            return this;
        }

        /**
         * Sets the attribution batch size.
         *
         * @param rows sequences per attribution pass, ≥ 1 (default 16); bounds memory, not results
         * @return this builder
         */
        public Builder optMaxRows(int rows) {
            this.maxRows = rows;
            return this;
        }

        /**
         * Validates the settings.
         *
         * @return the analysis
         * @throws IllegalArgumentException for missing or non-ascending targets, or non-positive counts
         */
        public ScopeAnalysis build() {
            if (targets == null || targets.length == 0) {
                throw new IllegalArgumentException("scope targets are required (setTargets)");
            }
            for (int i = 0; i < targets.length; i++) {
                if (targets[i] < 1 || (i > 0 && targets[i] <= targets[i - 1])) {
                    throw new IllegalArgumentException("scope targets must be ascending and >= 1: "
                            + Arrays.toString(targets));
                }
            }
            if (trajectories < 1 || fisherRank < 1 || maxRows < 1) {
                throw new IllegalArgumentException("trajectories, Fisher rank and max rows must be >= 1");
            }
            return new ScopeAnalysis(this);
        }
    }
}
