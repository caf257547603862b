package org.mechinterp.core.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.mechinterp.core.Interp;
import org.mechinterp.core.family.CheckpointLoader;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.hooks.HookRegistry;

/**
 * A decoder-only transformer written in explicit NDArray arithmetic with a hook point at every TransformerLens
 * name (see {@link HookNames} for names and shapes).
 *
 * <p>Ownership: the model owns one manager holding its weights; {@link #close()} frees them. Each forward pass
 * runs in a sub-manager closed at its end, so intermediates never accumulate; what a call returns is owned by the
 * manager you pass in, or by the returned {@link ActivationCache}. Not thread-safe.
 *
 * <p>Hook points are identities unless something is registered: with no hook, cache or gradient request the
 * forward pass does no extra work. Hooks live in {@link #hooks()}; prefer {@link HookRegistry#scope()} so they
 * are removed even when the forward pass throws.
 */
public final class HookedTransformer implements AutoCloseable {
    /**
     * Added to masked attention scores: the lowest finite float, as HF does (−inf would give NaN rows), so masked
     * entries of {@code hook_attn_scores} read about −3.4e38.
     */
    public static final float MASKED_SCORE = -Float.MAX_VALUE;

    private final ModelConfig config;
    private final NDManager manager;
    private final TransformerWeights weights;
    private final HookRegistry hooks;
    private final HookNames.Layer[] layerNames;
    /** Per layer, inv_freq of its rotary setting (layers with the same setting share one array); null if not rotary. */
    private final float[][] inverseFrequencies;
    private final float attentionScale;

    private HookedTransformer(ModelConfig config, TransformerWeights weights, NDManager manager) {
        this.config = Objects.requireNonNull(config);
        this.weights = Objects.requireNonNull(weights);
        this.manager = Objects.requireNonNull(manager);
        if (weights.resident() && weights.blocks().size() != config.nLayers()) {
            throw new IllegalArgumentException("config has " + config.nLayers() + " layers but weights have "
                    + weights.blocks().size());
        }
        boolean rotary = config.positions() == ModelConfig.Positions.ROTARY;
        HookNames.Features features = new HookNames.Features(!rotary, rotary, config.gatedMlp(), config.postNorms(),
                config.parallelResidual());
        this.layerNames = new HookNames.Layer[config.nLayers()];
        for (int l = 0; l < layerNames.length; l++) {
            layerNames[l] = HookNames.Layer.of(l, features);
        }
        this.hooks = new HookRegistry(HookNames.all(config.nLayers(), features), this::whyAbsent);
        this.inverseFrequencies = rotary ? hfInverseFrequencies(config) : null;
        this.attentionScale = (float) config.attentionScale();
    }

    /** Why a TransformerLens name that this architecture lacks is absent (null: the name is simply unknown). */
    private String whyAbsent(String name) {
        if (config.parallelResidual() && name.matches("blocks\\.\\d+\\.hook_resid_mid")) {
            return config.modelType() + " uses a parallel residual (resid_post = resid_pre + attn_out + mlp_out, "
                    + "with attention and MLP both reading resid_pre), so no residual stream exists between attention "
                    + "and MLP; use hook_resid_pre and hook_attn_out instead";
        }
        if (!config.postNorms() && name.matches("blocks\\.\\d+\\.ln[12]_post\\..*")) {
            return config.modelType() + " has no norms on the attention / MLP outputs (only Gemma-style post norms "
                    + "have ln1_post / ln2_post)";
        }
        return null;
    }

    /**
     * Loads an HF checkpoint folder ({@code config.json} + safetensors) onto the CPU with the default
     * {@link LoadOptions}: weights in F32 when they fit in memory, else at rest in their stored dtype.
     *
     * @param modelDir the model dir
     * @return the hooked transformer
     * @throws IOException if a file cannot be read or written
     */
    public static HookedTransformer load(Path modelDir) throws IOException {
        return load(modelDir, LoadOptions.defaults());
    }

    /**
     * Loads an HF checkpoint folder onto a device with the default storage choice.
     *
     * @param modelDir the model dir
     * @param device the device
     * @return the hooked transformer
     * @throws IOException if the folder, config or weights are missing or malformed (the message names them)
     */
    public static HookedTransformer load(Path modelDir, Device device) throws IOException {
        return load(modelDir, LoadOptions.builder().optDevice(device).build());
    }

    /**
     * Loads an HF checkpoint folder as {@code options} say (storage form, device, memory guard).
     *
     * @param modelDir the model dir
     * @param options the options
     * @return the hooked transformer
     * @throws IOException if the folder, config or weights are missing or malformed, or the memory guard finds
     *     that the model does not fit (the message names the needed and available bytes)
     */
    public static HookedTransformer load(Path modelDir, LoadOptions options) throws IOException {
        Interp.configureDjl();
        NDManager manager = NDManager.newBaseManager(options.device());
        try {
            CheckpointLoader.Loaded loaded = CheckpointLoader.load(modelDir, manager, options);
            return new HookedTransformer(loaded.config(), loaded.weights(), manager);
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Wraps weights already in memory (e.g. {@link RandomWeights}); the model takes ownership of {@code manager},
     * which must own the weights.
     *
     * @param config the model configuration
     * @param weights the weights
     * @param manager the manager owning the weights; the model takes it over
     * @return the hooked transformer
     */
    public static HookedTransformer fromWeights(ModelConfig config, TransformerWeights weights, NDManager manager) {
        return new HookedTransformer(config, weights, manager);
    }

    /**
     * The model configuration.
     *
     * @return the model configuration
     */
    public ModelConfig config() {
        return config;
    }

    /**
     * The weights, owned by this model.
     *
     * @return the weights, owned by this model
     */
    public TransformerWeights weights() {
        return weights;
    }

    /**
     * The model's manager (owning the weights). Arrays made here live as long as the model.
     *
     * @return the model's manager (owning the weights)
     */
    public NDManager manager() {
        return manager;
    }

    /**
     * The hooks registered on this model.
     *
     * @return the hooks registered on this model
     */
    public HookRegistry hooks() {
        return hooks;
    }

    /**
     * Every hook point name, in forward order.
     *
     * @return every hook point name, in forward order
     */
    public Set<String> hookNames() {
        return hooks.names();
    }

    /**
     * Runs the model.
     *
     * @param owner manager that will own the returned logits
     * @param batch the token batch
     * @return logits [B,T,V]
     * @throws IllegalArgumentException for token ids outside the vocabulary or sequences longer than the position
     *     embedding
     */
    public NDArray forward(NDManager owner, TokenBatch batch) {
        try (ForwardPass pass = new ForwardPass(manager.newSubManager(), hooks, null, null, null)) {
            return ForwardPass.handOut(run(pass, batch), owner);
        }
    }

    /**
     * An empty key/value cache for {@link #forward(NDManager, TokenBatch, KvCache)}; close it (closing the model
     * frees it too).
     *
     * @return an empty key/value cache for {@link #forward(NDManager, TokenBatch, KvCache)}; close it (closing the
     *     model frees it too)
     */
    public KvCache newKvCache() {
        return new KvCache(this, manager.newSubManager(), config.nLayers());
    }

    /**
     * Runs the model on new tokens, attending to the tokens already in {@code cache}, and adds the new keys and values
     * to it. The first call takes a whole (left-padded) prompt batch; each later call takes the next tokens, the same
     * number for every sequence (usually one), at positions continuing from each sequence's real length. Logits equal
     * those of a full recomputation at the same positions (within float round-off).
     *
     * <p>Hooks run as in {@link #forward(NDManager, TokenBatch)} but see only the new positions, as in
     * TransformerLens: activations are [B,Tq,...] with Tq new tokens, and {@code hook_attn_scores} /
     * {@code hook_pattern} are [B,H,Tq,K] over all K cached plus new keys. Keys and values are cached after their
     * hooks ({@code hook_rot_k}, or {@code hook_k} for learned positions, and {@code hook_v}), so patches of them
     * persist. No autograd.
     *
     * @param owner manager that will own the returned logits
     * @param batch the token batch
     * @param cache the cache
     * @return logits [B,Tq,V] of the new tokens
     * @throws IllegalArgumentException for token ids outside the vocabulary, positions beyond the learned position
     *     embedding, a batch size other than the cache's, or padding in a continuation; the cache is then unchanged
     */
    public NDArray forward(NDManager owner, TokenBatch batch, KvCache cache) {
        cache.requireOwner(this);
        try (ForwardPass pass = new ForwardPass(manager.newSubManager(), hooks, null, null, null)) {
            pass.kv = cache;
            NDArray logits = run(pass, batch);
            cache.commit(pass.layout);
            return ForwardPass.handOut(logits, owner);
        } catch (RuntimeException e) {
            cache.discard();
            throw e;
        }
    }

    /**
     * Runs the model and hands out logits that stay connected to the autograd graph: inside a
     * {@code GradientCollector}, a loss computed from them back-propagates into every weight that requires a
     * gradient (this is how {@code org.mechinterp.core.train} trains models). Outside a collector it equals
     * {@link #forward}. Intermediates are released with the pass; the graph keeps what backward needs.
     *
     * @param owner manager that will own the returned logits (and whatever you compute from them)
     * @param batch the token batch
     * @return logits [B,T,V]
     */
    public NDArray forwardDifferentiable(NDManager owner, TokenBatch batch) {
        try (ForwardPass pass = new ForwardPass(manager.newSubManager(), hooks, null, null, null)) {
            pass.differentiable = true;
            NDArray logits = run(pass, batch);
            logits.attach(owner);
            return logits;
        }
    }

    /**
     * Runs the model and records the activations at the points accepted by {@code filter}.
     *
     * @param batch the token batch
     * @param filter which hook points to keep
     * @return a cache owning the activations and the logits; close it
     */
    public ActivationCache runWithCache(TokenBatch batch, Predicate<String> filter) {
        ActivationCache cache = new ActivationCache(manager.newSubManager(), this);
        try (ForwardPass pass = new ForwardPass(manager.newSubManager(), hooks, cache, filter, null)) {
            cache.setLogits(ForwardPass.handOut(run(pass, batch), cache.manager()));
            return cache;
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
    }

    /**
     * Runs the model and records the named activations.
     *
     * @param batch the token batch
     * @param names the hook point names
     * @return the activation cache
     * @throws IllegalArgumentException if a name is not a hook point of this model
     */
    public ActivationCache runWithCache(TokenBatch batch, Collection<String> names) {
        names.forEach(hooks::requireValid);
        Set<String> wanted = Set.copyOf(names);
        return runWithCache(batch, wanted::contains);
    }

    /**
     * Runs the model, records activations at the points accepted by {@code cacheFilter}, then back-propagates the
     * scalar {@code loss(logits)} and records its gradient at the points accepted by {@code gradFilter} under
     * {@code NAME_grad} (same shape as the activation).
     *
     * @param batch the token batch
     * @param cacheFilter the cache filter
     * @param gradFilter the grad filter
     * @param loss maps logits [B,T,V] to a scalar (e.g. the log-probability of a target token); its arrays are
     *     freed with the forward pass
     * @return the activation cache
     */
    public ActivationCache runWithGradients(TokenBatch batch, Predicate<String> cacheFilter,
            Predicate<String> gradFilter, Function<NDArray, NDArray> loss) {
        Objects.requireNonNull(gradFilter, "gradFilter");
        ActivationCache cache = new ActivationCache(manager.newSubManager(), this);
        try (ForwardPass pass = new ForwardPass(manager.newSubManager(), hooks, cache, cacheFilter, gradFilter);
                GradientCollector collector = manager.getEngine().newGradientCollector()) {
            NDArray logits = run(pass, batch);
            NDArray value = loss.apply(logits);
            if (value.getShape().size() != 1) {
                throw new IllegalArgumentException("loss must be a scalar, got shape " + value.getShape());
            }
            if (!pass.collectsGradients()) {
                throw new IllegalArgumentException("gradient filter matched no hook point");
            }
            collector.backward(value.sum());
            pass.collectGradients();
            cache.setLogits(ForwardPass.handOut(logits, cache.manager()));
            cache.put("loss", ForwardPass.handOut(value, cache.manager()));
            return cache;
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
    }

    /** The forward pass proper: a few lines of residual arithmetic per block. */
    private NDArray run(ForwardPass f, TokenBatch batch) {
        batch.requireInVocabulary(config.vocabSize());
        f.layout = f.kv == null ? SlotLayout.of(batch) : f.kv.layoutFor(batch);
        prepareMasks(f);
        NDArray x = embed(f, batch);                                                                 // [B,T,D]
        boolean scoped = !f.mayBackpropagate();
        for (int l = 0; l < config.nLayers(); l++) {
            x = scoped ? scopedBlock(f, layerNames[l], x) : block(f, layerNames[l], x);
        }
        // W_U may be upcast for this pass (weights at rest): what it hands out goes as soon as the logits exist.
        try (NDManager part = f.manager.newSubManager()) {
            HeadWeights head = weights.head(part, !f.mayBackpropagate());
            NDArray y = norm(f, x, head.lnFinal(), HookNames.LN_FINAL_SCALE, HookNames.LN_FINAL_NORMALIZED, -1);
            y = f.point(HookNames.UNEMBED_IN, -1, y);                                               // [B,T,D]
            NDArray logits = linear(y, head.unembed(), head.unembedBias());                        // [B,T,V]
            return f.point(HookNames.LOGITS, -1, softcap(f, logits, config.finalLogitSoftcap()));
        }
    }

    /** Token (and learned position) embeddings entering the residual stream, hooked as hook_embed/hook_pos_embed. */
    private NDArray embed(ForwardPass f, TokenBatch batch) {
        int b = batch.batchSize();
        int t = batch.length();
        // W_E may be upcast for this pass (weights at rest): what it hands out goes once the rows are gathered.
        try (NDManager part = f.manager.newSubManager()) {
            EmbeddingWeights embedding = weights.embedding(part, !f.mayBackpropagate());
            NDArray x = gatherRows(f, embedding.embed(), batch.flatIds()).reshape(b, t, config.dModel()); // [B,T,D]
            if (config.embeddingScale() != 1) {
                x = x.mul(f.scalar((float) config.embeddingScale()));               // Gemma: ·√D in float32
            }
            x = f.point(HookNames.EMBED, -1, x);
            if (config.positions() != ModelConfig.Positions.LEARNED) {
                return x;
            }
            int length = f.layout.keyLength();
            if (length > config.maxPositions()) {
                throw new IllegalArgumentException("sequence of " + length + " tokens is longer than the "
                        + config.maxPositions() + " learned positions");
            }
            NDArray pos = gatherRows(f, embedding.posEmbed(), f.layout.queryPositions()).reshape(b, t,
                    config.dModel());
            return x.add(f.point(HookNames.POS_EMBED, -1, pos));
        }
    }

    /**
     * One block on resid_pre x [B,T,D]. attn_out = post1(attn(ln1(x))) and mlp_out = post2(mlp(ln2(·))), where the
     * post norms exist only with {@link ModelConfig#postNorms()}. Sequential: resid_mid = x + attn_out, resid_post =
     * resid_mid + mlp_out(ln2 of resid_mid). Parallel ({@link ModelConfig#parallelResidual()}): resid_post =
     * x + attn_out + mlp_out with the MLP reading ln2(x), and no resid_mid.
     */
    private NDArray block(ForwardPass f, HookNames.Layer n, NDArray x) {
        int l = n.index;
        BlockWeights w = weights.block(l, f.manager, !f.mayBackpropagate());
        x = f.point(n.residPre, l, x);                                                              // [B,T,D]
        NDArray attn = attention(f, n, w, norm(f, x, w.ln1(), n.ln1Scale, n.ln1Normalized, l));
        NDArray attnOut = f.point(n.attnOut, l, postNorm(f, attn, w.ln1Post(), n.ln1PostScale,
                n.ln1PostNormalized, l));
        NDArray mlpIn = x;
        if (!config.parallelResidual()) {
            x = f.point(n.residMid, l, x.add(attnOut));
            mlpIn = x;
        }
        NDArray mlp = mlp(f, n, w, norm(f, mlpIn, w.ln2(), n.ln2Scale, n.ln2Normalized, l));
        NDArray mlpOut = f.point(n.mlpOut, l, postNorm(f, mlp, w.ln2Post(), n.ln2PostScale,
                n.ln2PostNormalized, l));
        NDArray out = config.parallelResidual() ? mlpOut.add(attnOut).add(x) : x.add(mlpOut);     // HF's order
        return f.point(n.residPost, l, out);
    }

    /**
     * A block whose intermediates are freed as soon as it ends, for passes no autograd graph will read: the block's
     * input moves into a sub-manager that becomes the pass's current manager, so everything computed from it lands
     * there (results attach to their first operand's manager); only the output moves back. Without this a pass would
     * hold every block's activations until it ends (gigabytes at T=1024, and fresh pages for every array).
     */
    private NDArray scopedBlock(ForwardPass f, HookNames.Layer n, NDArray x) {
        NDManager outer = f.manager;
        try (NDManager scope = outer.newSubManager()) {
            f.manager = scope;
            x.attach(scope);
            NDArray out = block(f, n, x);
            out.attach(outer);
            return out;
        } finally {
            f.manager = outer;
        }
    }

    /** A post norm (Gemma's post_attention / post_feedforward layernorm), or x itself without post norms. */
    private NDArray postNorm(ForwardPass f, NDArray x, NormWeights w, String scaleName, String normalizedName,
            int layer) {
        if (!config.postNorms()) {
            return x;
        }
        if (w == null) {
            throw new IllegalStateException("the config has post norms but block " + layer + " has no post-norm "
                    + "weights");
        }
        return norm(f, x, w, scaleName, normalizedName, layer);
    }

    /** c·tanh(x/c) (Gemma 2's soft-capping, in HF's order of operations); x itself when c = 0. */
    private static NDArray softcap(ForwardPass f, NDArray x, double cap) {
        if (cap == 0) {
            return x;
        }
        NDArray c = f.scalar((float) cap);
        return x.div(c).tanh().mul(c);
    }

    /** The norm weight as applied, offset + w ({@link ModelConfig#normWeightOffset()}), owned by the pass. */
    private NDArray normWeight(ForwardPass f, NDArray w) {
        double offset = config.normWeightOffset();
        return offset == 0 ? w : f.scalar((float) offset).add(w);     // scalar first: the result lands in the pass
    }

    /**
     * (x − mean)/scale·w' + b (LayerNorm) or x/scale·w' (RMSNorm), with scale = sqrt(mean(centred²) + eps) [B,T,1]
     * hooked as {@code hook_scale}, the normalised input before the weight hooked as {@code hook_normalized}, and
     * w' = offset + w (Gemma's 1 + w, see {@link ModelConfig#normWeightOffset()}).
     */
    private NDArray norm(ForwardPass f, NDArray x, NormWeights w, String scaleName, String normalizedName,
            int layer) {
        NDArray centred = config.norm() == NormKind.LAYER_NORM ? x.sub(x.mean(new int[] {-1}, true)) : x;
        NDArray scale = centred.square().mean(new int[] {-1}, true).add((float) config.normEps()).sqrt();
        scale = f.point(scaleName, layer, scale);                                                   // [B,T,1]
        NDArray normalized = f.point(normalizedName, layer, centred.div(scale));                    // [B,T,D]
        NDArray out = normalized.mul(normWeight(f, w.weight()));
        return w.bias() == null ? out : out.add(w.bias());
    }

    private NDArray attention(ForwardPass f, HookNames.Layer n, BlockWeights w, NDArray h) {
        Shape s = h.getShape();
        long b = s.get(0);
        long t = s.get(1);
        int heads = config.nHeads();
        int kvHeads = config.nKvHeads();
        int dh = config.headDim();
        int l = n.index;
        NDArray q = f.point(n.q, l, linear(h, w.wq(), w.bq()).reshape(b, t, heads, dh));            // [B,T,H,Dh]
        NDArray k = f.point(n.k, l, linear(h, w.wk(), w.bk()).reshape(b, t, kvHeads, dh));          // [B,T,Hkv,Dh]
        NDArray v = f.point(n.v, l, linear(h, w.wv(), w.bv()).reshape(b, t, kvHeads, dh));          // [B,T,Hkv,Dh]
        if (w.qNorm() != null) {
            q = headRmsNorm(f, q, w.qNorm());
            k = headRmsNorm(f, k, w.kNorm());
        }
        if (config.positions() == ModelConfig.Positions.ROTARY) {
            q = f.point(n.rotQ, l, rotate(q, f, l));
            k = f.point(n.rotK, l, rotate(k, f, l));
        }
        if (f.kv != null) {
            NDArray[] cached = f.kv.append(l, k, v, f.manager);        // [B,K,Hkv,Dh]: cached slots, then the new
            k = cached[0];
            v = cached[1];
        }
        // Grouped-query attention without copying K and V per query head: the G = H/Hkv query heads that share
        // kv head j (HF's repeat_kv order: query head h reads kv head h / G) form one [G·T, Dh] operand, so each
        // kv head is one GEMM. The score scale is applied to q (T·Dh values per head, not T·K).
        long g = config.kvGroupSize();
        long keys = k.getShape().get(1);
        NDArray qh = q.transpose(0, 2, 1, 3).mul(f.scalar(attentionScale))
                .reshape(b, kvHeads, g * t, dh);                                                    // [B,Hkv,G·T,Dh]
        NDArray kh = k.transpose(0, 2, 3, 1);                                                       // [B,Hkv,Dh,K]
        NDArray vh = v.transpose(0, 2, 1, 3);                                                       // [B,Hkv,K,Dh]
        NDArray scores = softcap(f, qh.matMul(kh).reshape(b, heads, t, keys), config.attnLogitSoftcap()) // [B,H,T,K]
                .addi(f.attentionMasks[l]);                                         // soft-cap (Gemma 2), then mask
        scores = f.point(n.attnScores, l, scores);                                                  // masked
        NDArray pattern = f.point(n.pattern, l, scores.softmax(-1));                                // [B,H,T,K]
        NDArray z = pattern.reshape(b, kvHeads, g * t, keys).matMul(vh).reshape(b, heads, t, dh);  // [B,H,T,Dh]
        z = f.point(n.z, l, z.transpose(0, 2, 1, 3));                                               // [B,T,H,Dh]
        NDArray fused = linear(z.reshape(b, t, (long) heads * dh), w.wo(), w.bo());                 // [B,T,D]
        return f.wants(n.result) ? headResults(f, n, w, z, fused) : fused;
    }

    /**
     * The per-head point {@code attn.hook_result}, only when something observes it: result[b,t,h] = z[b,t,h]·W_O[h]
     * with W_O[h] = rows h·Dh..(h+1)·Dh of W_O, [B,T,H,D]. When a hook replaces it (or a gradient is taken there) the
     * output is Σ_h result + b_O; when it is only read, the fused output (bit-identical to not asking).
     */
    private NDArray headResults(ForwardPass f, HookNames.Layer n, BlockWeights w, NDArray z, NDArray fused) {
        Shape s = z.getShape();
        long b = s.get(0);
        long t = s.get(1);
        long heads = s.get(2);
        long dh = s.get(3);
        NDArray wo = w.wo().reshape(heads, dh, config.dModel());                                  // [H,Dh,D]
        wo.attach(f.manager);                                                                      // not the model's
        NDArray perHead = z.transpose(2, 0, 1, 3).reshape(heads, b * t, dh).matMul(wo);           // [H,B·T,D]
        NDArray result = perHead.reshape(heads, b, t, config.dModel()).transpose(1, 2, 0, 3);       // [B,T,H,D]
        NDArray seen = f.point(n.result, n.index, result);
        if (seen == result) {
            return fused;
        }
        NDArray out = seen.sum(new int[] {2});
        return w.bo() == null ? out : out.add(w.bo());
    }

    private NDArray mlp(ForwardPass f, HookNames.Layer n, BlockWeights w, NDArray h) {
        int l = n.index;
        NDArray post;
        if (w.wGate() != null) {
            NDArray gate = f.point(n.mlpPre, l, h.matMul(w.wGate()));                               // [B,T,Dmlp]
            NDArray up = f.point(n.mlpPreLinear, l, linear(h, w.wIn(), w.bIn()));
            post = activate(f, gate).mul(up);
        } else {
            post = activate(f, f.point(n.mlpPre, l, linear(h, w.wIn(), w.bIn())));
        }
        post = f.point(n.mlpPost, l, post);                                                         // [B,T,Dmlp]
        return linear(post, w.wOut(), w.bOut());                                                    // [B,T,D]
    }

    private NDArray activate(ForwardPass f, NDArray x) {
        switch (config.activation()) {
            case SILU:
                return x.mul(Activation.sigmoid(x));
            case GELU:
                return Activation.gelu(x);
            case RELU:
                return Activation.relu(x);
            case GELU_TANH:
                // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
                // scalars from the pass, not mul(Number)/pow(Number): see ForwardPass.scalar
                NDArray inner = x.pow(f.scalar(3f)).mul(f.scalar(0.044715f)).add(x)
                        .mul(f.scalar((float) Math.sqrt(2 / Math.PI))).tanh();
                return x.mul(f.scalar(0.5f)).mul(inner.add(1f));
            default:
                throw new IllegalStateException("unhandled activation " + config.activation());
        }
    }

    /** RMSNorm over the last axis (Dh) of [B,T,H,Dh], as Qwen3's and Gemma 3's q_norm/k_norm (offset + w). */
    private NDArray headRmsNorm(ForwardPass f, NDArray x, NDArray weight) {
        NDArray scale = x.square().mean(new int[] {-1}, true).add((float) config.normEps()).sqrt();
        return x.div(scale).mul(normWeight(f, weight));
    }

    /**
     * RoPE, rotate_half convention, on the first R = {@link ModelConfig#rotaryDim()} channels of [B,T,H,Dh]:
     * x_r·cos + rotate_half(x_r)·sin, the other Dh − R channels unchanged (GPT-NeoX partial rotary).
     */
    private NDArray rotate(NDArray x, ForwardPass f, int layer) {
        int r = config.rotaryDim();
        if (r == config.headDim()) {
            return rotateAll(x, f.cos[layer], f.sin[layer]);
        }
        NDArray rotated = rotateAll(x.get(new NDIndex("..., :{}", r)), f.cos[layer], f.sin[layer]);
        return rotated.concat(x.get(new NDIndex("..., {}:", r)), -1);
    }

    /** x·cos + rotate_half(x)·sin over the whole last axis; cos/sin [B,T,1,R]. */
    private static NDArray rotateAll(NDArray x, NDArray cos, NDArray sin) {
        long half = x.getShape().get(3) / 2;
        NDArray x1 = x.get(new NDIndex("..., :{}", half));
        NDArray x2 = x.get(new NDIndex("..., {}:", half));
        NDArray rotated = x2.neg().concat(x1, -1);
        return x.mul(cos).add(rotated.mul(sin));
    }

    private static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        NDArray y = x.matMul(weight);
        return bias == null ? y : y.add(bias);
    }

    /** Rows {@code table[ids]} as [N, cols], owned by the forward pass (not by the table's manager). */
    private static NDArray gatherRows(ForwardPass f, NDArray table, long[] ids) {
        NDArray index = f.torchOwned(f.manager.create(ids)); // kept by autograd when the table is trained
        NDArray rows = table.get(new NDIndex("{}", index));
        rows.attach(f.manager);
        return rows;
    }

    /**
     * Builds the additive attention masks [B or 1,1,Tq,K] of this pass, one per distinct sliding window (causal,
     * padding, window; see {@link SlotLayout#additiveMask}) and, for rotary models, the cos/sin tables of the new
     * positions.
     */
    private void prepareMasks(ForwardPass f) {
        SlotLayout layout = f.layout;
        Shape shape = new Shape(layout.maskRows(), 1, layout.queryLength(), layout.keyLength());
        Map<Integer, NDArray> byWindow = new HashMap<>();
        f.attentionMasks = new NDArray[config.nLayers()];
        for (int l = 0; l < config.nLayers(); l++) {
            int window = config.slidingWindow(l);
            int effective = window >= layout.keyLength() ? 0 : window;     // a window over every key is no window
            // torch-owned copies: autograd keeps cos/sin (and may outlive the pass, see ForwardPass.torchOwned)
            f.attentionMasks[l] = byWindow.computeIfAbsent(effective, w -> f.torchOwned(
                    f.manager.create(layout.additiveMask(w, MASKED_SCORE), shape)));
        }
        if (config.positions() == ModelConfig.Positions.ROTARY) {
            rotaryTables(f);
        }
    }

    /** Per layer cos/sin [B,Tq,1,R] at the positions of the new slots (one table per distinct rotary setting). */
    private void rotaryTables(ForwardPass f) {
        f.cos = new NDArray[config.nLayers()];
        f.sin = new NDArray[config.nLayers()];
        Map<float[], NDArray[]> byFrequencies = new java.util.IdentityHashMap<>();
        for (int l = 0; l < config.nLayers(); l++) {
            NDArray[] table = byFrequencies.computeIfAbsent(inverseFrequencies[l], inv -> rotaryTable(f, inv));
            f.cos[l] = table[0];
            f.sin[l] = table[1];
        }
    }

    /** {cos, sin} [B,Tq,1,R] for one set of inverse frequencies (R = 2·inv.length). */
    private static NDArray[] rotaryTable(ForwardPass f, float[] inverseFrequencies) {
        SlotLayout layout = f.layout;
        int bs = layout.batchSize();
        int t = layout.queryLength();
        long[] positions = layout.queryPositions();
        int half = inverseFrequencies.length;
        int dh = 2 * half;
        float[] cos = new float[bs * t * dh];
        float[] sin = new float[bs * t * dh];
        for (int b = 0; b < bs; b++) {
            for (int j = 0; j < t; j++) {
                float p = positions[b * t + j];
                int base = (b * t + j) * dh;
                for (int i = 0; i < half; i++) {
                    // fp32 angle as HF computes it (inv_freq and position_ids multiplied in float32)
                    float angle = p * inverseFrequencies[i];
                    float c = (float) Math.cos(angle);
                    float s = (float) Math.sin(angle);
                    cos[base + i] = c;
                    cos[base + i + half] = c;
                    sin[base + i] = s;
                    sin[base + i + half] = s;
                }
            }
        }
        return new NDArray[] {f.torchOwned(f.manager.create(cos, new Shape(bs, t, 1, dh))),
            f.torchOwned(f.manager.create(sin, new Shape(bs, t, 1, dh)))};
    }

    /** Per layer inv_freq over the rotary dimension, rounded to float32 as HF stores it (shared per setting). */
    private static float[][] hfInverseFrequencies(ModelConfig config) {
        Map<RopeScaling, float[]> bySetting = new java.util.IdentityHashMap<>();
        float[][] perLayer = new float[config.nLayers()][];
        for (int l = 0; l < perLayer.length; l++) {
            perLayer[l] = bySetting.computeIfAbsent(config.rope(l), rope -> {
                double[] inv = rope.inverseFrequencies(config.rotaryDim());
                float[] out = new float[inv.length];
                for (int i = 0; i < inv.length; i++) {
                    out[i] = (float) inv[i];
                }
                return out;
            });
        }
        return perLayer;
    }

    /** Frees the weights; the model is unusable afterwards. */
    @Override
    public void close() {
        hooks.clear();
        if (weights.source() != null) {
            weights.source().close();
        }
        manager.close();
    }

    @Override
    public String toString() {
        return "HookedTransformer[" + config + ", " + String.format("%,d", config.parameterCount())
                + " parameters, " + manager.getDevice() + "]";
    }

    /**
     * Hook point names of the residual stream after each block, convenient for caching.
     *
     * @return hook point names of the residual stream after each block, convenient for caching
     */
    public List<String> residPostNames() {
        return java.util.stream.IntStream.range(0, config.nLayers()).mapToObj(HookNames::residPost).toList();
    }
}
