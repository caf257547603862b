package org.mechinterp.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mechinterp.core.hooks.HookNames;

/**
 * Activations recorded during one forward pass, by hook point name (and gradients under {@code NAME_grad}).
 *
 * <p>The cache owns a manager holding every array it returns; closing the cache frees them all. Do not close the
 * arrays yourself (two names may share storage, e.g. {@code blocks.0.hook_resid_post} and
 * {@code blocks.1.hook_resid_pre}); copy what must outlive the cache with {@code duplicate()} and {@code attach}.
 * Arrays are detached from any autograd graph.
 */
public final class ActivationCache implements AutoCloseable {
    private final NDManager manager;
    private final HookedTransformer model;
    private final Map<String, NDArray> entries = new LinkedHashMap<>();
    private NDArray logits;

    ActivationCache(NDManager manager, HookedTransformer model) {
        this.manager = manager;
        this.model = model;
    }

    /**
     * Every hook point the residual-stream helpers below read (embeddings, resid_pre/mid/post, attn_out, mlp_out,
     * hook_z, the norm scales); cache these, e.g. {@code model.runWithCache(batch, ActivationCache.analysisHooks(model))}.
     *
     * @param model the model
     * @return every hook point the residual-stream helpers below read (embeddings, resid_pre/mid/post, attn_out,
     *     mlp_out, hook_z, the norm scales); cache these, e.g. {@code model.runWithCache(batch,
     *     ActivationCache.analysisHooks(model))}
     */
    public static List<String> analysisHooks(HookedTransformer model) {
        return ResidualStream.hooks(model);
    }

    /**
     * TransformerLens' {@code accumulated_resid}: the residual stream before each layer up to {@code layer}
     * ({@code 0_pre}, optionally {@code 0_mid}, ..., then {@code layer_pre}, or {@code final_post} for L or −1),
     * stacked [C,B,T,D]. With {@code applyLn} each component is normalised as the final norm would (its own scale
     * recomputed, no weight): the logit-lens input.
     *
     * @param layer the layer index (0-based)
     * @param inclMid whether to include resid_mid
     * @param applyLn whether to apply the final norm
     * @return TransformerLens' {@code accumulated_resid}: the residual stream before each layer up to {@code layer}
     *     ({@code 0_pre}, optionally {@code 0_mid}, ..., then {@code layer_pre}, or {@code final_post} for L or −1),
     *     stacked [C,B,T,D]
     * @throws IllegalArgumentException for a layer outside 0..L (or −1), inclMid with a parallel residual, or a needed
     *     activation that is not cached (see {@link #analysisHooks})
     */
    public ResidualStack accumulatedResid(int layer, boolean inclMid, boolean applyLn) {
        return new ResidualStream(this, model).accumulated(layer, inclMid, applyLn);
    }

    /**
     * TransformerLens' {@code decompose_resid}: {@code embed}, {@code pos_embed} (learned positions) and each earlier
     * layer's {@code l_attn_out} and {@code l_mlp_out} [C,B,T,D]; they sum to resid_pre of {@code layer} (the final
     * residual for L or −1). With {@code applyLn}, normalised by the cached (frozen) scale of the norm reading it.
     *
     * @param layer the layer index (0-based)
     * @param applyLn whether to apply the final norm
     * @return TransformerLens' {@code decompose_resid}: {@code embed}, {@code pos_embed} (learned positions) and each
     *     earlier layer's {@code l_attn_out} and {@code l_mlp_out} [C,B,T,D]; they sum to resid_pre of {@code layer}
     *     (the final residual for L or −1)
     */
    public ResidualStack decomposeResid(int layer, boolean applyLn) {
        return new ResidualStream(this, model).decompose(layer, applyLn);
    }

    /**
     * TransformerLens' {@code apply_ln_to_stack}: [C,B,T,D] normalised as the norm reading the residual before
     * {@code layer} (ln1 of that layer; the final norm for L or −1), centred for LayerNorm, divided by the cached
     * scale (or, with {@code recompute}, by each component's own), without the norm's weight and bias.
     *
     * @param stack the stacked components
     * @param layer the layer index (0-based)
     * @param recompute whether to recompute the norm scale
     * @return TransformerLens' {@code apply_ln_to_stack}: [C,B,T,D] normalised as the norm reading the residual before
     *     {@code layer} (ln1 of that layer; the final norm for L or −1), centred for LayerNorm, divided by the cached
     *     scale (or, with {@code recompute}, by each component's own), without the norm's weight and bias
     */
    public NDArray applyLnToStack(NDArray stack, int layer, boolean recompute) {
        return new ResidualStream(this, model).applyLn(stack, layer, recompute);
    }

    /**
     * TransformerLens' {@code stack_head_results}: the output of every head of the layers before {@code layer}
     * (labels {@code L{l}H{h}}), z_h·W_O[h] [L·H,B,T,D], from a cached {@code attn.hook_result} or from
     * {@code attn.hook_z} and W_O; with post norms read through the cached ln1_post scale, so heads (plus b_O) sum to
     * {@code hook_attn_out}.
     *
     * @param layer the layer index (0-based)
     * @return TransformerLens' {@code stack_head_results}: the output of every head of the layers before {@code layer}
     *     (labels {@code L{l}H{h}}), z_h·W_O[h] [L·H,B,T,D], from a cached {@code attn.hook_result} or from {@code
     *     attn.hook_z} and W_O; with post norms read through the cached ln1_post scale, so heads (plus b_O) sum to
     *     {@code hook_attn_out}
     */
    public ResidualStack stackHeadResults(int layer) {
        return new ResidualStream(this, model).headResults(layer);
    }

    /**
     * The logit lens at one token: each component (typically {@link #accumulatedResid}(−1, ..)) through the final
     * norm (its own scale), the unembedding and any final soft-cap: [C,B,V]. The {@code final_post} row equals the
     * model's logits.
     *
     * @param components the residual components
     * @param position the position (0-based)
     * @return the logit lens at one token: each component (typically {@link #accumulatedResid}(−1, ..)) through the
     *     final norm (its own scale), the unembedding and any final soft-cap: [C,B,V]
     */
    public NDArray logitLens(ResidualStack components, int position) {
        return new LogitReadout(this, model).lens(components, position);
    }

    /**
     * Direct logit attribution of {@code token} at (batchRow, position): each component's contribution through the
     * final norm with its cached scale frozen (components from {@link #decomposeResid} or {@link #stackHeadResults},
     * unnormalised). For the decomposition of the final residual, {@code total()} is the model's logit (before any
     * soft-cap).
     *
     * @param components the residual components
     * @param batchRow the batch row
     * @param position the position (0-based)
     * @param token the token id
     * @return direct logit attribution of {@code token} at (batchRow, position): each component's contribution through
     *     the final norm with its cached scale frozen (components from {@link #decomposeResid} or {@link
     *     #stackHeadResults}, unnormalised)
     */
    public LogitAttribution logitAttribution(ResidualStack components, int batchRow, int position, int token) {
        return new LogitReadout(this, model).attribute(components, batchRow, position, token, -1);
    }

    /**
     * As {@link #logitAttribution}, for the logit difference {@code token} − {@code other}.
     *
     * @param components the residual components
     * @param batchRow the batch row
     * @param position the position (0-based)
     * @param token the token id
     * @param other the token id to compare with
     * @return As {@link #logitAttribution}, for the logit difference {@code token} − {@code other}
     */
    public LogitAttribution logitDifferenceAttribution(ResidualStack components, int batchRow, int position,
            int token, int other) {
        if (other < 0) {
            throw new IllegalArgumentException("other token must be >= 0, got " + other);
        }
        return new LogitReadout(this, model).attribute(components, batchRow, position, token, other);
    }

    /**
     * The manager owning the cached arrays; arrays made here are freed with the cache.
     *
     * @return the manager owning the cached arrays; arrays made here are freed with the cache
     */
    public NDManager manager() {
        return manager;
    }

    /**
     * The activation recorded at {@code name}.
     *
     * @param name the name
     * @return the activation recorded at {@code name}
     * @throws IllegalArgumentException if nothing was cached under that name (the message lists what was)
     */
    public NDArray get(String name) {
        NDArray a = entries.get(name);
        if (a == null) {
            throw new IllegalArgumentException("'" + name + "' is not in this cache; cached: "
                    + (entries.size() <= 12 ? entries.keySet() : entries.size() + " names starting "
                    + entries.keySet().stream().limit(6).toList()));
        }
        return a;
    }

    /**
     * The gradient recorded at hook point {@code name} (stored as {@code name_grad}).
     *
     * @param name the name
     * @return the gradient recorded at hook point {@code name} (stored as {@code name_grad})
     */
    public NDArray grad(String name) {
        return get(HookNames.grad(name));
    }

    /**
     * Whether {@code name} was cached.
     *
     * @param name the name
     * @return whether {@code name} was cached
     */
    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /**
     * Cached names in the order they were recorded.
     *
     * @return cached names in the order they were recorded
     */
    public Set<String> names() {
        return Collections.unmodifiableSet(entries.keySet());
    }

    /**
     * Logits [B,T,V] of the forward pass.
     *
     * @return logits [B,T,V] of the forward pass
     */
    public NDArray logits() {
        return logits;
    }

    void put(String name, NDArray array) {
        entries.put(name, array);
    }

    void setLogits(NDArray logits) {
        this.logits = logits;
    }

    /** Frees every cached array. */
    @Override
    public void close() {
        entries.clear();
        logits = null;
        manager.close();
    }
}
