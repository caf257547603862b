package org.mechinterp.core.train;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.mechinterp.core.model.BlockWeights;
import org.mechinterp.core.model.NormWeights;
import org.mechinterp.core.model.TransformerWeights;

/**
 * Maps every array of a {@link TransformerWeights} through a function that also receives its TransformerLens-style
 * name ({@code W_E}, {@code blocks.0.attn.W_Q}, {@code blocks.0.ln1.w}, {@code ln_final.w}, {@code W_U}, ...);
 * absent (null) parts stay null and are not visited. With {@code tied} the unembedding is not visited: the caller
 * rebuilds it from the mapped embedding ({@code tiedUnembed}).
 */
final class WeightWalk {
    private WeightWalk() {}

    static TransformerWeights map(TransformerWeights w, boolean tied, BiFunction<String, NDArray, NDArray> f,
            java.util.function.Function<NDArray, NDArray> tiedUnembed) {
        NDArray embed = f.apply("W_E", w.embed());
        NDArray pos = apply(f, "W_pos", w.posEmbed());
        List<BlockWeights> blocks = new ArrayList<>();
        for (int l = 0; l < w.blocks().size(); l++) {
            BlockWeights b = w.blocks().get(l);
            String p = "blocks." + l + ".";
            blocks.add(new BlockWeights(
                    norm(f, p + "ln1", b.ln1()),
                    apply(f, p + "attn.W_Q", b.wq()), apply(f, p + "attn.b_Q", b.bq()),
                    apply(f, p + "attn.W_K", b.wk()), apply(f, p + "attn.b_K", b.bk()),
                    apply(f, p + "attn.W_V", b.wv()), apply(f, p + "attn.b_V", b.bv()),
                    apply(f, p + "attn.q_norm.w", b.qNorm()), apply(f, p + "attn.k_norm.w", b.kNorm()),
                    apply(f, p + "attn.W_O", b.wo()), apply(f, p + "attn.b_O", b.bo()),
                    norm(f, p + "ln2", b.ln2()),
                    apply(f, p + "mlp.W_gate", b.wGate()),
                    apply(f, p + "mlp.W_in", b.wIn()), apply(f, p + "mlp.b_in", b.bIn()),
                    apply(f, p + "mlp.W_out", b.wOut()), apply(f, p + "mlp.b_out", b.bOut()),
                    norm(f, p + "ln1_post", b.ln1Post()), norm(f, p + "ln2_post", b.ln2Post())));
        }
        NormWeights lnFinal = norm(f, "ln_final", w.lnFinal());
        NDArray unembed = tied ? tiedUnembed.apply(embed) : f.apply("W_U", w.unembed());
        NDArray unembedBias = apply(f, "b_U", w.unembedBias());
        return new TransformerWeights(embed, pos, blocks, lnFinal, unembed, unembedBias);
    }

    private static NormWeights norm(BiFunction<String, NDArray, NDArray> f, String name, NormWeights n) {
        return n == null ? null : new NormWeights(f.apply(name + ".w", n.weight()), apply(f, name + ".b", n.bias()));
    }

    private static NDArray apply(BiFunction<String, NDArray, NDArray> f, String name, NDArray a) {
        return a == null ? null : f.apply(name, a);
    }
}
