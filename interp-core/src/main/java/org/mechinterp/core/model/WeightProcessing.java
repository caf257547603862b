package org.mechinterp.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * Opt-in TransformerLens-style weight processing. Every method returns a <em>new</em> model owning new weights
 * (the input model is not modified and stays usable; close both). Raw HF weights remain the default everywhere.
 *
 * <ul>
 *   <li>{@link #foldNorms}: folds each norm's weight w (and LayerNorm bias b) into the matrices that read its
 *       output: W' = diag(w)·W, b' = b_W + bᵀW, so the norms become pure normalisation (w = 1, b = 0).
 *       A final LayerNorm bias becomes an unembedding bias b_U = bᵀW_U. {@code hook_normalized}, q/k/v, the
 *       residual stream and the logits equal the unprocessed model's up to float rounding; the norm outputs
 *       themselves (e.g. {@code unembed.hook_in}) become the normalised vectors. For LayerNorm models the folded readers are also centred
 *       (W' −= mean over the input dimension), which is exact because a LayerNorm output has zero mean. With a norm
 *       weight offset c (Gemma's x·(1 + w)) the applied weight c + w is what is folded; the result has offset 0, and
 *       the norms that cannot be folded (post norms, q/k norms, which feed no linear map of their own) keep c + w
 *       as their plain weight.</li>
 *   <li>{@link #centerWritingWeights} (LayerNorm models only): removes the mean over D from every matrix that
 *       writes to the residual stream (W_E, W_pos, W_O, W_out and their biases). Every reader of the residual is
 *       a LayerNorm, which subtracts the mean, so logits are unchanged while residual activations become
 *       zero-mean.</li>
 *   <li>{@link #centerUnembed}: W_U −= mean over the vocabulary. Each position's logits shift by a constant, so
 *       probabilities are unchanged but raw logits differ (as in TransformerLens). Refused for soft-capped logits
 *       (Gemma 2), where c·tanh(z/c) does not commute with a shift.</li>
 * </ul>
 */
public final class WeightProcessing {
    private WeightProcessing() {}

    /**
     * Folds norm weights (and LayerNorm biases) into the following linear maps.
     *
     * @param model the model
     * @return the hooked transformer
     */
    public static HookedTransformer foldNorms(HookedTransformer model) {
        ModelConfig c = model.config();
        boolean center = c.norm() == NormKind.LAYER_NORM;
        float offset = (float) c.normWeightOffset();
        NDManager m = NDManager.newBaseManager(model.manager().getDevice());
        try (NDManager scratch = m.newSubManager()) {
            TransformerWeights w = model.weights();
            List<BlockWeights> blocks = new ArrayList<>();
            for (BlockWeights b : w.blocks()) {
                NormWeights ln1 = applied(scratch, b.ln1(), offset);
                NormWeights ln2 = applied(scratch, b.ln2(), offset);
                blocks.add(new BlockWeights(identityNorm(m, ln1),
                        foldWeight(m, ln1, b.wq(), center), foldBias(m, ln1, b.wq(), b.bq()),
                        foldWeight(m, ln1, b.wk(), center), foldBias(m, ln1, b.wk(), b.bk()),
                        foldWeight(m, ln1, b.wv(), center), foldBias(m, ln1, b.wv(), b.bv()),
                        plusOffset(m, b.qNorm(), offset), plusOffset(m, b.kNorm(), offset),
                        copy(m, b.wo()), copy(m, b.bo()),
                        identityNorm(m, ln2),
                        b.wGate() == null ? null : foldWeight(m, ln2, b.wGate(), center),
                        foldWeight(m, ln2, b.wIn(), center), foldBias(m, ln2, b.wIn(), b.bIn()),
                        copy(m, b.wOut()), copy(m, b.bOut()),
                        copyApplied(m, b.ln1Post(), offset), copyApplied(m, b.ln2Post(), offset)));
            }
            NormWeights lnFinal = applied(scratch, w.lnFinal(), offset);
            NDArray unembed = foldWeight(m, lnFinal, w.unembed(), center);
            // a final LayerNorm bias b becomes the logit offset bᵀW_U (+ any existing b_U), as TransformerLens's b_U
            NDArray unembedBias = foldBias(m, lnFinal, w.unembed(), w.unembedBias());
            TransformerWeights folded = new TransformerWeights(copy(m, w.embed()), copy(m, w.posEmbed()), blocks,
                    identityNorm(m, lnFinal), unembed, unembedBias);
            return HookedTransformer.fromWeights(untied(c).toBuilder().optNormWeightOffset(0).build(), folded, m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * Removes the residual-direction mean from every matrix writing to the residual stream.
     *
     * @param model the model
     * @return the hooked transformer
     * @throws IllegalArgumentException for RMSNorm models, where the residual mean is not removed by the readers
     */
    public static HookedTransformer centerWritingWeights(HookedTransformer model) {
        ModelConfig c = model.config();
        if (c.norm() != NormKind.LAYER_NORM) {
            throw new IllegalArgumentException("centring writing weights needs LayerNorm; " + c.modelType()
                    + " uses " + c.norm() + ", whose output depends on the residual mean");
        }
        NDManager m = NDManager.newBaseManager(model.manager().getDevice());
        try {
            TransformerWeights w = model.weights();
            List<BlockWeights> blocks = new ArrayList<>();
            for (BlockWeights b : w.blocks()) {
                blocks.add(new BlockWeights(copyNorm(m, b.ln1()),
                        copy(m, b.wq()), copy(m, b.bq()), copy(m, b.wk()), copy(m, b.bk()),
                        copy(m, b.wv()), copy(m, b.bv()), copy(m, b.qNorm()), copy(m, b.kNorm()),
                        centreLastAxis(m, b.wo()), centreLastAxis(m, b.bo()),
                        copyNorm(m, b.ln2()),
                        copy(m, b.wGate()), copy(m, b.wIn()), copy(m, b.bIn()),
                        centreLastAxis(m, b.wOut()), centreLastAxis(m, b.bOut()),
                        copyNorm(m, b.ln1Post()), copyNorm(m, b.ln2Post())));
            }
            TransformerWeights centred = new TransformerWeights(centreLastAxis(m, w.embed()),
                    centreLastAxis(m, w.posEmbed()), blocks, copyNorm(m, w.lnFinal()), copy(m, w.unembed()),
                    copy(m, w.unembedBias()));
            return HookedTransformer.fromWeights(untied(c), centred, m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * W_U −= mean over the vocabulary (logits shift by a per-position constant).
     *
     * @param model the model
     * @return W_U −= mean over the vocabulary (logits shift by a per-position constant)
     */
    public static HookedTransformer centerUnembed(HookedTransformer model) {
        if (model.config().finalLogitSoftcap() > 0) {
            throw new IllegalArgumentException("centring the unembedding would change the probabilities of "
                    + model.config().modelType() + ": its logits are soft-capped, c·tanh(z/c) with c = "
                    + model.config().finalLogitSoftcap() + ", which does not commute with a per-position shift");
        }
        NDManager m = NDManager.newBaseManager(model.manager().getDevice());
        try {
            TransformerWeights w = model.weights();
            List<BlockWeights> blocks = new ArrayList<>();
            for (BlockWeights b : w.blocks()) {
                blocks.add(new BlockWeights(copyNorm(m, b.ln1()),
                        copy(m, b.wq()), copy(m, b.bq()), copy(m, b.wk()), copy(m, b.bk()),
                        copy(m, b.wv()), copy(m, b.bv()), copy(m, b.qNorm()), copy(m, b.kNorm()),
                        copy(m, b.wo()), copy(m, b.bo()), copyNorm(m, b.ln2()),
                        copy(m, b.wGate()), copy(m, b.wIn()), copy(m, b.bIn()), copy(m, b.wOut()), copy(m, b.bOut()),
                        copyNorm(m, b.ln1Post()), copyNorm(m, b.ln2Post())));
            }
            TransformerWeights centred = new TransformerWeights(copy(m, w.embed()), copy(m, w.posEmbed()), blocks,
                    copyNorm(m, w.lnFinal()), centreLastAxis(m, w.unembed()), centreLastAxis(m, w.unembedBias()));
            return HookedTransformer.fromWeights(untied(model.config()), centred, m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** diag(w)·W, minus the mean over the input axis when {@code center}. */
    private static NDArray foldWeight(NDManager m, NormWeights norm, NDArray weight, boolean center) {
        NDArray folded = norm.weight().reshape(-1, 1).mul(weight);            // [in, out]
        if (center) {
            NDArray mean = folded.mean(new int[] {0}, true);
            NDArray centred = folded.sub(mean);
            mean.close();
            folded.close();
            folded = centred;
        }
        folded.attach(m);
        return folded;
    }

    /** b_W + bᵀW (or bᵀW when the map has no bias; null when neither exists). */
    private static NDArray foldBias(NDManager m, NormWeights norm, NDArray weight, NDArray bias) {
        if (norm.bias() == null) {
            return copy(m, bias);
        }
        NDArray shift = norm.bias().matMul(weight);                             // [out]
        NDArray out = bias == null ? shift : shift.add(bias);
        if (out != shift) {
            shift.close();
        }
        out.attach(m);
        return out;
    }

    private static NormWeights identityNorm(NDManager m, NormWeights norm) {
        NDArray ones = m.ones(norm.weight().getShape());
        return new NormWeights(ones, norm.bias() == null ? null : m.zeros(norm.bias().getShape()));
    }

    private static NormWeights copyNorm(NDManager m, NormWeights norm) {
        return norm == null ? null : new NormWeights(copy(m, norm.weight()), copy(m, norm.bias()));
    }

    /** The norm as applied: weight offset + w (the same arrays when the offset is 0), owned by {@code m}. */
    private static NormWeights applied(NDManager m, NormWeights norm, float offset) {
        return offset == 0 ? norm : new NormWeights(plusOffset(m, norm.weight(), offset), norm.bias());
    }

    /** A copy of the norm with its applied weight offset + w as plain weight (null stays null). */
    private static NormWeights copyApplied(NDManager m, NormWeights norm, float offset) {
        return norm == null ? null : new NormWeights(plusOffset(m, norm.weight(), offset), copy(m, norm.bias()));
    }

    /** offset + w in float32 (as HF computes 1 + w), owned by {@code m}; null stays null. */
    private static NDArray plusOffset(NDManager m, NDArray w, float offset) {
        if (w == null) {
            return null;
        }
        NDArray out = w.add(offset);
        out.attach(m);
        return out;
    }

    /** x − mean(x) over the last axis. */
    private static NDArray centreLastAxis(NDManager m, NDArray x) {
        if (x == null) {
            return null;
        }
        NDArray mean = x.mean(new int[] {-1}, true);
        NDArray out = x.sub(mean);
        mean.close();
        out.attach(m);
        return out;
    }

    private static NDArray copy(NDManager m, NDArray x) {
        if (x == null) {
            return null;
        }
        NDArray c = x.duplicate();
        c.attach(m);
        return c;
    }

    private static ModelConfig untied(ModelConfig c) {
        return c.tiedEmbeddings() ? c.toBuilder().optTiedEmbeddings(false).build() : c;
    }
}
