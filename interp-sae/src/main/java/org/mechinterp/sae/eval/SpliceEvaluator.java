package org.mechinterp.sae.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.function.Consumer;
import org.mechinterp.core.hooks.HookScope;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.sae.model.Sae;

/**
 * The downstream test: splice the SAE's reconstruction x̂ into the model at its hook point and measure what the
 * model loses.
 *
 * <p>Per prompt of T tokens, over the T − 1 positions that predict a next token: CE = mean −log p(token_{t+1});
 * CE_clean (no hook), CE_sae (hook returns x̂ = sae(x)), CE_zero (hook returns 0). CE loss recovered =
 * (CE_zero − CE_sae)/(CE_zero − CE_clean) (1 = no loss, 0 = as bad as deleting the activation), and
 * KL(clean ‖ spliced) = mean Σ_v p_clean (log p_clean − log p_sae). Means are over all predicting positions of all
 * prompts; computed in double from the logits. The model's hooks are registered in a scope and removed after each
 * pass; nothing is left allocated.
 *
 * <p>A transcoder ({@link Sae#isTranscoder()}) replaces the activation at its output hook (e.g.
 * {@code blocks.L.hook_mlp_out}) by ŷ computed from the same forward pass's activation at its input hook (e.g.
 * {@code blocks.L.ln2.hook_normalized}), which must come earlier in the forward pass; CE_zero zeroes the output hook.
 */
public final class SpliceEvaluator {
    private SpliceEvaluator() {}

    /**
     * @param ceClean mean CE of the unmodified model
     * @param ceSae mean CE with x̂ spliced in
     * @param ceZero mean CE with the activation zeroed
     * @param ceLossRecovered (ceZero − ceSae)/(ceZero − ceClean)
     * @param klDiv mean KL(clean ‖ spliced) in nats
     * @param positions positions averaged over
     */
    public record Result(double ceClean, double ceSae, double ceZero, double ceLossRecovered, double klDiv,
            long positions) {
        /**
         * {@code ce_loss_recovered}, {@code kl_div}, {@code ce_loss_clean}, {@code ce_loss_sae}, {@code ce_loss_zero_ablation}.
         *
         * @param o the object to add the five properties to (modified)
         */
        public void addTo(JsonObject o) {
            o.addProperty("ce_loss_recovered", ceLossRecovered);
            o.addProperty("kl_div", klDiv);
            o.addProperty("ce_loss_clean", ceClean);
            o.addProperty("ce_loss_sae", ceSae);
            o.addProperty("ce_loss_zero_ablation", ceZero);
            o.addProperty("ce_positions", positions);
        }
    }

    /**
     * @param hook the hook point to splice at (e.g. {@code sae.metadata().hookName()}); activations there must
     *     have last dimension d_in. For a transcoder: the output hook it replaces (e.g. {@code sae.outputHook()}),
     *     its input read at {@code sae.metadata().hookName()} (see {@link #evaluateTranscoder})
     * @param prompts token sequences of at least 2 tokens, in the model's vocabulary
     * @param model the model to run (borrowed; its weights are not modified)
     * @param sae the SAE spliced in (or a transcoder, delegated to {@link #evaluateTranscoder})
     * @return the clean, spliced and zero-ablation cross-entropies, CE recovered and the KL divergence
     * @throws IllegalArgumentException for an unknown hook, a short prompt or a width mismatch
     */
    public static Result evaluate(HookedTransformer model, Sae sae, String hook, List<int[]> prompts) {
        if (sae.isTranscoder()) {
            return evaluateTranscoder(model, sae, sae.metadata().hookName(), hook, prompts);
        }
        model.hooks().requireValid(hook);
        return run(model, hook, prompts, s -> s.add(hook, (x, ctx) -> sae.reconstruct(x)));
    }

    /**
     * Splices a transcoder: the activation at {@code outputHook} is replaced by the transcoder's ŷ of the activation
     * at {@code inputHook} in the same pass.
     *
     * @param model the model to run (borrowed)
     * @param transcoder the transcoder whose ŷ replaces the output activation
     * @param inputHook the hook the transcoder reads
     * @param outputHook the hook whose activation is replaced
     * @param prompts token sequences of at least 2 tokens
     * @return the clean, spliced and zero-ablation cross-entropies, CE recovered and the KL divergence
     * @throws IllegalArgumentException for an unknown hook or a short prompt
     * @throws IllegalStateException if the input hook does not run before the output hook
     */
    public static Result evaluateTranscoder(HookedTransformer model, Sae transcoder, String inputHook,
            String outputHook, List<int[]> prompts) {
        model.hooks().requireValid(inputHook);
        model.hooks().requireValid(outputHook);
        NDArray[] pending = new NDArray[1];
        return run(model, outputHook, prompts, s -> {
            s.add(inputHook, (x, ctx) -> {
                pending[0] = transcoder.reconstruct(x);
                return x;
            });
            s.add(outputHook, (y, ctx) -> {
                NDArray out = pending[0];
                pending[0] = null;
                if (out == null) {
                    throw new IllegalStateException("transcoder input hook " + inputHook + " did not run before its "
                            + "output hook " + outputHook + " in the forward pass");
                }
                return out;
            });
        });
    }

    /** CE/KL of the clean pass, the pass with {@code splice}'s hooks, and the pass with {@code zeroHook} zeroed. */
    private static Result run(HookedTransformer model, String zeroHook, List<int[]> prompts,
            Consumer<HookScope> splice) {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts to evaluate on");
        }
        double ceClean = 0;
        double ceSae = 0;
        double ceZero = 0;
        double kl = 0;
        long positions = 0;
        int vocab = model.config().vocabSize();
        for (int[] ids : prompts) {
            if (ids.length < 2) {
                throw new IllegalArgumentException("prompts need at least 2 tokens, got " + ids.length);
            }
            TokenBatch batch = TokenBatch.of(ids);
            float[] clean;
            float[] spliced;
            float[] zero;
            try (NDManager m = NDManager.newBaseManager()) {
                clean = model.forward(m, batch).toFloatArray();
                try (HookScope s = model.hooks().scope()) {
                    splice.accept(s);
                    spliced = model.forward(m, batch).toFloatArray();
                }
                try (HookScope s = model.hooks().scope()) {
                    s.add(zeroHook, (x, ctx) -> x.zerosLike());
                    zero = model.forward(m, batch).toFloatArray();
                }
            }
            for (int t = 0; t + 1 < ids.length; t++) {
                int o = t * vocab;
                double[] lc = logSoftmax(clean, o, vocab);
                double[] ls = logSoftmax(spliced, o, vocab);
                double[] lz = logSoftmax(zero, o, vocab);
                int target = ids[t + 1];
                ceClean -= lc[target];
                ceSae -= ls[target];
                ceZero -= lz[target];
                double k = 0;
                for (int v = 0; v < vocab; v++) {
                    k += Math.exp(lc[v]) * (lc[v] - ls[v]);
                }
                kl += k;
                positions++;
            }
        }
        ceClean /= positions;
        ceSae /= positions;
        ceZero /= positions;
        return new Result(ceClean, ceSae, ceZero, (ceZero - ceSae) / (ceZero - ceClean), kl / positions, positions);
    }

    private static double[] logSoftmax(float[] logits, int off, int vocab) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            max = Math.max(max, logits[off + v]);
        }
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
            sum += Math.exp(logits[off + v] - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[vocab];
        for (int v = 0; v < vocab; v++) {
            out[v] = logits[off + v] - lse;
        }
        return out;
    }

    /**
     * Prompts rebuilt from (promptId, position, tokenId) rows, e.g. of an activation store: rows are grouped by
     * prompt id, ordered by position, and a prompt is kept only if its positions are 0..L−1 without gaps, every token
     * id is known (≥ 0) and L ≥ 2. At most {@code max} prompts, in order of first appearance.
     *
     * @param promptIds prompt id of each row
     * @param positions token position of each row
     * @param tokenIds token id of each row (−1 when unknown)
     * @param rows number of rows to read from the arrays
     * @param max most prompts to return
     * @return a new list of token arrays, one per complete prompt
     */
    public static List<int[]> promptsFromRows(long[] promptIds, int[] positions, int[] tokenIds, int rows, int max) {
        java.util.LinkedHashMap<Long, java.util.TreeMap<Integer, Integer>> byPrompt = new java.util.LinkedHashMap<>();
        for (int r = 0; r < rows; r++) {
            byPrompt.computeIfAbsent(promptIds[r], k -> new java.util.TreeMap<>()).put(positions[r], tokenIds[r]);
        }
        List<int[]> out = new java.util.ArrayList<>();
        for (java.util.TreeMap<Integer, Integer> p : byPrompt.values()) {
            if (out.size() >= max) {
                break;
            }
            int len = p.size();
            if (len < 2 || p.firstKey() != 0 || p.lastKey() != len - 1) {
                continue;
            }
            int[] ids = new int[len];
            boolean known = true;
            for (var e : p.entrySet()) {
                ids[e.getKey()] = e.getValue();
                known &= e.getValue() >= 0;
            }
            if (known) {
                out.add(ids);
            }
        }
        return out;
    }
}
