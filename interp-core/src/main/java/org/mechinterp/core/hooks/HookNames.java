package org.mechinterp.core.hooks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * TransformerLens hook point names and the shapes of the activations they carry (batch first).
 *
 * <table>
 * <caption>Hook points (L = block index)</caption>
 * <tr><th>name</th><th>shape</th></tr>
 * <tr><td>hook_embed</td><td>[B,T,D]</td></tr>
 * <tr><td>hook_pos_embed (learned positions only)</td><td>[B,T,D]</td></tr>
 * <tr><td>blocks.L.hook_resid_pre, hook_resid_mid (not with a parallel residual), hook_resid_post</td><td>[B,T,D]</td></tr>
 * <tr><td>blocks.L.ln1.hook_scale, ln2.hook_scale, ln_final.hook_scale</td><td>[B,T,1]</td></tr>
 * <tr><td>blocks.L.ln1.hook_normalized, ln2.hook_normalized, ln_final.hook_normalized</td><td>[B,T,D]</td></tr>
 * <tr><td>blocks.L.attn.hook_q, hook_rot_q (rotary only)</td><td>[B,T,H,Dh]</td></tr>
 * <tr><td>blocks.L.attn.hook_k, hook_v, hook_rot_k (rotary only)</td><td>[B,T,Hkv,Dh]</td></tr>
 * <tr><td>blocks.L.attn.hook_attn_scores, hook_pattern</td><td>[B,H,T,T]</td></tr>
 * <tr><td>blocks.L.attn.hook_z</td><td>[B,T,H,Dh]</td></tr>
 * <tr><td>blocks.L.attn.hook_result (per-head output z_h·W_O[h], computed only when asked for)</td>
 *     <td>[B,T,H,D]</td></tr>
 * <tr><td>blocks.L.ln1_post.hook_scale, ln2_post.hook_scale (post norms only)</td><td>[B,T,1]</td></tr>
 * <tr><td>blocks.L.ln1_post.hook_normalized, ln2_post.hook_normalized (post norms only)</td><td>[B,T,D]</td></tr>
 * <tr><td>blocks.L.hook_attn_out, hook_mlp_out (what is added to the residual, after any post norm)</td>
 *     <td>[B,T,D]</td></tr>
 * <tr><td>blocks.L.mlp.hook_pre, hook_post (and hook_pre_linear for gated MLPs)</td><td>[B,T,Dmlp]</td></tr>
 * <tr><td>unembed.hook_in</td><td>[B,T,D]</td></tr>
 * <tr><td>logits</td><td>[B,T,V]</td></tr>
 * </table>
 *
 * <p>Gradients at a point are cached under the point's name plus {@link #GRAD_SUFFIX}.
 */
public final class HookNames {
    /** The {@code hook_embed} hook point. */
    public static final String EMBED = "hook_embed";
    /** The {@code hook_pos_embed} hook point. */
    public static final String POS_EMBED = "hook_pos_embed";
    /** The {@code ln_final.hook_scale} hook point. */
    public static final String LN_FINAL_SCALE = "ln_final.hook_scale";
    /** The {@code ln_final.hook_normalized} hook point. */
    public static final String LN_FINAL_NORMALIZED = "ln_final.hook_normalized";
    /** The {@code unembed.hook_in} hook point. */
    public static final String UNEMBED_IN = "unembed.hook_in";
    /** Name of the logits in a cache ({@code logits}). */
    public static final String LOGITS = "logits";
    /** Suffix of the cache name under which a hook point's gradient is stored. */
    public static final String GRAD_SUFFIX = "_grad";

    private HookNames() {}

    /**
     * {@code blocks.L.hook_resid_pre} of one layer.
     *
     * @param layer the layer index L (0-based)
     * @return the hook point name
     */
    public static String residPre(int layer) {
        return block(layer, "hook_resid_pre");
    }

    /**
     * {@code blocks.L.hook_resid_mid} of one layer.
     *
     * @param layer the layer index L (0-based)
     * @return the hook point name
     */
    public static String residMid(int layer) {
        return block(layer, "hook_resid_mid");
    }

    /**
     * {@code blocks.L.hook_resid_post} of one layer.
     *
     * @param layer the layer index L (0-based)
     * @return the hook point name
     */
    public static String residPost(int layer) {
        return block(layer, "hook_resid_post");
    }

    /**
     * {@code blocks.L.hook_attn_out} of one layer.
     *
     * @param layer the layer index L (0-based)
     * @return the hook point name
     */
    public static String attnOut(int layer) {
        return block(layer, "hook_attn_out");
    }

    /**
     * {@code blocks.L.hook_mlp_out} of one layer.
     *
     * @param layer the layer index L (0-based)
     * @return the hook point name
     */
    public static String mlpOut(int layer) {
        return block(layer, "hook_mlp_out");
    }

    /**
     * {@code blocks.L.attn.hook_pattern} of one layer.
     *
     * @param layer the layer index L (0-based)
     * @return the hook point name
     */
    public static String pattern(int layer) {
        return block(layer, "attn.hook_pattern");
    }

    /**
     * {@code blocks.L.attn.hook_attn_scores} of one layer.
     *
     * @param layer the layer index L (0-based)
     * @return the hook point name
     */
    public static String attnScores(int layer) {
        return block(layer, "attn.hook_attn_scores");
    }

    /**
     * {@code blocks.L.<suffix>}.
     *
     * @param layer the layer index L (0-based)
     * @param suffix the suffix
     * @return {@code blocks.L.<suffix>}
     */
    public static String block(int layer, String suffix) {
        return "blocks." + layer + "." + suffix;
    }

    /**
     * The gradient name of a hook point.
     *
     * @param name the name
     * @return the gradient name of a hook point
     */
    public static String grad(String name) {
        return name + GRAD_SUFFIX;
    }

    /**
     * Every hook point of a model, in forward order.
     *
     * @param nLayers number of blocks
     * @param learnedPositions whether {@code hook_pos_embed} exists
     * @param rotary whether {@code hook_rot_q}/{@code hook_rot_k} exist
     * @param gatedMlp whether {@code mlp.hook_pre_linear} exists
     * @return every hook point of a model, in forward order
     */
    public static Set<String> all(int nLayers, boolean learnedPositions, boolean rotary, boolean gatedMlp) {
        return all(nLayers, new Features(learnedPositions, rotary, gatedMlp, false, false));
    }

    /**
     * Every hook point of a model with these features, in forward order.
     *
     * @param nLayers number of blocks
     * @param features which optional points the block has
     * @return every hook point of a model with these features, in forward order
     */
    public static Set<String> all(int nLayers, Features features) {
        Set<String> names = new LinkedHashSet<>();
        names.add(EMBED);
        if (features.learnedPositions()) {
            names.add(POS_EMBED);
        }
        for (int l = 0; l < nLayers; l++) {
            names.addAll(Layer.of(l, features).inForwardOrder());
        }
        names.add(LN_FINAL_SCALE);
        names.add(LN_FINAL_NORMALIZED);
        names.add(UNEMBED_IN);
        names.add(LOGITS);
        return Collections.unmodifiableSet(names);
    }

    /**
     * Which optional points a model has.
     *
     * @param learnedPositions {@code hook_pos_embed}
     * @param rotary {@code attn.hook_rot_q} / {@code attn.hook_rot_k}
     * @param gatedMlp {@code mlp.hook_pre_linear}
     * @param postNorms {@code ln1_post.*} and {@code ln2_post.*}
     * @param parallelResidual true removes {@code hook_resid_mid}
     */
    public record Features(boolean learnedPositions, boolean rotary, boolean gatedMlp, boolean postNorms,
            boolean parallelResidual) {}

    /** The names of one block's points, built once per model so the forward pass never concatenates strings. */
    public static final class Layer {
        /** The layer index (0-based). */
        public final int index;
        /** {@code blocks.L.hook_resid_pre} (see {@link HookNames#residPre(int)}). */
        public final String residPre;
        /** {@code blocks.L.ln1.hook_scale}. */
        public final String ln1Scale;
        /** {@code blocks.L.ln1.hook_normalized}. */
        public final String ln1Normalized;
        /** {@code blocks.L.attn.hook_q}. */
        public final String q;
        /** {@code blocks.L.attn.hook_k}. */
        public final String k;
        /** {@code blocks.L.attn.hook_v}. */
        public final String v;
        /** {@code blocks.L.attn.hook_rot_q}. */
        public final String rotQ;
        /** {@code blocks.L.attn.hook_rot_k}. */
        public final String rotK;
        /** {@code blocks.L.attn.hook_attn_scores} (see {@link HookNames#attnScores(int)}). */
        public final String attnScores;
        /** {@code blocks.L.attn.hook_pattern} (see {@link HookNames#pattern(int)}). */
        public final String pattern;
        /** {@code blocks.L.attn.hook_z}. */
        public final String z;
        /** {@code blocks.L.attn.hook_result}. */
        public final String result;
        /** {@code blocks.L.hook_attn_out} (see {@link HookNames#attnOut(int)}). */
        public final String attnOut;
        /** {@code blocks.L.hook_resid_mid} (see {@link HookNames#residMid(int)}). */
        public final String residMid;
        /** {@code blocks.L.ln2.hook_scale}. */
        public final String ln2Scale;
        /** {@code blocks.L.ln2.hook_normalized}. */
        public final String ln2Normalized;
        /** {@code blocks.L.mlp.hook_pre}. */
        public final String mlpPre;
        /** {@code blocks.L.mlp.hook_pre_linear}. */
        public final String mlpPreLinear;
        /** {@code blocks.L.mlp.hook_post}. */
        public final String mlpPost;
        /** {@code blocks.L.hook_mlp_out} (see {@link HookNames#mlpOut(int)}). */
        public final String mlpOut;
        /** {@code blocks.L.hook_resid_post} (see {@link HookNames#residPost(int)}). */
        public final String residPost;
        /** {@code blocks.L.ln1_post.hook_scale}. */
        public final String ln1PostScale;
        /** {@code blocks.L.ln1_post.hook_normalized}. */
        public final String ln1PostNormalized;
        /** {@code blocks.L.ln2_post.hook_scale}. */
        public final String ln2PostScale;
        /** {@code blocks.L.ln2_post.hook_normalized}. */
        public final String ln2PostNormalized;
        private final Features features;

        private Layer(int l, Features features) {
            this.index = l;
            this.features = features;
            ln1PostScale = block(l, "ln1_post.hook_scale");
            ln1PostNormalized = block(l, "ln1_post.hook_normalized");
            ln2PostScale = block(l, "ln2_post.hook_scale");
            ln2PostNormalized = block(l, "ln2_post.hook_normalized");
            residPre = residPre(l);
            ln1Scale = block(l, "ln1.hook_scale");
            ln1Normalized = block(l, "ln1.hook_normalized");
            q = block(l, "attn.hook_q");
            k = block(l, "attn.hook_k");
            v = block(l, "attn.hook_v");
            rotQ = block(l, "attn.hook_rot_q");
            rotK = block(l, "attn.hook_rot_k");
            attnScores = attnScores(l);
            pattern = pattern(l);
            z = block(l, "attn.hook_z");
            result = block(l, "attn.hook_result");
            attnOut = attnOut(l);
            residMid = residMid(l);
            ln2Scale = block(l, "ln2.hook_scale");
            ln2Normalized = block(l, "ln2.hook_normalized");
            mlpPre = block(l, "mlp.hook_pre");
            mlpPreLinear = block(l, "mlp.hook_pre_linear");
            mlpPost = block(l, "mlp.hook_post");
            mlpOut = mlpOut(l);
            residPost = residPost(l);
        }

        /**
         * The names of one layer's hook points.
         *
         * @param layer the layer index L (0-based)
         * @param rotary whether {@code hook_rot_q}/{@code hook_rot_k} exist
         * @param gatedMlp whether {@code mlp.hook_pre_linear} exists
         * @return the names of layer {@code layer}
         */
        public static Layer of(int layer, boolean rotary, boolean gatedMlp) {
            return new Layer(layer, new Features(false, rotary, gatedMlp, false, false));
        }

        /**
         * The names of one layer's hook points.
         *
         * @param layer the layer index L (0-based)
         * @param features which optional points the block has
         * @return the names of layer {@code layer}
         */
        public static Layer of(int layer, Features features) {
            return new Layer(layer, features);
        }

        /**
         * This block's points in the order the forward pass reaches them.
         *
         * @return this block's points in the order the forward pass reaches them
         */
        public List<String> inForwardOrder() {
            List<String> names = new ArrayList<>();
            Collections.addAll(names, residPre, ln1Scale, ln1Normalized, q, k, v);
            if (features.rotary()) {
                Collections.addAll(names, rotQ, rotK);
            }
            Collections.addAll(names, attnScores, pattern, z, result);
            if (features.postNorms()) {
                Collections.addAll(names, ln1PostScale, ln1PostNormalized);
            }
            names.add(attnOut);
            if (!features.parallelResidual()) {
                names.add(residMid);
            }
            Collections.addAll(names, ln2Scale, ln2Normalized, mlpPre);
            if (features.gatedMlp()) {
                names.add(mlpPreLinear);
            }
            names.add(mlpPost);
            if (features.postNorms()) {
                Collections.addAll(names, ln2PostScale, ln2PostNormalized);
            }
            Collections.addAll(names, mlpOut, residPost);
            return names;
        }
    }
}
