package org.mechinterp.sae.dashboard;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongConsumer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import org.mechinterp.core.model.ActivationCache;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.store.Corpus;

/**
 * Streams a corpus through a model and an SAE into a {@link LatentStatsAccumulator}: a few prompts per forward
 * pass, the hook's activations of each prompt's real tokens encoded by the SAE, the followed latents' codes added as
 * one document (id = the prompt's index in the corpus, labels from the corpus when it has them). Memory is one pass
 * plus the accumulator, whatever the corpus length.
 */
public final class LatentStatsCapture {

    private LatentStatsCapture() {
    }

    /**
     * @param model the model (not closed)
     * @param tokenizer tokenizer for text prompts (null: the corpus must give token ids)
     * @param sae the SAE, with d_in = the hook's width
     * @param hook the hook the SAE reads
     * @param corpus a .txt or .jsonl corpus (see {@link Corpus})
     * @param context tokens kept per prompt (0 = all)
     * @param maxPrompts most prompts read (0 = all)
     * @param into the accumulator (its label names must be the corpus's, or empty to ignore labels)
     * @param progress called with the tokens done so far after each pass (may be null)
     * @return {@code into}
     * @throws IOException if the corpus cannot be read
     */
    public static LatentStatsAccumulator run(HookedTransformer model, Tokenizer tokenizer, Sae sae, String hook,
            Path corpus, int context, long maxPrompts, LatentStatsAccumulator into, LongConsumer progress)
            throws IOException {
        Objects.requireNonNull(into, "into");
        model.hooks().requireValid(hook);
        Corpus c = Corpus.open(corpus, tokenizer, model.config().vocabSize(), context);
        boolean labels = !into.labelNames().isEmpty();
        if (labels && !c.labelNames().equals(into.labelNames())) {
            throw new IllegalArgumentException("corpus " + corpus + " has labels " + c.labelNames()
                    + " but the accumulator expects " + into.labelNames());
        }
        int[] latents = into.latents();
        for (int l : latents) {
            if (l < 0 || l >= sae.dSae()) {
                throw new IllegalArgumentException("latent " + l + " is outside 0.." + (sae.dSae() - 1));
            }
        }
        long done = 0;
        long prompts = 0;
        try (Corpus.Cursor cursor = c.open()) {
            List<Corpus.Prompt> pass = new ArrayList<>();
            while (true) {
                pass.clear();
                while (pass.size() < 8 && (maxPrompts == 0 || prompts < maxPrompts)) {
                    Corpus.Prompt p = cursor.next();
                    if (p == null) {
                        break;
                    }
                    pass.add(p);
                    prompts++;
                }
                if (pass.isEmpty()) {
                    break;
                }
                done += runPass(model, sae, hook, pass, latents, labels, into);
                if (progress != null) {
                    progress.accept(done);
                }
            }
        }
        return into;
    }

    private static long runPass(HookedTransformer model, Sae sae, String hook, List<Corpus.Prompt> pass,
            int[] latents, boolean labels, LatentStatsAccumulator into) {
        int[][] seqs = new int[pass.size()][];
        for (int i = 0; i < seqs.length; i++) {
            seqs[i] = pass.get(i).tokens();
        }
        TokenBatch batch = TokenBatch.of(seqs);
        int t = batch.length();
        float[] flat;
        try (ActivationCache cache = model.runWithCache(batch, List.of(hook))) {
            NDArray a = cache.get(hook);
            flat = (a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false)).toFloatArray();
        }
        int d = sae.dIn();
        if (flat.length != seqs.length * t * d) {
            throw new IllegalArgumentException("hook " + hook + " gives " + flat.length / Math.max(1, seqs.length * t)
                    + " values per token but the SAE has d_in=" + d);
        }
        long tokens = 0;
        for (int i = 0; i < seqs.length; i++) {
            Corpus.Prompt p = pass.get(i);
            int len = p.length();
            float[] x = new float[len * d];
            System.arraycopy(flat, (i * t + batch.padding(i)) * d, x, 0, len * d);
            float[] codes = sae.encodeDense(x, len);
            float[] chosen = new float[len * latents.length];
            for (int r = 0; r < len; r++) {
                for (int j = 0; j < latents.length; j++) {
                    chosen[r * latents.length + j] = codes[r * sae.dSae() + latents[j]];
                }
            }
            into.add(p.id(), p.tokens(), chosen, labels ? p.labels() : null);
            tokens += len;
        }
        return tokens;
    }
}
