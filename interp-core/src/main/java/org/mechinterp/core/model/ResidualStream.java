package org.mechinterp.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.mechinterp.core.hooks.HookNames;

/**
 * TransformerLens' residual-stream views of one cached forward pass (the math behind
 * {@link ActivationCache#accumulatedResid}, {@link ActivationCache#decomposeResid},
 * {@link ActivationCache#applyLnToStack} and {@link ActivationCache#stackHeadResults}). Every returned array is
 * owned by the cache's manager. Shapes: C components, B batch, T tokens, D model width, H heads.
 */
final class ResidualStream {
    private final ActivationCache cache;
    private final HookedTransformer model;
    private final ModelConfig config;

    ResidualStream(ActivationCache cache, HookedTransformer model) {
        this.cache = cache;
        this.model = model;
        this.config = model.config();
    }

    /**
     * Every hook point the helpers read: hook_embed (and hook_pos_embed), per layer resid_pre, resid_mid (sequential
     * blocks), attn_out, mlp_out, attn.hook_z and ln1_post.hook_scale (post norms), the last resid_post and
     * ln_final.hook_scale. Pass it to {@link HookedTransformer#runWithCache(TokenBatch, java.util.Collection)}.
     */
    static List<String> hooks(HookedTransformer model) {
        ModelConfig c = model.config();
        List<String> names = new ArrayList<>(List.of(HookNames.EMBED));
        if (c.positions() == ModelConfig.Positions.LEARNED) {
            names.add(HookNames.POS_EMBED);
        }
        for (int l = 0; l < c.nLayers(); l++) {
            names.addAll(List.of(HookNames.residPre(l), HookNames.attnOut(l), HookNames.mlpOut(l),
                    HookNames.block(l, "attn.hook_z"), HookNames.block(l, "ln1.hook_scale")));
            if (!c.parallelResidual()) {
                names.add(HookNames.residMid(l));
            }
            if (c.postNorms()) {
                names.add(HookNames.block(l, "ln1_post.hook_scale"));
            }
        }
        names.add(HookNames.residPost(c.nLayers() - 1));
        names.add(HookNames.LN_FINAL_SCALE);
        return names;
    }

    /**
     * The residual stream before each layer up to {@code layer}: labels {@code 0_pre}, ({@code 0_mid}), ...,
     * {@code layer_pre}, or {@code final_post} when layer = L (or −1). [C,B,T,D].
     *
     * @param inclMid also resid_mid of each layer before {@code layer} (not for a parallel residual, which has none)
     * @param applyLn normalise each component as the final norm would, recomputing its own scale (logit lens)
     */
    ResidualStack accumulated(int layer, boolean inclMid, boolean applyLn) {
        int n = config.nLayers();
        int upTo = checkLayer(layer);
        if (inclMid && config.parallelResidual()) {
            throw new IllegalArgumentException("inclMid: " + config.modelType() + " has a parallel residual, so no "
                    + "hook_resid_mid exists");
        }
        List<String> labels = new ArrayList<>();
        NDList parts = new NDList();
        for (int l = 0; l <= upTo; l++) {
            if (l == n) {
                labels.add("final_post");
                parts.add(cache.get(HookNames.residPost(n - 1)));
                continue;
            }
            labels.add(l + "_pre");
            parts.add(cache.get(HookNames.residPre(l)));
            if (inclMid && l < upTo) {
                labels.add(l + "_mid");
                parts.add(cache.get(HookNames.residMid(l)));
            }
        }
        NDArray stack = stack(parts);
        return new ResidualStack(labels, applyLn ? applyLn(stack, -1, true) : stack);
    }

    /**
     * The writes that sum to the residual stream before {@code layer} (the final residual for L or −1): hook_embed
     * ({@code embed}), hook_pos_embed ({@code pos_embed}, learned positions), then {@code l_attn_out} and
     * {@code l_mlp_out} of every earlier layer. Σ components = resid_pre(layer) (or the last resid_post). [C,B,T,D].
     *
     * @param applyLn normalise with the cached (frozen) scale of the norm that reads that residual
     */
    ResidualStack decompose(int layer, boolean applyLn) {
        int upTo = checkLayer(layer);
        List<String> labels = new ArrayList<>(List.of("embed"));
        NDList parts = new NDList(cache.get(HookNames.EMBED));
        if (config.positions() == ModelConfig.Positions.LEARNED) {
            labels.add("pos_embed");
            parts.add(cache.get(HookNames.POS_EMBED));
        }
        for (int l = 0; l < upTo; l++) {
            labels.add(l + "_attn_out");
            parts.add(cache.get(HookNames.attnOut(l)));
            labels.add(l + "_mlp_out");
            parts.add(cache.get(HookNames.mlpOut(l)));
        }
        NDArray stack = stack(parts);
        return new ResidualStack(labels, applyLn ? applyLn(stack, upTo, false) : stack);
    }

    /**
     * Normalises each component of [C,B,T,D] as the norm reading the residual before {@code layer} does (ln1 of that
     * layer; the final norm for L or −1), without its weight or bias (TransformerLens semantics: the weight belongs
     * to the reader): LayerNorm (x − mean_D x)/s, RMSNorm x/s. With {@code recompute} s is each component's own
     * sqrt(mean((x − mean)²) + eps) [C,B,T,1]; otherwise the cached scale [B,T,1] of that norm, frozen, so the map is
     * linear and sums of components stay sums.
     */
    NDArray applyLn(NDArray stack, int layer, boolean recompute) {
        int at = checkLayer(layer);
        NDArray centred = config.norm() == NormKind.LAYER_NORM ? stack.sub(stack.mean(new int[] {-1}, true)) : stack;
        NDArray scale;
        if (recompute) {
            scale = centred.square().mean(new int[] {-1}, true).add((float) config.normEps()).sqrt();
        } else {
            scale = cache.get(at == config.nLayers() ? HookNames.LN_FINAL_SCALE : HookNames.block(at, "ln1.hook_scale"));
        }
        NDArray out = centred.div(scale);
        out.attach(cache.manager());
        return out;
    }

    /**
     * Per-head attention outputs of every layer before {@code layer}, labels {@code L{l}H{h}}: result = z_h·W_O[h]
     * (from a cached {@code attn.hook_result}, else from the cached {@code attn.hook_z} and W_O). With post norms the
     * cached ln1_post scale s is frozen: result·(offset + w)/s, so Σ_h result (+ b_O read the same way, which no head
     * owns) = hook_attn_out. [L·H,B,T,D].
     */
    ResidualStack headResults(int layer) {
        int upTo = checkLayer(layer);
        List<String> labels = new ArrayList<>();
        NDList parts = new NDList();
        try (NDManager scratch = cache.manager().newSubManager()) {
            for (int l = 0; l < upTo; l++) {
                NDArray heads = perHead(l, scratch);                                                 // [H,B,T,D]
                for (int h = 0; h < config.nHeads(); h++) {
                    labels.add("L" + l + "H" + h);
                    parts.add(heads.get(h));
                }
            }
            NDArray stack = stack(parts);
            stack.attach(cache.manager());
            return new ResidualStack(labels, stack);
        }
    }

    /** [H,B,T,D] results of layer l, through the frozen post norm when the model has one; owned by scratch. */
    private NDArray perHead(int l, NDManager scratch) {
        String cached = HookNames.block(l, "attn.hook_result");
        NDArray heads;
        if (cache.contains(cached)) {
            heads = cache.get(cached).transpose(2, 0, 1, 3);                                     // [H,B,T,D]
        } else {
            NDArray z = cache.get(HookNames.block(l, "attn.hook_z"));                            // [B,T,H,Dh]
            BlockWeights w = model.weights().block(l, scratch, false);
            long b = z.getShape().get(0);
            long t = z.getShape().get(1);
            int h = config.nHeads();
            NDArray wo = w.wo().reshape(h, config.headDim(), config.dModel());                  // [H,Dh,D]
            wo.attach(scratch);
            heads = z.transpose(2, 0, 1, 3).reshape(h, b * t, config.headDim()).matMul(wo)
                    .reshape(h, b, t, config.dModel());
        }
        heads.attach(scratch);
        if (!config.postNorms()) {
            return heads;
        }
        NormWeights post = model.weights().block(l, scratch, false).ln1Post();
        NDArray scaled = heads.div(cache.get(HookNames.block(l, "ln1_post.hook_scale")));
        NDArray out = scaled.mul(post.weight()).add(scaled.mul((float) config.normWeightOffset()));
        out.attach(scratch);
        return out;
    }

    /** layer in 0..L, or −1 for L. */
    private int checkLayer(int layer) {
        int n = config.nLayers();
        if (layer < -1 || layer > n) {
            throw new IllegalArgumentException("layer " + layer + " is outside 0.." + n + " (or -1 for the end)");
        }
        return layer < 0 ? n : layer;
    }

    private NDArray stack(NDList parts) {
        NDArray s = NDArrays.stack(parts);
        s.attach(cache.manager());
        return s;
    }
}
