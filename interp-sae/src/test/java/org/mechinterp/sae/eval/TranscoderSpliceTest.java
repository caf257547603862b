package org.mechinterp.sae.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.model.BlockWeights;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.model.SaeMetadata;

/**
 * Transcoder splicing on the real stories260K model, with transcoders whose answers are known. The MLP output is
 * linear in the MLP's hidden activation (mlp_out = hook_post·W_out, Llama: no bias, no post norm), so a transcoder
 * from {@code blocks.L.mlp.hook_post} to {@code blocks.L.hook_mlp_out} can be exact: through its skip (W_skip =
 * W_outᵀ, no latent active) or through its latents (±e_j encoders, ±W_out[j] decoders, ReLU). Both must give CE
 * loss recovered 1 (1e-4) and KL 0 (1e-6); a transcoder that outputs 0 gives the zero-ablation CE (recovered 0);
 * an input hook later in the pass than the output hook is an error.
 */
class TranscoderSpliceTest {
    static final int LAYER = 2;

    @Test
    void exactTranscodersRecoverEverythingAndZeroRecoversNothing() throws IOException {
        try (HookedTransformer model = HookedTransformer.load(EvaluationTest.stories());
                Tokenizer tok = Tokenizer.load(EvaluationTest.stories())) {
            int d = model.config().dModel();
            BlockWeights block = model.weights().blocks().get(LAYER);
            assertTrue(block.bOut() == null, "stories260K's MLP has no output bias");
            float[] wOut = block.wOut().toFloatArray();
            int dMlp = wOut.length / d;
            String in = "blocks." + LAYER + ".mlp.hook_post";
            String out = "blocks." + LAYER + ".hook_mlp_out";
            SaeMetadata meta = new SaeMetadata("stories260K", in, 0, true);
            float[] skip = new float[d * dMlp];
            for (int j = 0; j < dMlp; j++) {
                for (int o = 0; o < d; o++) {
                    skip[o * dMlp + j] = wOut[j * d + o];
                }
            }
            // skip only: one latent that never fires
            Sae viaSkip = Sae.builder().setArchitecture(Architecture.RELU).setDims(dMlp, 1).optTranscoder(d, out)
                    .setEncoderRows(new float[dMlp]).setBEnc(new float[] {-1f}).setWDec(new float[d])
                    .setBDec(new float[d]).optWSkip(skip).optMetadata(meta).build();
            // latents only: ReLU(h_j)·W_out[j] − ReLU(−h_j)·W_out[j] = h_j·W_out[j]
            float[] enc = new float[2 * dMlp * dMlp];
            float[] dec = new float[2 * dMlp * d];
            for (int j = 0; j < dMlp; j++) {
                enc[j * dMlp + j] = 1f;
                enc[(dMlp + j) * dMlp + j] = -1f;
                for (int o = 0; o < d; o++) {
                    dec[j * d + o] = wOut[j * d + o];
                    dec[(dMlp + j) * d + o] = -wOut[j * d + o];
                }
            }
            Sae viaLatents = Sae.builder().setArchitecture(Architecture.RELU).setDims(dMlp, 2 * dMlp)
                    .optTranscoder(d, out).setEncoderRows(enc).setBEnc(new float[2 * dMlp]).setWDec(dec)
                    .setBDec(new float[d]).optMetadata(meta).build();
            Sae nothing = viaLatents.toBuilder().setWDec(new float[2 * dMlp * d]).build();
            List<int[]> prompts = List.of(tok.encode("Once upon a time, there was a little girl named Lily."),
                    tok.encode("The dog was happy. He ran to the park"));
            SpliceEvaluator.Result s = SpliceEvaluator.evaluate(model, viaSkip, out, prompts);
            SpliceEvaluator.Result l = SpliceEvaluator.evaluateTranscoder(model, viaLatents, in, out, prompts);
            SpliceEvaluator.Result z = SpliceEvaluator.evaluate(model, nothing, out, prompts);
            System.out.printf("MLP %d transcoders: CE clean %.4f, zero-ablated %.4f; skip %.6f (KL %.2e), latents "
                    + "%.6f (KL %.2e), zero %.6f%n", LAYER, s.ceClean(), s.ceZero(), s.ceLossRecovered(), s.klDiv(),
                    l.ceLossRecovered(), l.klDiv(), z.ceLossRecovered());
            assertTrue(s.ceZero() > s.ceClean() + 0.05, "zeroing the MLP output must hurt: " + s);
            assertEquals(1.0, s.ceLossRecovered(), 1e-4);
            assertEquals(0.0, s.klDiv(), 1e-6);
            assertEquals(1.0, l.ceLossRecovered(), 1e-4);
            assertEquals(0.0, l.klDiv(), 1e-6);
            assertEquals(0.0, z.ceLossRecovered(), 1e-4);
            assertEquals(z.ceZero(), z.ceSae(), 1e-5);
            assertTrue(z.klDiv() > 0.01, "KL of a zero transcoder must be clearly positive: " + z.klDiv());
            // the input must be read before the output is replaced
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SpliceEvaluator
                    .evaluateTranscoder(model, viaSkip, "blocks." + LAYER + ".hook_resid_post", out, prompts));
            assertTrue(e.getMessage().contains("did not run before"), e.getMessage());
        }
    }
}
