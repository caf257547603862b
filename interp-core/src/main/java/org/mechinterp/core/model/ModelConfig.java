package org.mechinterp.core.model;

/**
 * Architecture of a decoder-only transformer, independent of the checkpoint family it came from.
 *
 * <p>Every difference between families is a field here (norm kind, gated MLP, biases, q/k norm, positions), so the
 * shared forward code never branches on an architecture name. Built with {@link #builder()}; {@link Builder#build()}
 * validates the shape relations (e.g. heads divisible by kv heads).
 *
 * <p>Dimensions: D = {@link #dModel()}, H = {@link #nHeads()}, Hkv = {@link #nKvHeads()}, Dh = {@link #headDim()},
 * Dmlp = {@link #dMlp()}, V = {@link #vocabSize()}.
 */
public final class ModelConfig {
    /** How positions enter the model. */
    public enum Positions {
        /** A learned position embedding added to the token embedding (GPT-2). */
        LEARNED,
        /** Rotary embeddings applied to queries and keys (Llama and later). */
        ROTARY
    }

    private final String modelType;
    private final int vocabSize;
    private final int dModel;
    private final int nLayers;
    private final int nHeads;
    private final int nKvHeads;
    private final int headDim;
    private final int dMlp;
    private final int maxPositions;
    private final NormKind norm;
    private final double normEps;
    private final ActivationFunction activation;
    private final boolean gatedMlp;
    private final boolean mlpBias;
    private final boolean qkvBias;
    private final boolean attnOutBias;
    private final boolean qkNorm;
    private final boolean tiedEmbeddings;
    private final Positions positions;
    private final RopeScaling rope;
    private final int bosTokenId;
    private final int[] eosTokenIds;
    private final int[] slidingWindows;
    private final double normWeightOffset;
    private final boolean postNorms;
    private final double embeddingScale;
    private final double attentionScale;
    private final double attnLogitSoftcap;
    private final double finalLogitSoftcap;
    private final int rotaryDim;
    private final boolean parallelResidual;
    private final RopeScaling[] layerRopes;

    private ModelConfig(Builder b, int[] slidingWindows, RopeScaling[] layerRopes) {
        this.modelType = b.modelType;
        this.vocabSize = b.vocabSize;
        this.dModel = b.dModel;
        this.nLayers = b.nLayers;
        this.nHeads = b.nHeads;
        this.nKvHeads = b.nKvHeads == 0 ? b.nHeads : b.nKvHeads;
        this.headDim = b.headDim == 0 && b.nHeads > 0 ? b.dModel / b.nHeads : b.headDim;
        this.dMlp = b.dMlp;
        this.maxPositions = b.maxPositions;
        this.norm = b.norm;
        this.normEps = b.normEps;
        this.activation = b.activation;
        this.gatedMlp = b.gatedMlp;
        this.mlpBias = b.mlpBias;
        this.qkvBias = b.qkvBias;
        this.attnOutBias = b.attnOutBias;
        this.qkNorm = b.qkNorm;
        this.tiedEmbeddings = b.tiedEmbeddings;
        this.positions = b.positions;
        this.rope = b.rope;
        this.bosTokenId = b.bosTokenId;
        this.eosTokenIds = b.eosTokenIds.clone();
        this.slidingWindows = slidingWindows;
        this.normWeightOffset = b.normWeightOffset;
        this.postNorms = b.postNorms;
        this.embeddingScale = b.embeddingScale;
        this.attentionScale = b.attentionScale > 0 ? b.attentionScale : 1.0 / Math.sqrt(headDim);
        this.attnLogitSoftcap = b.attnLogitSoftcap;
        this.finalLogitSoftcap = b.finalLogitSoftcap;
        this.rotaryDim = b.rotaryDim > 0 ? b.rotaryDim : headDim;
        this.parallelResidual = b.parallelResidual;
        this.layerRopes = layerRopes;
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
     * A builder initialised with this config's values.
     *
     * @return a builder initialised with this config's values
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.modelType = modelType;
        b.vocabSize = vocabSize;
        b.dModel = dModel;
        b.nLayers = nLayers;
        b.nHeads = nHeads;
        b.nKvHeads = nKvHeads;
        b.headDim = headDim;
        b.dMlp = dMlp;
        b.maxPositions = maxPositions;
        b.norm = norm;
        b.normEps = normEps;
        b.activation = activation;
        b.gatedMlp = gatedMlp;
        b.mlpBias = mlpBias;
        b.qkvBias = qkvBias;
        b.attnOutBias = attnOutBias;
        b.qkNorm = qkNorm;
        b.tiedEmbeddings = tiedEmbeddings;
        b.positions = positions;
        b.rope = rope;
        b.bosTokenId = bosTokenId;
        b.eosTokenIds = eosTokenIds.clone();
        b.slidingWindows = slidingWindows.clone();
        b.normWeightOffset = normWeightOffset;
        b.postNorms = postNorms;
        b.embeddingScale = embeddingScale;
        b.attentionScale = attentionScale == 1.0 / Math.sqrt(headDim) ? 0 : attentionScale;  // 0: follow head_dim
        b.attnLogitSoftcap = attnLogitSoftcap;
        b.finalLogitSoftcap = finalLogitSoftcap;
        b.rotaryDim = rotaryDim == headDim ? 0 : rotaryDim;
        b.parallelResidual = parallelResidual;
        b.layerRopes = layerRopes.clone();
        return b;
    }

    /**
     * The HF {@code model_type} this config was read from (e.g. "llama"); informational only.
     *
     * @return the HF {@code model_type} this config was read from (e.g. "llama"); informational only
     */
    public String modelType() {
        return modelType;
    }

    /**
     * The vocabulary size.
     *
     * @return the vocabulary size
     */
    public int vocabSize() {
        return vocabSize;
    }

    /**
     * The residual width d_model.
     *
     * @return the residual width d_model
     */
    public int dModel() {
        return dModel;
    }

    /**
     * The number of layers.
     *
     * @return the number of layers
     */
    public int nLayers() {
        return nLayers;
    }

    /**
     * The number of query heads.
     *
     * @return the number of query heads
     */
    public int nHeads() {
        return nHeads;
    }

    /**
     * The number of key/value heads.
     *
     * @return the number of key/value heads
     */
    public int nKvHeads() {
        return nKvHeads;
    }

    /**
     * The width of one head.
     *
     * @return the width of one head
     */
    public int headDim() {
        return headDim;
    }

    /**
     * The MLP hidden width d_mlp.
     *
     * @return the MLP hidden width d_mlp
     */
    public int dMlp() {
        return dMlp;
    }

    /**
     * Longest sequence the position embedding supports (learned) or the config advertises (rotary).
     *
     * @return Longest sequence the position embedding supports (learned) or the config advertises (rotary)
     */
    public int maxPositions() {
        return maxPositions;
    }

    /**
     * The kind of norm (LayerNorm or RMSNorm).
     *
     * @return the kind of norm
     */
    public NormKind norm() {
        return norm;
    }

    /**
     * The epsilon of the norms.
     *
     * @return the epsilon of the norms
     */
    public double normEps() {
        return normEps;
    }

    /**
     * The activation.
     *
     * @return the activation
     */
    public ActivationFunction activation() {
        return activation;
    }

    /**
     * True for down(act(gate(x))·up(x)); false for out(act(in(x))).
     *
     * @return true for down(act(gate(x))·up(x)); false for out(act(in(x)))
     */
    public boolean gatedMlp() {
        return gatedMlp;
    }

    /**
     * Whether the MLP projections have biases.
     *
     * @return whether the MLP projections have biases
     */
    public boolean mlpBias() {
        return mlpBias;
    }

    /**
     * Biases on the q, k and v projections (GPT-2, Qwen2).
     *
     * @return biases on the q, k and v projections (GPT-2, Qwen2)
     */
    public boolean qkvBias() {
        return qkvBias;
    }

    /**
     * Bias on the attention output projection (GPT-2).
     *
     * @return bias on the attention output projection (GPT-2)
     */
    public boolean attnOutBias() {
        return attnOutBias;
    }

    /**
     * Per-head RMSNorm over Dh applied to q and k before RoPE (Qwen3).
     *
     * @return Per-head RMSNorm over Dh applied to q and k before RoPE (Qwen3)
     */
    public boolean qkNorm() {
        return qkNorm;
    }

    /**
     * Whether the unembedding shares the embedding matrix.
     *
     * @return whether the unembedding shares the embedding matrix
     */
    public boolean tiedEmbeddings() {
        return tiedEmbeddings;
    }

    /**
     * The positions.
     *
     * @return how positions enter the model
     */
    public Positions positions() {
        return positions;
    }

    /**
     * The rotary settings; meaningful only when {@link #positions()} is ROTARY.
     *
     * @return the rotary settings; meaningful only when {@link #positions()} is ROTARY
     */
    public RopeScaling rope() {
        return rope;
    }

    /**
     * Beginning-of-sequence token id.
     *
     * @return Beginning-of-sequence token id
     */
    public int bosTokenId() {
        return bosTokenId;
    }

    /**
     * End-of-sequence token ids.
     *
     * @return end-of-sequence token ids
     */
    public int[] eosTokenIds() {
        return eosTokenIds.clone();
    }

    /**
     * The attention window of a layer, in tokens, as HF defines {@code sliding_window}: query i sees key j iff
     * {@code i - window < j <= i} (the query itself and the {@code window - 1} tokens before it); 0 means full causal
     * attention. Per layer, so alternating local/global layers are configuration, not code.
     *
     * @param layer the layer index (0-based)
     * @return the attention window of a layer, in tokens, as HF defines {@code sliding_window}: query i sees key j iff
     *     {@code i - window < j <= i} (the query itself and the {@code window - 1} tokens before it); 0 means full
     *     causal attention
     */
    public int slidingWindow(int layer) {
        return slidingWindows[layer];
    }

    /**
     * True if any layer has a sliding window.
     *
     * @return true if any layer has a sliding window
     */
    public boolean hasSlidingWindow() {
        for (int w : slidingWindows) {
            if (w > 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * The constant c added to every RMSNorm weight: the norm computes x/scale·(c + w). 0 for Llama-style norms, 1 for
     * Gemma's {@code x·(1 + w)} (computed in float32, as HF does); the stored weights stay the raw HF w.
     *
     * @return the constant c added to every RMSNorm weight: the norm computes x/scale·(c + w). 0 for Llama-style norms,
     *     1 for Gemma's {@code x·(1 + w)} (computed in float32, as HF does); the stored weights stay the raw HF w
     */
    public double normWeightOffset() {
        return normWeightOffset;
    }

    /**
     * Whether attention and MLP outputs pass through their own norm before joining the residual stream (Gemma 2/3
     * {@code post_attention_layernorm} / {@code post_feedforward_layernorm}, hooked as {@code ln1_post.*} and
     * {@code ln2_post.*}): resid_mid = resid_pre + norm(attn(norm(resid_pre))).
     *
     * @return whether attention and MLP outputs pass through their own norm before joining the residual stream (Gemma
     *     2/3 {@code post_attention_layernorm} / {@code post_feedforward_layernorm}, hooked as {@code ln1_post.*} and
     *     {@code ln2_post.*}): resid_mid = resid_pre + norm(attn(norm(resid_pre)))
     */
    public boolean postNorms() {
        return postNorms;
    }

    /**
     * Factor applied to the token embedding before it enters the residual stream (Gemma: √D rounded to float32, the
     * compute dtype); 1 for no scaling.
     *
     * @return factor applied to the token embedding before it enters the residual stream (Gemma: √D rounded to float32,
     *     the compute dtype); 1 for no scaling
     */
    public double embeddingScale() {
        return embeddingScale;
    }

    /**
     * Multiplier of q·k in the attention scores: 1/√Dh by default, {@code query_pre_attn_scalar^-0.5} for Gemma.
     *
     * @return multiplier of q·k in the attention scores: 1/√Dh by default, {@code query_pre_attn_scalar^-0.5} for Gemma
     */
    public double attentionScale() {
        return attentionScale;
    }

    /**
     * Soft-cap c of the attention scores, c·tanh(s/c) before masking (Gemma 2); 0 for none.
     *
     * @return soft-cap c of the attention scores, c·tanh(s/c) before masking (Gemma 2); 0 for none
     */
    public double attnLogitSoftcap() {
        return attnLogitSoftcap;
    }

    /**
     * Soft-cap c of the output logits, c·tanh(logits/c) (Gemma 2); 0 for none.
     *
     * @return soft-cap c of the output logits, c·tanh(logits/c) (Gemma 2); 0 for none
     */
    public double finalLogitSoftcap() {
        return finalLogitSoftcap;
    }

    /**
     * Number of leading channels of each head that RoPE rotates (GPT-NeoX {@code rotary_pct}·Dh); the remaining
     * Dh − rotaryDim channels pass through unrotated. Equals Dh for full rotary.
     *
     * @return number of leading channels of each head that RoPE rotates (GPT-NeoX {@code rotary_pct}·Dh); the remaining
     *     Dh − rotaryDim channels pass through unrotated
     */
    public int rotaryDim() {
        return rotaryDim;
    }

    /**
     * True for the parallel block x + attn(ln1(x)) + mlp(ln2(x)) (GPT-NeoX {@code use_parallel_residual}); there is then
     * no residual stream between attention and MLP, and no {@code hook_resid_mid}.
     *
     * @return true for the parallel block x + attn(ln1(x)) + mlp(ln2(x)) (GPT-NeoX {@code use_parallel_residual});
     *     there is then no residual stream between attention and MLP, and no {@code hook_resid_mid}
     */
    public boolean parallelResidual() {
        return parallelResidual;
    }

    /**
     * The rotary settings of a layer: {@link #rope()} unless per-layer settings were given (Gemma 3: local layers use
     * {@code rope_local_base_freq}, global layers {@code rope_theta} with {@code rope_scaling}).
     *
     * @param layer the layer index (0-based)
     * @return the rotary settings of a layer: {@link #rope()} unless per-layer settings were given (Gemma 3: local
     *     layers use {@code rope_local_base_freq}, global layers {@code rope_theta} with {@code rope_scaling})
     */
    public RopeScaling rope(int layer) {
        return layerRopes.length == 0 ? rope : layerRopes[layer];
    }

    /**
     * Number of query heads sharing one key/value head (1 without GQA).
     *
     * @return number of query heads sharing one key/value head (1 without GQA)
     */
    public int kvGroupSize() {
        return nHeads / nKvHeads;
    }

    /**
     * Number of weights, counting a tied embedding once.
     *
     * @return number of weights, counting a tied embedding once
     */
    public long parameterCount() {
        long d = dModel;
        long attn = d * nHeads * headDim + 2 * d * nKvHeads * headDim + (long) nHeads * headDim * d;
        if (qkvBias) {
            attn += (long) (nHeads + 2 * nKvHeads) * headDim;
        }
        if (attnOutBias) {
            attn += d;
        }
        if (qkNorm) {
            attn += 2L * headDim;
        }
        long mlp = (gatedMlp ? 3 : 2) * d * dMlp + (mlpBias ? dMlp + d : 0);
        long norms = (norm == NormKind.LAYER_NORM ? 2 : 1) * d;
        long perLayer = attn + mlp + (postNorms ? 4 : 2) * norms;
        long embed = (long) vocabSize * d * (tiedEmbeddings ? 1 : 2);
        long pos = positions == Positions.LEARNED ? (long) maxPositions * d : 0;
        return nLayers * perLayer + embed + pos + norms;
    }

    @Override
    public String toString() {
        return modelType + "(layers=" + nLayers + ", d=" + dModel + ", heads=" + nHeads + "/" + nKvHeads
                + ", head_dim=" + headDim + ", d_mlp=" + dMlp + ", vocab=" + vocabSize + ", " + norm + ", "
                + activation + (gatedMlp ? " gated" : "") + (qkvBias ? ", qkv bias" : "")
                + (qkNorm ? ", qk norm" : "") + (tiedEmbeddings ? ", tied" : "") + ", "
                + (positions == Positions.ROTARY ? rope : "learned positions")
                + (hasSlidingWindow() ? ", sliding windows " + java.util.Arrays.toString(slidingWindows) : "")
                + (rotaryDim != headDim ? ", rotary dim " + rotaryDim : "")
                + (layerRopes.length > 0 ? ", per-layer rope" : "")
                + (parallelResidual ? ", parallel residual" : "") + (postNorms ? ", post norms" : "")
                + (normWeightOffset != 0 ? ", norm weight offset " + normWeightOffset : "")
                + (embeddingScale != 1 ? ", embedding scale " + embeddingScale : "")
                + (attnLogitSoftcap > 0 ? ", attention soft-cap " + attnLogitSoftcap : "")
                + (finalLogitSoftcap > 0 ? ", logit soft-cap " + finalLogitSoftcap : "") + ")";
    }

    /** Builder; {@code set*} are required, {@code opt*} have defaults. */
    public static final class Builder {
        private String modelType = "custom";
        private int vocabSize;
        private int dModel;
        private int nLayers;
        private int nHeads;
        private int nKvHeads;
        private int headDim;
        private int dMlp;
        private int maxPositions = 2048;
        private NormKind norm = NormKind.RMS_NORM;
        private double normEps = 1e-5;
        private ActivationFunction activation = ActivationFunction.SILU;
        private boolean gatedMlp = true;
        private boolean mlpBias;
        private boolean qkvBias;
        private boolean attnOutBias;
        private boolean qkNorm;
        private boolean tiedEmbeddings;
        private Positions positions = Positions.ROTARY;
        private RopeScaling rope = RopeScaling.plain(10000);
        private int bosTokenId = -1;
        private int[] eosTokenIds = new int[0];
        private int[] slidingWindows = new int[0];
        private Integer uniformWindow;
        private double normWeightOffset;
        private boolean postNorms;
        private double embeddingScale = 1;
        private double attentionScale;
        private double attnLogitSoftcap;
        private double finalLogitSoftcap;
        private int rotaryDim;
        private boolean parallelResidual;
        private RopeScaling[] layerRopes = new RopeScaling[0];

        private Builder() {}

        /**
         * Sets the Hugging Face model_type (optional).
         *
         * @param v the Hugging Face model_type
         * @return this builder
         */
        public Builder optModelType(String v) { modelType = v; return this; }
        /**
         * Sets the vocabulary size.
         *
         * @param v the vocabulary size
         * @return this builder
         */
        public Builder setVocabSize(int v) { vocabSize = v; return this; }
        /**
         * Sets the residual width d_model.
         *
         * @param v the residual width d_model
         * @return this builder
         */
        public Builder setDModel(int v) { dModel = v; return this; }
        /**
         * Sets the number of layers.
         *
         * @param v the number of layers
         * @return this builder
         */
        public Builder setNLayers(int v) { nLayers = v; return this; }
        /**
         * Sets the number of query heads.
         *
         * @param v the number of query heads
         * @return this builder
         */
        public Builder setNHeads(int v) { nHeads = v; return this; }
        /**
         * Defaults to the number of query heads (no GQA).
         *
         * @param v the number of key/value heads
         * @return this builder
         */
        public Builder optNKvHeads(int v) { nKvHeads = v; return this; }
        /**
         * Defaults to dModel / nHeads.
         *
         * @param v the width of one head
         * @return this builder
         */
        public Builder optHeadDim(int v) { headDim = v; return this; }
        /**
         * Sets the MLP hidden width d_mlp.
         *
         * @param v the MLP hidden width d_mlp
         * @return this builder
         */
        public Builder setDMlp(int v) { dMlp = v; return this; }
        /**
         * Sets the longest sequence (positions) the model supports (optional).
         *
         * @param v the longest sequence (positions) the model supports
         * @return this builder
         */
        public Builder optMaxPositions(int v) { maxPositions = v; return this; }
        /**
         * Sets the norm (optional).
         *
         * @param v the norm
         * @param eps the epsilon
         * @return this builder
         */
        public Builder optNorm(NormKind v, double eps) { norm = v; normEps = eps; return this; }
        /**
         * Sets the activation (optional).
         *
         * @param v the activation
         * @return this builder
         */
        public Builder optActivation(ActivationFunction v) { activation = v; return this; }
        /**
         * Sets whether the MLP is gated (optional).
         *
         * @param v whether the MLP is gated
         * @return this builder
         */
        public Builder optGatedMlp(boolean v) { gatedMlp = v; return this; }
        /**
         * Sets whether the MLP projections have biases (optional).
         *
         * @param v whether the MLP projections have biases
         * @return this builder
         */
        public Builder optMlpBias(boolean v) { mlpBias = v; return this; }
        /**
         * Sets whether Q, K and V projections have biases (optional).
         *
         * @param v whether Q, K and V projections have biases
         * @return this builder
         */
        public Builder optQkvBias(boolean v) { qkvBias = v; return this; }
        /**
         * Sets whether the attention output projection has a bias (optional).
         *
         * @param v whether the attention output projection has a bias
         * @return this builder
         */
        public Builder optAttnOutBias(boolean v) { attnOutBias = v; return this; }
        /**
         * Sets whether Q and K are normalised per head (optional).
         *
         * @param v whether Q and K are normalised per head
         * @return this builder
         */
        public Builder optQkNorm(boolean v) { qkNorm = v; return this; }
        /**
         * Sets whether the unembedding shares the embedding matrix (optional).
         *
         * @param v whether the unembedding shares the embedding matrix
         * @return this builder
         */
        public Builder optTiedEmbeddings(boolean v) { tiedEmbeddings = v; return this; }
        /**
         * Sets the learned positions (optional).
         *
         * @return this builder
         */
        public Builder optLearnedPositions() { positions = Positions.LEARNED; return this; }
        /**
         * Sets the rope (optional).
         *
         * @param v the rope
         * @return this builder
         */
        public Builder optRope(RopeScaling v) { positions = Positions.ROTARY; rope = v; return this; }
        /**
         * Sets beginning-of-sequence token id (optional).
         *
         * @param v beginning-of-sequence token id
         * @return this builder
         */
        public Builder optBosTokenId(int v) { bosTokenId = v; return this; }
        /**
         * Sets end-of-sequence token ids (optional).
         *
         * @param v end-of-sequence token ids
         * @return this builder
         */
        public Builder optEosTokenIds(int... v) { eosTokenIds = v.clone(); return this; }
        /**
         * The same sliding window on every layer (0 = full attention, the default); see {@link #slidingWindow}.
         *
         * @param window the window
         * @return this builder
         */
        public Builder optSlidingWindow(int window) {
            uniformWindow = window;
            slidingWindows = new int[0];
            return this;
        }
        /**
         * One sliding window per layer (0 = full attention); the array's length must equal the number of layers.
         *
         * @param perLayer the per layer
         * @return this builder
         */
        public Builder optSlidingWindows(int... perLayer) {
            slidingWindows = perLayer.clone();
            uniformWindow = null;
            return this;
        }

        /**
         * RMSNorm computes x/scale·(offset + w); 1 for Gemma, 0 (default) otherwise.
         *
         * @param v the norm weight offset
         * @return this builder
         */
        public Builder optNormWeightOffset(double v) { normWeightOffset = v; return this; }
        /**
         * Norms on the attention and MLP outputs before they join the residual stream (Gemma 2/3).
         *
         * @param v Norms on the attention and MLP outputs before they join the residual stream (Gemma 2/3)
         * @return this builder
         */
        public Builder optPostNorms(boolean v) { postNorms = v; return this; }
        /**
         * Factor on the token embedding (default 1).
         *
         * @param v Factor on the token embedding (default 1)
         * @return this builder
         */
        public Builder optEmbeddingScale(double v) { embeddingScale = v; return this; }
        /**
         * Multiplier of q·k; 0 (default) means 1/√Dh.
         *
         * @param v Multiplier of q·k; 0 (default) means 1/√Dh
         * @return this builder
         */
        public Builder optAttentionScale(double v) { attentionScale = v; return this; }
        /**
         * Attention-score soft-cap c·tanh(s/c); 0 (default) for none.
         *
         * @param v the attn logit softcap
         * @return this builder
         */
        public Builder optAttnLogitSoftcap(double v) { attnLogitSoftcap = v; return this; }
        /**
         * Logit soft-cap c·tanh(z/c); 0 (default) for none.
         *
         * @param v the final logit softcap
         * @return this builder
         */
        public Builder optFinalLogitSoftcap(double v) { finalLogitSoftcap = v; return this; }
        /**
         * Rotated channels per head (partial rotary); 0 (default) means all of Dh.
         *
         * @param v Rotated channels per head (partial rotary); 0 (default) means all of Dh
         * @return this builder
         */
        public Builder optRotaryDim(int v) { rotaryDim = v; return this; }
        /**
         * Parallel attention and MLP (GPT-NeoX); default sequential.
         *
         * @param v Parallel attention and MLP (GPT-NeoX); default sequential
         * @return this builder
         */
        public Builder optParallelResidual(boolean v) { parallelResidual = v; return this; }
        /**
         * One rotary setting per layer (length = number of layers); none (default) means {@link #optRope} everywhere.
         *
         * @param perLayer the per layer
         * @return this builder
         */
        public Builder optLayerRopes(RopeScaling... perLayer) { layerRopes = perLayer.clone(); return this; }

        /**
         * Validates and builds.
         *
         * @return the model config
         * @throws IllegalArgumentException naming the first inconsistent field
         */
        public ModelConfig build() {
            requirePositive("vocab_size", vocabSize);
            requirePositive("hidden size", dModel);
            requirePositive("number of layers", nLayers);
            requirePositive("number of attention heads", nHeads);
            requirePositive("intermediate size", dMlp);
            requirePositive("max positions", maxPositions);
            int kv = nKvHeads == 0 ? nHeads : nKvHeads;
            if (kv <= 0 || nHeads % kv != 0) {
                throw new IllegalArgumentException("num_attention_heads (" + nHeads
                        + ") must be a positive multiple of num_key_value_heads (" + kv + ")");
            }
            if (headDim == 0 && dModel % nHeads != 0) {
                throw new IllegalArgumentException("hidden size " + dModel + " is not divisible by " + nHeads
                        + " heads and no head_dim is given");
            }
            int hd = headDim == 0 ? dModel / nHeads : headDim;
            requirePositive("head_dim", hd);
            if (positions == Positions.ROTARY && hd % 2 != 0) {
                throw new IllegalArgumentException("rotary embeddings need an even head_dim, got " + hd);
            }
            if (!(normEps > 0)) {
                throw new IllegalArgumentException("norm epsilon must be > 0, got " + normEps);
            }
            if (norm == null || activation == null || rope == null || eosTokenIds == null || slidingWindows == null) {
                throw new IllegalArgumentException("norm, activation, rope, eos ids and windows must not be null");
            }
            validateFamilyFields(hd);
            return new ModelConfig(this, resolvedSlidingWindows(), layerRopes.clone());
        }

        private void validateFamilyFields(int hd) {
            if (rotaryDim < 0 || rotaryDim > hd || rotaryDim % 2 != 0) {
                throw new IllegalArgumentException("rotary dimension must be even and within 0.." + hd + ", got "
                        + rotaryDim);
            }
            if (layerRopes.length != 0 && layerRopes.length != nLayers) {
                throw new IllegalArgumentException("per-layer rope settings are given for " + layerRopes.length
                        + " layers but the model has " + nLayers);
            }
            for (RopeScaling r : layerRopes) {
                if (r == null) {
                    throw new IllegalArgumentException("per-layer rope settings must not be null");
                }
            }
            if (!(embeddingScale > 0) || attentionScale < 0 || attnLogitSoftcap < 0 || finalLogitSoftcap < 0
                    || !Double.isFinite(normWeightOffset)) {
                throw new IllegalArgumentException("embedding scale must be > 0; attention scale and soft-caps >= 0 (0 = "
                        + "default/none); got " + embeddingScale + ", " + attentionScale + ", " + attnLogitSoftcap + ", "
                        + finalLogitSoftcap);
            }
        }

        /** One window per layer (from {@link #optSlidingWindow} or {@link #optSlidingWindows}), checked. */
        private int[] resolvedSlidingWindows() {
            int[] windows = slidingWindows.length == 0 ? new int[nLayers] : slidingWindows.clone();
            if (uniformWindow != null) {
                java.util.Arrays.fill(windows, uniformWindow);
            }
            if (windows.length != nLayers) {
                throw new IllegalArgumentException("sliding windows are given for " + windows.length
                        + " layers but the model has " + nLayers);
            }
            for (int l = 0; l < windows.length; l++) {
                if (windows[l] < 0) {
                    throw new IllegalArgumentException("sliding window of layer " + l + " must be >= 0 (0 = full "
                            + "attention), got " + windows[l]);
                }
            }
            return windows;
        }

        private static void requirePositive(String what, int v) {
            if (v <= 0) {
                throw new IllegalArgumentException(what + " must be > 0, got " + v);
            }
        }
    }
}
