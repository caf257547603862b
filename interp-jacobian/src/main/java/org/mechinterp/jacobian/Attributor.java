package org.mechinterp.jacobian;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.jacobian.fisher.ArrayFisherOperator;
import org.mechinterp.jacobian.fisher.DenseEigen;
import org.mechinterp.jacobian.fisher.EigenPairs;
import org.mechinterp.jacobian.fisher.FisherOperator;
import org.mechinterp.jacobian.fisher.Lanczos;
import org.mechinterp.jacobian.fisher.NDArrayFisherOperator;

/**
 * Token attributions for the prediction at position ℓ: the three Jacobian Scopes (Semantic, Temperature, Fisher)
 * and the usual baselines (Input×Gradient, Integrated Gradients, attention, leave-one-out KL, random). See
 * {@link Method} for the formulas.
 *
 * <p>Costs: Semantic and Temperature take one forward and one backward pass for all prompts of a call (the
 * direction, including the top-1 target, is chosen inside the pass); Fisher rank-k one forward, a few tens of products with F_y (never formed) and one backward
 * with k replicated copies per prompt; exact Fisher D copies; IG one backward per chunk of steps.
 *
 * <p>The model is borrowed (close it yourself, after this object is no longer used); no native memory outlives a
 * call. Not thread-safe: calls register hooks on the model for their duration. Build with {@link #builder()}.
 */
public final class Attributor {
    private final JacobianProbe probe;
    private final int fisherRank;
    private final FisherMode fisherMode;
    private final int hutchinsonProbes;
    /**
     * Most Integrated Gradients steps accepted. Why a bound: each step costs a forward and a backward pass, and the
     * Gauss–Legendre nodes cost O(n²) to compute before any output, so a mistyped 10⁸ would hang silently;
     * Gauss–Legendre needs far fewer (20–100) for smooth paths.
     */
    public static final int MAX_IG_STEPS = 4096;
    private final int igSteps;
    private final IntegrationRule igRule;
    private final long seed;
    private final double lanczosTolerance;
    private final long arrayOperatorLimit;

    private Attributor(Builder b) {
        this.probe = new JacobianProbe(b.model, b.maxRows);
        this.fisherRank = b.fisherRank;
        this.fisherMode = b.fisherMode;
        this.hutchinsonProbes = b.hutchinsonProbes;
        this.igSteps = b.igSteps;
        this.igRule = b.igRule;
        this.seed = b.seed;
        this.lanczosTolerance = b.lanczosTolerance;
        this.arrayOperatorLimit = b.arrayOperatorLimit;
    }

    /**
     * A new builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The model primitives this attributor uses (for custom directions).
     *
     * @return the model primitives this attributor uses (for custom directions)
     */
    public JacobianProbe probe() {
        return probe;
    }

    /**
     * The model.
     *
     * @return the model
     */
    public HookedTransformer model() {
        return probe.model();
    }

    /**
     * Attributes one prompt.
     *
     * @param method the attribution method
     * @param request the attribution request
     * @return the attribution result
     */
    public AttributionResult attribute(Method method, AttributionRequest request) {
        return attribute(method, List.of(request)).get(0);
    }

    /**
     * Attributes several prompts with one method. Semantic, Temperature and Fisher share batched forward and
     * backward passes across prompts (left-padded; each prompt gets exactly the values it gets alone).
     *
     * @param method the attribution method
     * @param requests the requests
     * @return one result per request, in order
     * @throws IllegalArgumentException for token ids or targets outside the vocabulary
     */
    public List<AttributionResult> attribute(Method method, List<AttributionRequest> requests) {
        Objects.requireNonNull(method, "method");
        requests.forEach(probe::checkTokens);
        for (AttributionRequest r : requests) {
            if (r.target() != AttributionRequest.TOP_1) {
                probe.checkTarget(r.target());
            }
        }
        switch (method) {
            case SEMANTIC:
            case TEMPERATURE:
                return oneBackward(method, requests);
            case FISHER:
                return scopes(method, requests);
            default:
                List<AttributionResult> out = new ArrayList<>();
                SplittableRandom root = new SplittableRandom(seed);
                for (AttributionRequest r : requests) {
                    out.add(baseline(method, r, root.split()));
                }
                return out;
        }
    }

    /**
     * Attention weights from ℓ to each token in one layer and head (−1 for the average over all layers / heads).
     *
     * @param request the attribution request
     * @param layer the layer index (0-based)
     * @param head the head
     * @return attention weights from ℓ to each token in one layer and head (−1 for the average over all layers / heads)
     * @throws IllegalArgumentException for a layer or head outside the model
     */
    public AttributionResult attention(AttributionRequest request, int layer, int head) {
        probe.checkTokens(request);
        int layers = model().config().nLayers();
        int heads = model().config().nHeads();
        if (layer < -1 || layer >= layers) {
            throw new IllegalArgumentException("layer " + layer + " is outside 0.." + (layers - 1) + " (or -1)");
        }
        if (head < -1 || head >= heads) {
            throw new IllegalArgumentException("head " + head + " is outside 0.." + (heads - 1) + " (or -1)");
        }
        double[][][] a = probe.attentionFrom(request.tokens(), request.position());
        double[] scores = new double[request.length()];
        int n = 0;
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                if ((layer < 0 || l == layer) && (head < 0 || h == head)) {
                    n++;
                    for (int t = 0; t < scores.length; t++) {
                        scores[t] += a[l][h][t];
                    }
                }
            }
        }
        for (int t = 0; t < scores.length; t++) {
            scores[t] = request.isAttributable(t) ? scores[t] / n : 0;
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("layer", layer < 0 ? "mean" : layer);
        details.put("head", head < 0 ? "mean" : head);
        return result(Method.ATTENTION, request, null, scores, details);
    }

    /** Semantic / Temperature: one forward + one backward for all prompts (directions chosen inside the pass). */
    private List<AttributionResult> oneBackward(Method method, List<AttributionRequest> requests) {
        boolean temperature = method == Method.TEMPERATURE;
        JacobianProbe.ScopeGradients sg = probe.oneBackwardScope(requests, temperature);
        List<AttributionResult> out = new ArrayList<>();
        for (int r = 0; r < requests.size(); r++) {
            AttributionRequest req = requests.get(r);
            double[] scores = new double[req.length()];
            for (int t = 0; t < scores.length; t++) {
                double[] g = sg.gradients()[r][t];
                scores[t] = req.isAttributable(t) ? Math.sqrt(dot(g, g)) : 0;
            }
            Map<String, Object> d = new LinkedHashMap<>();
            if (temperature) {
                d.put("y_norm", sg.yNorms()[r]);
            }
            out.add(result(method, req, temperature ? null : sg.targets()[r], scores, d));
        }
        return out;
    }

    /**
     * The Fisher operator of one prediction: double precision in Java for small D·V, engine GEMMs otherwise.
     *
     * @param prediction the prediction
     * @return the Fisher operator of one prediction: double precision in Java for small D·V, engine GEMMs otherwise
     */
    public FisherOperator fisherOperator(JacobianProbe.Prediction prediction) {
        double[] p = prediction.probabilities();
        long dv = (long) model().config().dModel() * model().config().vocabSize();
        double[] slopes = probe.capSlopes(prediction.logits()); // soft-capped logits: W_U·diag(s)
        if (dv <= arrayOperatorLimit) {
            return new ArrayFisherOperator(probe.unembeddingFloats(), model().config().dModel(), p, slopes);
        }
        return new NDArrayFisherOperator(model().weights().unembed(), p, slopes);
    }

    private List<AttributionResult> scopes(Method method, List<AttributionRequest> requests) {
        List<JacobianProbe.Prediction> predictions = probe.predict(requests);
        List<JacobianProbe.Direction> rows = new ArrayList<>();
        List<double[]> rowWeights = new ArrayList<>(); // per request: weight of each of its rows
        List<Map<String, Object>> details = new ArrayList<>();
        List<Integer> targets = new ArrayList<>();
        for (int r = 0; r < requests.size(); r++) {
            AttributionRequest req = requests.get(r);
            JacobianProbe.Prediction pred = predictions.get(r);
            int target = req.target() == AttributionRequest.TOP_1 ? pred.top1() : req.target();
            targets.add(target);
            Map<String, Object> d = new LinkedHashMap<>();
            List<double[]> directions = new ArrayList<>();
            double[] weights;
            if (method == Method.SEMANTIC) {
                directions.add(probe.targetDirection(target, pred.logits()[target]));
                weights = new double[] {1};
            } else if (method == Method.TEMPERATURE) {
                double norm = Math.sqrt(dot(pred.y(), pred.y()));
                double[] yHat = pred.y().clone();
                for (int i = 0; i < yHat.length; i++) {
                    yHat[i] /= norm;
                }
                directions.add(yHat);
                weights = new double[] {1};
                d.put("y_norm", norm);
            } else {
                // Every prompt draws from the same seeded stream (its Lanczos start, its Hutchinson probes), so its
                // result does not depend on its position in the call or on its batch mates.
                weights = fisherDirections(pred, directions, d, new SplittableRandom(seed).split());
            }
            for (double[] v : directions) {
                rows.add(new JacobianProbe.Direction(req.tokens(), req.position(), v));
            }
            rowWeights.add(weights);
            details.add(d);
        }
        double[][][] g = probe.vjp(rows);
        List<AttributionResult> out = new ArrayList<>();
        int row = 0;
        for (int r = 0; r < requests.size(); r++) {
            AttributionRequest req = requests.get(r);
            double[] w = rowWeights.get(r);
            double[] scores = new double[req.length()];
            boolean squared = method == Method.FISHER;
            double[][] perProbe = squared && fisherMode == FisherMode.HUTCHINSON ? new double[w.length][] : null;
            for (int k = 0; k < w.length; k++, row++) {
                if (perProbe != null) {
                    perProbe[k] = new double[req.length()];
                }
                for (int t = 0; t <= req.position(); t++) {
                    double sq = dot(g[row][t], g[row][t]);
                    scores[t] += w[k] * sq;
                    if (perProbe != null) {
                        perProbe[k][t] = sq;
                    }
                }
            }
            for (int t = 0; t < scores.length; t++) {
                scores[t] = !req.isAttributable(t) ? 0 : squared ? scores[t] : Math.sqrt(scores[t]);
            }
            if (perProbe != null) {
                details.get(r).put("standard_errors", standardErrors(perProbe, scores, req));
            }
            Integer target = method.usesTarget() ? targets.get(r) : null;
            out.add(result(method, req, target, scores, details.get(r)));
        }
        return out;
    }

    /** Adds the Fisher directions of one prediction; returns the weight of each direction's squared norm. */
    private double[] fisherDirections(JacobianProbe.Prediction pred, List<double[]> directions,
            Map<String, Object> details, SplittableRandom random) {
        try (FisherOperator op = fisherOperator(pred)) {
            switch (fisherMode) {
                case RANK_K: {
                    EigenPairs e = Lanczos.builder().setRank(fisherRank).optTolerance(lanczosTolerance)
                            .optSeed(random.nextLong()).build().top(op);
                    details.put("fisher_rank", fisherRank);
                    details.put("fisher_exact", false);
                    details.put("eigenvalues", e.values().clone());
                    details.put("lanczos_products", e.products());
                    details.put("lanczos_relative_residual", e.maxRelativeResidual());
                    directions.addAll(List.of(e.vectors()));
                    return e.values().clone();
                }
                case EXACT: {
                    EigenPairs e = DenseEigen.symmetric(op.dense());
                    details.put("fisher_rank", null);
                    details.put("fisher_exact", true);
                    details.put("fisher_trace", e.valueSum());
                    details.put("eigenvalues", java.util.Arrays.copyOf(e.values(), Math.min(8, e.size())));
                    directions.addAll(List.of(e.vectors()));
                    return e.values().clone();
                }
                case HUTCHINSON: {
                    int v = op.vocabularySize();
                    double[][] zeta = new double[hutchinsonProbes][v];
                    for (double[] z : zeta) {
                        for (int i = 0; i < v; i++) {
                            z[i] = random.nextBoolean() ? 1 : -1;
                        }
                    }
                    directions.addAll(List.of(op.factorTranspose(zeta)));
                    details.put("fisher_rank", null);
                    details.put("fisher_exact", false);
                    details.put("hutchinson_probes", hutchinsonProbes);
                    double[] w = new double[hutchinsonProbes];
                    java.util.Arrays.fill(w, 1.0 / hutchinsonProbes);
                    return w;
                }
                default:
                    throw new IllegalStateException("unhandled Fisher mode " + fisherMode);
            }
        }
    }

    private static double[] standardErrors(double[][] perProbe, double[] mean, AttributionRequest req) {
        int s = perProbe.length;
        double[] se = new double[mean.length];
        for (int t = 0; t < mean.length; t++) {
            if (!req.isAttributable(t) || s < 2) {
                continue;
            }
            double var = 0;
            for (double[] probeValues : perProbe) {
                double dv = probeValues[t] - mean[t];
                var += dv * dv;
            }
            se[t] = Math.sqrt(var / (s - 1) / s);
        }
        return se;
    }

    private AttributionResult baseline(Method method, AttributionRequest req, SplittableRandom random) {
        int[] tokens = req.tokens();
        int t = tokens.length;
        double[] scores = new double[t];
        Map<String, Object> details = new LinkedHashMap<>();
        Integer target = null;
        switch (method) {
            case INPUT_X_GRADIENT:
            case INTEGRATED_GRADIENTS: {
                target = req.target() == AttributionRequest.TOP_1 ? probe.predict(req).top1() : req.target();
                double[] alphas;
                double[] weights;
                if (method == Method.INPUT_X_GRADIENT) {
                    alphas = new double[] {1};
                    weights = new double[] {1};
                } else {
                    double[][] nw = igRule.nodesAndWeights(igSteps);
                    alphas = nw[0];
                    weights = nw[1];
                    details.put("ig_steps", igSteps);
                    details.put("ig_rule", igRule.name().toLowerCase(java.util.Locale.ROOT));
                }
                double[][][] grads = probe.logProbGradients(tokens, req.position(), target, alphas);
                double[][] x = probe.embeddings(tokens);
                double completeness = 0;
                for (int tau = 0; tau < t; tau++) {
                    double[] avg = new double[x[tau].length];
                    for (int j = 0; j < alphas.length; j++) {
                        for (int i = 0; i < avg.length; i++) {
                            avg[i] += weights[j] * grads[j][tau][i];
                        }
                    }
                    double sq = 0;
                    for (int i = 0; i < avg.length; i++) {
                        double v = avg[i] * x[tau][i];
                        sq += v * v;
                        completeness += v;
                    }
                    scores[tau] = req.isAttributable(tau) ? Math.sqrt(sq) : 0;
                }
                if (method == Method.INTEGRATED_GRADIENTS) {
                    // Completeness: Σ_τ,i IG_τ,i ≈ log p_target(x) − log p_target(0). A large gap means too few
                    // steps (RMSNorm models have a sharp transition near α = 0 that needs many).
                    boolean[] all = new boolean[t];
                    java.util.Arrays.fill(all, true);
                    double[][] ends = probe.logProbsWithZeroedEmbeddings(tokens, req.position(),
                            List.of(new boolean[t], all));
                    details.put("attribution_sum", completeness);
                    details.put("log_prob_difference", ends[0][target] - ends[1][target]);
                }
                break;
            }
            case ATTENTION:
                return attention(req, -1, -1);
            case LEAVE_ONE_OUT: {
                int[] positions = req.attributablePositions();
                List<boolean[]> masks = new ArrayList<>();
                masks.add(new boolean[t]);
                for (int p : positions) {
                    boolean[] m = new boolean[t];
                    m[p] = true;
                    masks.add(m);
                }
                double[][] lp = probe.logProbsWithZeroedEmbeddings(tokens, req.position(), masks);
                for (int i = 0; i < positions.length; i++) {
                    scores[positions[i]] = Softmax.kl(lp[0], lp[i + 1]);
                }
                break;
            }
            case RANDOM: {
                for (int tau = 0; tau < t; tau++) {
                    double u = random.nextDouble();
                    scores[tau] = req.isAttributable(tau) ? u : 0;
                }
                break;
            }
            default:
                throw new IllegalStateException("not a baseline: " + method);
        }
        return result(method, req, target, scores, details);
    }

    private static AttributionResult result(Method method, AttributionRequest req, Integer target, double[] scores,
            Map<String, Object> details) {
        Map<String, Object> d = new LinkedHashMap<>(details);
        if (req.excludedPositions().length > 0) {
            d.put("excluded", req.excludedPositions());
        }
        return new AttributionResult(method, req.position(), target, req.tokens(), req.tokenTexts(), scores, d);
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** Builder: {@code setModel} is required, everything else has a default. */
    public static final class Builder {
        private HookedTransformer model;
        private int maxRows = 64;
        private int fisherRank = 1;
        private FisherMode fisherMode = FisherMode.RANK_K;
        private int hutchinsonProbes = 64;
        private int igSteps = 20;
        private IntegrationRule igRule = IntegrationRule.GAUSS_LEGENDRE;
        private long seed = 1234L;
        private double lanczosTolerance = 1e-10;
        private long arrayOperatorLimit = 1L << 22;

        private Builder() {}

        /**
         * The model to attribute (borrowed, not closed by the attributor).
         *
         * @param m the model to attribute (borrowed, not closed by the attributor)
         * @return this builder
         */
        public Builder setModel(HookedTransformer m) {
            this.model = m;
            return this;
        }

        /**
         * Most sequences per forward/backward pass (default 64).
         *
         * @param rows most sequences per forward/backward pass (default 64)
         * @return this builder
         */
        public Builder optMaxRows(int rows) {
            this.maxRows = rows;
            return this;
        }

        /**
         * k of the rank-k Fisher Scope (default 1).
         *
         * @param k k of the rank-k Fisher Scope (default 1)
         * @return this builder
         */
        public Builder optFisherRank(int k) {
            this.fisherRank = k;
            return this;
        }

        /**
         * Rank-k (default), exact trace or Hutchinson estimate.
         *
         * @param mode Rank-k (default), exact trace or Hutchinson estimate
         * @return this builder
         */
        public Builder optFisherMode(FisherMode mode) {
            this.fisherMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * Rademacher probes of the Hutchinson estimate (default 64).
         *
         * @param s Rademacher probes of the Hutchinson estimate (default 64)
         * @return this builder
         */
        public Builder optHutchinsonProbes(int s) {
            this.hutchinsonProbes = s;
            return this;
        }

        /**
         * Integrated Gradients steps (default 20).
         *
         * @param steps the number of steps
         * @return this builder
         */
        public Builder optIgSteps(int steps) {
            this.igSteps = steps;
            return this;
        }

        /**
         * Integrated Gradients quadrature (default Gauss–Legendre).
         *
         * @param rule Integrated Gradients quadrature (default Gauss–Legendre)
         * @return this builder
         */
        public Builder optIgRule(IntegrationRule rule) {
            this.igRule = Objects.requireNonNull(rule, "rule");
            return this;
        }

        /**
         * Seed of the random baseline, Lanczos start vectors and Hutchinson probes (default 1234).
         *
         * @param s Seed of the random baseline, Lanczos start vectors and Hutchinson probes (default 1234)
         * @return this builder
         */
        public Builder optSeed(long s) {
            this.seed = s;
            return this;
        }

        /**
         * Relative residual tolerance of the Lanczos eigenpairs (default 1e-10).
         *
         * @param tol Relative residual tolerance of the Lanczos eigenpairs (default 1e-10)
         * @return this builder
         */
        public Builder optLanczosTolerance(double tol) {
            this.lanczosTolerance = tol;
            return this;
        }

        /**
         * Largest D·V for which Fisher products run in Java double precision on a copy of W_U (default 2²²);
         * larger models use engine GEMMs in the weights' precision.
         *
         * @param dv the dv
         * @return this builder
         */
        public Builder optArrayOperatorLimit(long dv) {
            this.arrayOperatorLimit = dv;
            return this;
        }

        /**
         * @return the attributor
         * @throws IllegalArgumentException naming the first invalid setting
         */
        public Attributor build() {
            if (model == null) {
                throw new IllegalArgumentException("model is required (setModel)");
            }
            if (maxRows < 1) {
                throw new IllegalArgumentException("maxRows must be at least 1, got " + maxRows);
            }
            int d = model.config().dModel();
            if (fisherRank < 1 || fisherRank > d) {
                throw new IllegalArgumentException("Fisher rank must be in 1.." + d + " (d_model), got "
                        + fisherRank);
            }
            if (hutchinsonProbes < 2) {
                throw new IllegalArgumentException("Hutchinson probes must be at least 2, got " + hutchinsonProbes);
            }
            if (igSteps < 1 || igSteps > MAX_IG_STEPS) {
                throw new IllegalArgumentException("integrated-gradients steps must be in 1.." + MAX_IG_STEPS
                        + ", got " + igSteps + " (each step is a forward and a backward pass; Gauss-Legendre "
                        + "converges in 20-100)");
            }
            if (!(lanczosTolerance > 0)) {
                throw new IllegalArgumentException("Lanczos tolerance must be positive, got " + lanczosTolerance);
            }
            return new Attributor(this);
        }
    }
}
