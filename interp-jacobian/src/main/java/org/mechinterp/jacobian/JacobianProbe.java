package org.mechinterp.jacobian;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.hooks.HookScope;
import org.mechinterp.core.model.ActivationCache;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;

/**
 * The model-facing primitives every attribution method is built from: the prediction state at ℓ, batched
 * vector–Jacobian products vᵀJ_τ, gradients of log p_target under scaled embeddings, and forward passes with
 * zeroed embeddings.
 *
 * <p>Notation: x_τ ∈ R^D is the activation at {@code hook_embed} for token τ (the token embedding; learned position
 * embeddings of GPT-2 are added after it), y ∈ R^D the final-norm output ({@code unembed.hook_in}) at the prediction
 * position ℓ, J_τ = ∂y/∂x_τ ∈ R^{D×D}. Gradients are taken at the hook point (a zero leaf added to x), never
 * through the embedding lookup.
 *
 * <p>Several directions share one backward pass by batch replication: row r of a batch carries its own prompt and
 * direction v_r, the loss is Σ_r v_r·y_r(ℓ_r), and because rows never interact the gradient at row r is exactly
 * v_rᵀJ_τ of that row. Rows are processed in chunks of at most {@code maxRows} to bound memory.
 *
 * <p>Everything returned is plain Java arrays in double precision; no native memory escapes a call (each call runs
 * in managers closed before it returns). The model is borrowed, not owned, and must not be closed while in use;
 * hooks registered by callers stay active (scopes add theirs on top). Not thread-safe (it registers hooks on the
 * model).
 */
public final class JacobianProbe {
    private final HookedTransformer model;
    private final int maxRows;

    /** The state of the model at the prediction position of one prompt. */
    public record Prediction(double[] y, double[] logits, int top1) {
        /**
         * softmax(logits) over the full vocabulary, in double precision.
         *
         * @return softmax(logits) over the full vocabulary, in double precision
         */
        public double[] probabilities() {
            return Softmax.probabilities(logits);
        }
    }

    /** One VJP row: a prompt, its prediction position ℓ and a direction v ∈ R^D applied to y(ℓ). */
    public record Direction(int[] tokens, int position, double[] v) {
        /**
         * Checks the components.
         *
         * @param tokens the token ids
         * @param position the position (0-based)
         * @param v the value
         */
        public Direction {
            Objects.requireNonNull(tokens, "tokens");
            Objects.requireNonNull(v, "v");
            if (position < 0 || position >= tokens.length) {
                throw new IllegalArgumentException("position " + position + " outside prompt of " + tokens.length
                        + " tokens");
            }
        }
    }

    /**
     * @param model the model (borrowed)
     * @param maxRows the most sequences per forward/backward pass (memory bound), at least 1
     */
    public JacobianProbe(HookedTransformer model, int maxRows) {
        this.model = Objects.requireNonNull(model, "model");
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows must be at least 1, got " + maxRows);
        }
        this.maxRows = maxRows;
    }

    /**
     * The model (borrowed).
     *
     * @return the model (borrowed)
     */
    public HookedTransformer model() {
        return model;
    }

    /**
     * The most sequences per forward/backward pass (memory bound), at least 1.
     *
     * @return the most sequences per forward/backward pass (memory bound), at least 1
     */
    public int maxRows() {
        return maxRows;
    }

    /**
     * y, logits and the top-1 token at ℓ for each request (batched forward passes, left-padded).
     *
     * @param requests the requests
     * @return y, logits and the top-1 token at ℓ for each request (batched forward passes, left-padded)
     */
    public List<Prediction> predict(List<AttributionRequest> requests) {
        List<Prediction> out = new ArrayList<>(requests.size());
        for (int start = 0; start < requests.size(); start += maxRows) {
            List<AttributionRequest> chunk = requests.subList(start, Math.min(requests.size(), start + maxRows));
            int[][] seqs = new int[chunk.size()][];
            for (int r = 0; r < seqs.length; r++) {
                seqs[r] = chunk.get(r).tokens();
            }
            TokenBatch batch = TokenBatch.of(seqs);
            try (ActivationCache cache = model.runWithCache(batch, Set.of(HookNames.UNEMBED_IN))) {
                NDArray y = cache.get(HookNames.UNEMBED_IN);
                NDArray logits = cache.logits();
                for (int r = 0; r < seqs.length; r++) {
                    int slot = batch.padding(r) + chunk.get(r).position();
                    double[] yr = doubles(y.get(r, slot));
                    double[] lr = doubles(logits.get(r, slot));
                    out.add(new Prediction(yr, lr, argmax(lr)));
                }
            }
        }
        return out;
    }

    /**
     * The prediction state of one request.
     *
     * @param request the attribution request
     * @return the prediction state of one request
     */
    public Prediction predict(AttributionRequest request) {
        return predict(List.of(request)).get(0);
    }

    /**
     * Vector–Jacobian products: for each row, g_τ = v_rᵀJ_τ for every position τ of its prompt.
     *
     * @param rows the rows
     * @return [rows][T_r][D]: row r's gradient of v_r·y(ℓ_r) w.r.t. x_τ (zero for τ > ℓ_r)
     * @throws IllegalArgumentException if a direction's length is not D
     */
    public double[][][] vjp(List<Direction> rows) {
        int d = model.config().dModel();
        for (Direction row : rows) {
            if (row.v().length != d) {
                throw new IllegalArgumentException("direction has " + row.v().length + " entries but d_model is "
                        + d);
            }
        }
        double[][][] out = new double[rows.size()][][];
        for (int start = 0; start < rows.size(); start += maxRows) {
            List<Direction> chunk = rows.subList(start, Math.min(rows.size(), start + maxRows));
            double[][][] g = vjpChunk(chunk, d);
            System.arraycopy(g, 0, out, start, g.length);
        }
        return out;
    }

    private double[][][] vjpChunk(List<Direction> rows, int d) {
        int[][] seqs = new int[rows.size()][];
        for (int r = 0; r < seqs.length; r++) {
            seqs[r] = rows.get(r).tokens();
        }
        TokenBatch batch = TokenBatch.of(seqs);
        int t = batch.length();
        double[] weights = new double[seqs.length * t * d];
        for (int r = 0; r < seqs.length; r++) {
            int slot = batch.padding(r) + rows.get(r).position();
            System.arraycopy(rows.get(r).v(), 0, weights, (r * t + slot) * d, d);
        }
        Shape shape = new Shape(seqs.length, t, d);
        NDArray[] stash = new NDArray[1];
        try (HookScope scope = model.hooks().scope()) {
            // Observe y with its graph intact; the loss below is built from it (the logits are not needed).
            scope.add(HookNames.UNEMBED_IN, (y, ctx) -> {
                stash[0] = y;
                return y;
            });
            try (ActivationCache cache = model.runWithGradients(batch, n -> false, HookNames.EMBED::equals,
                    logits -> {
                        NDArray y = stash[0];
                        NDArray w = create(y.getManager(), weights, shape, y.getDataType());
                        return y.mul(w).sum();
                    })) {
                return unpad(doubles(cache.grad(HookNames.EMBED)), batch, d);
            }
        }
    }

    /** Result of {@link #oneBackwardScope}: per request the gradients, the target used and ‖y(ℓ)‖. */
    public record ScopeGradients(double[][][] gradients, int[] targets, double[] yNorms) {}

    /**
     * Semantic or Temperature Scope gradients in a single forward + backward pass: the direction is chosen inside
     * the pass from that pass's own y(ℓ) and logits (w_target with the top-1 resolved there, or ŷ = y/‖y‖ detached),
     * so no separate forward is needed.
     *
     * @param requests the requests
     * @param temperature true for v = ŷ, false for v = w_target
     * @return gradients [requests][T][D] of v·y(ℓ) w.r.t. x_τ, the targets (top-1 where the request has none) and
     *     ‖y(ℓ)‖ per request
     */
    public ScopeGradients oneBackwardScope(List<AttributionRequest> requests, boolean temperature) {
        int d = model.config().dModel();
        double[][][] grads = new double[requests.size()][][];
        int[] targets = new int[requests.size()];
        double[] norms = new double[requests.size()];
        for (int start = 0; start < requests.size(); start += maxRows) {
            List<AttributionRequest> chunk = requests.subList(start, Math.min(requests.size(), start + maxRows));
            int[][] seqs = new int[chunk.size()][];
            for (int r = 0; r < seqs.length; r++) {
                seqs[r] = chunk.get(r).tokens();
            }
            TokenBatch batch = TokenBatch.of(seqs);
            int offset = start;
            NDArray[] stash = new NDArray[1];
            try (HookScope scope = model.hooks().scope()) {
                scope.add(HookNames.UNEMBED_IN, (y, ctx) -> {
                    stash[0] = y;
                    return y;
                });
                try (ActivationCache cache = model.runWithGradients(batch, n -> false, HookNames.EMBED::equals,
                        logits -> {
                            NDArray y = stash[0];
                            NDArray loss = null;
                            for (int r = 0; r < seqs.length; r++) {
                                AttributionRequest req = chunk.get(r);
                                int slot = batch.padding(r) + req.position();
                                NDArray yr = y.get(r, slot);                                   // [D]
                                NDArray v;
                                double norm = yr.stopGradient().norm().toType(DataType.FLOAT64, false).getDouble();
                                norms[offset + r] = norm;
                                if (temperature) {
                                    v = yr.stopGradient().div(norm);
                                    targets[offset + r] = AttributionRequest.TOP_1;
                                } else {
                                    int target = req.target() == AttributionRequest.TOP_1
                                            ? (int) logits.get(r, slot).argMax().getLong() : req.target();
                                    targets[offset + r] = target;
                                    double logit = logits.get(r, slot, target).toType(DataType.FLOAT64, false)
                                            .getDouble();
                                    v = create(y.getManager(), targetDirection(target, logit), new Shape(d),
                                            y.getDataType());
                                }
                                NDArray term = yr.mul(v).sum();
                                loss = loss == null ? term : loss.add(term);
                            }
                            return loss;
                        })) {
                    double[][][] g = unpad(doubles(cache.grad(HookNames.EMBED)), batch, d);
                    System.arraycopy(g, 0, grads, start, g.length);
                }
            }
        }
        return new ScopeGradients(grads, targets, norms);
    }

    /**
     * Gradients of log p_target(ℓ) w.r.t. the (scaled) embeddings, one forward/backward per chunk of scales: row j
     * runs the prompt with every x_τ replaced by α_j·x_τ and returns ∇_x log softmax(z(ℓ))[target] at αx.
     *
     * @param tokens the token ids
     * @param position the position (0-based)
     * @param target the target
     * @param alphas embedding scales (1 for plain gradients)
     * @return [alphas][T][D]
     */
    public double[][][] logProbGradients(int[] tokens, int position, int target, double[] alphas) {
        checkTarget(target);
        int d = model.config().dModel();
        double[][][] out = new double[alphas.length][][];
        for (int start = 0; start < alphas.length; start += maxRows) {
            int n = Math.min(maxRows, alphas.length - start);
            int[][] seqs = new int[n][];
            double[] scale = new double[n];
            for (int r = 0; r < n; r++) {
                seqs[r] = tokens;
                scale[r] = alphas[start + r];
            }
            TokenBatch batch = TokenBatch.of(seqs);
            try (HookScope scope = model.hooks().scope()) {
                scope.add(HookNames.EMBED, (x, ctx) ->
                        x.mul(create(ctx.manager(), scale, new Shape(n, 1, 1), x.getDataType())));
                try (ActivationCache cache = model.runWithGradients(batch, name -> false, HookNames.EMBED::equals,
                        logits -> logits.get(":, {}, :", position).logSoftmax(-1).get(":, {}", target).sum())) {
                    double[][][] g = unpad(doubles(cache.grad(HookNames.EMBED)), batch, d);
                    System.arraycopy(g, 0, out, start, n);
                }
            }
        }
        return out;
    }

    /**
     * The embeddings x_τ of a prompt (activations at {@code hook_embed}), [T][D].
     *
     * @param tokens the token ids
     * @return the embeddings x_τ of a prompt (activations at {@code hook_embed}), [T][D]
     */
    public double[][] embeddings(int[] tokens) {
        try (ActivationCache cache = model.runWithCache(TokenBatch.of(tokens), Set.of(HookNames.EMBED))) {
            return unpad(doubles(cache.get(HookNames.EMBED)), TokenBatch.of(tokens), model.config().dModel())[0];
        }
    }

    /**
     * Attention patterns of the query at ℓ: entry [l][h][τ] is how much head h of layer l attends from ℓ to τ.
     *
     * @param tokens the token ids
     * @param position the position (0-based)
     * @return attention patterns of the query at ℓ: entry [l][h][τ] is how much head h of layer l attends from ℓ to τ
     */
    public double[][][] attentionFrom(int[] tokens, int position) {
        int layers = model.config().nLayers();
        List<String> names = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            names.add(HookNames.pattern(l));
        }
        int heads = model.config().nHeads();
        double[][][] out = new double[layers][heads][];
        try (ActivationCache cache = model.runWithCache(TokenBatch.of(tokens), names)) {
            for (int l = 0; l < layers; l++) {
                double[] row = doubles(cache.get(names.get(l)).get("0, :, {}, :", position)); // [H,T]
                for (int h = 0; h < heads; h++) {
                    out[l][h] = java.util.Arrays.copyOfRange(row, h * tokens.length, (h + 1) * tokens.length);
                }
            }
        }
        return out;
    }

    /**
     * Log-probabilities at ℓ with some embeddings zeroed: row r runs the prompt with x_τ replaced by 0 wherever
     * {@code zeroed[r][τ]} (the attention mask is kept: zeroed tokens are still attended to).
     *
     * @param tokens the token ids
     * @param position the position (0-based)
     * @param zeroed the zeroed
     * @return [rows][V] log softmax of the logits at ℓ
     */
    public double[][] logProbsWithZeroedEmbeddings(int[] tokens, int position, List<boolean[]> zeroed) {
        int t = tokens.length;
        if (position < 0 || position >= t) {
            throw new IllegalArgumentException("position " + position + " outside prompt of " + t + " tokens");
        }
        double[][] out = new double[zeroed.size()][];
        for (int start = 0; start < zeroed.size(); start += maxRows) {
            int n = Math.min(maxRows, zeroed.size() - start);
            int[][] seqs = new int[n][];
            double[] keep = new double[n * t];
            for (int r = 0; r < n; r++) {
                seqs[r] = tokens;
                boolean[] z = zeroed.get(start + r);
                if (z.length != t) {
                    throw new IllegalArgumentException("mask has " + z.length + " entries for " + t + " tokens");
                }
                for (int i = 0; i < t; i++) {
                    keep[r * t + i] = z[i] ? 0 : 1;
                }
            }
            TokenBatch batch = TokenBatch.of(seqs);
            try (HookScope scope = model.hooks().scope(); NDManager m = model.manager().newSubManager()) {
                scope.add(HookNames.EMBED, (x, ctx) ->
                        x.mul(create(ctx.manager(), keep, new Shape(n, t, 1), x.getDataType())));
                NDArray logits = model.forward(m, batch);
                NDArray rows = logits.get(":, {}, :", position).toType(DataType.FLOAT64, false).logSoftmax(-1);
                double[] flat = rows.toDoubleArray();
                int v = Math.toIntExact(rows.getShape().get(1));
                for (int r = 0; r < n; r++) {
                    out[start + r] = java.util.Arrays.copyOfRange(flat, r * v, (r + 1) * v);
                }
            }
        }
        return out;
    }

    /**
     * ∂ℓ_v/∂z_v for each token, where z = y·W_U and ℓ the logits: null when the logits are z itself; with a final
     * soft-cap (Gemma 2: ℓ = c·tanh(z/c)) it is 1 − tanh²(z/c) = 1 − (ℓ/c)², read off the capped logits. The logits
     * are then ℓ(y) with Jacobian diag(s)·W_Uᵀ, so a token's direction is s_t·w_t and the Fisher metric of y uses
     * W_U·diag(s).
     *
     * @param logits the (capped) logits at the prediction position
     * @return ∂ℓ_v/∂z_v for each token, where z = y·W_U and ℓ the logits: null when the logits are z itself; with a
     *     final soft-cap (Gemma 2: ℓ = c·tanh(z/c)) it is 1 − tanh²(z/c) = 1 − (ℓ/c)², read off the capped logits
     */
    public double[] capSlopes(double[] logits) {
        double c = model.config().finalLogitSoftcap();
        if (c == 0) {
            return null;
        }
        double[] s = new double[logits.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = capSlope(logits[i]);
        }
        return s;
    }

    /**
     * ∂ℓ/∂z of one (capped) logit: 1 without a soft-cap, else 1 − (ℓ/c)².
     *
     * @param logit the logit
     * @return ∂ℓ/∂z of one (capped) logit: 1 without a soft-cap, else 1 − (ℓ/c)²
     */
    public double capSlope(double logit) {
        double c = model.config().finalLogitSoftcap();
        return c == 0 ? 1 : 1 - (logit / c) * (logit / c);
    }

    /**
     * The direction of token {@code id} in y-space: ∂ℓ_id/∂y = s_id·w_id (w_id itself without a soft-cap).
     *
     * @param id the id
     * @param logit the logit
     * @return the direction of token {@code id} in y-space: ∂ℓ_id/∂y = s_id·w_id (w_id itself without a soft-cap)
     */
    public double[] targetDirection(int id, double logit) {
        double[] w = unembeddingColumn(id);
        double slope = capSlope(logit);
        for (int i = 0; i < w.length; i++) {
            w[i] *= slope;
        }
        return w;
    }

    /**
     * Column {@code id} of W_U [D,V] (the unembedding vector of a token), in double precision.
     *
     * @param id the id
     * @return column {@code id} of W_U [D,V] (the unembedding vector of a token), in double precision
     */
    public double[] unembeddingColumn(int id) {
        checkTarget(id);
        try (NDManager m = model.manager().newSubManager()) {
            NDArray col = model.weights().unembed().get(":, {}", id);
            col.attach(m);
            return doubles(col);
        }
    }

    /**
     * W_U [D,V] copied into a row-major float array (D·V entries); only for models small enough to copy.
     *
     * @return W_U [D,V] copied into a row-major float array (D·V entries); only for models small enough to copy
     */
    public float[] unembeddingFloats() {
        try (NDManager m = model.manager().newSubManager()) {
            NDArray w = model.weights().unembed().toType(DataType.FLOAT32, true);
            w.attach(m);
            return w.toFloatArray();
        }
    }

    void checkTarget(int id) {
        int v = model.config().vocabSize();
        if (id < 0 || id >= v) {
            throw new IllegalArgumentException("target token id " + id + " is outside the vocabulary [0, " + v + ")");
        }
    }

    /** Checks a request's tokens against the vocabulary (clear message before any native work). */
    void checkTokens(AttributionRequest request) {
        TokenBatch.of(request.tokens()).requireInVocabulary(model.config().vocabSize());
    }

    private static double[][][] unpad(double[] flat, TokenBatch batch, int d) {
        int t = batch.length();
        double[][][] out = new double[batch.batchSize()][][];
        for (int r = 0; r < out.length; r++) {
            int pad = batch.padding(r);
            out[r] = new double[t - pad][];
            for (int i = pad; i < t; i++) {
                out[r][i - pad] = java.util.Arrays.copyOfRange(flat, (r * t + i) * d, (r * t + i + 1) * d);
            }
        }
        return out;
    }

    /** The array's values in double precision; the conversion (if any) lands in the array's own manager. */
    static double[] doubles(NDArray a) {
        if (a.getDataType() == DataType.FLOAT64) {
            return a.toDoubleArray();
        }
        NDArray c = a.toType(DataType.FLOAT64, false);
        try {
            return c.toDoubleArray();
        } finally {
            if (c != a) {
                c.close();
            }
        }
    }

    /** An array in {@code m} holding {@code values} in the given type. */
    static NDArray create(NDManager m, double[] values, Shape shape, DataType type) {
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

    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
