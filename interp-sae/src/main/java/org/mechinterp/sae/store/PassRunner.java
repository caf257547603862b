package org.mechinterp.sae.store;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;

import org.mechinterp.core.model.ActivationCache;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;

/**
 * One forward pass of a capture: runs a few prompts as one left-padded {@link TokenBatch} through
 * {@link HookedTransformer#runWithCache}, caching only the captured hooks, and appends each prompt's real
 * (unpadded) rows, position 0..T−1, to a {@link ShardBuffer}. A hook's activation [B,T,...] becomes rows of
 * d = product of the dimensions after T.
 *
 * <p>Shared by {@link ActivationCapture} and distributed captures so that the same passes (same prompts in the
 * same batch) give the same rows. The model is borrowed; like it, this class is not thread-safe.
 */
public final class PassRunner {
    private final HookedTransformer model;
    private final List<String> hooks;
    private final int[] dims;

    private PassRunner(HookedTransformer model, List<String> hooks, int[] dims) {
        this.model = model;
        this.hooks = hooks;
        this.dims = dims;
    }

    /**
     * Validates the hooks (duplicates dropped, order kept) and learns each one's row width from a one-token pass.
     *
     * @param model the model to run (borrowed, not closed)
     * @param hookNames hook names to capture
     * @return a runner for those hooks
     * @throws IllegalArgumentException for no hooks, an unknown hook, a hook that is not one row per token
     *     ({@code hook_pattern}, {@code hook_attn_scores}) or a name reserved in stores
     */
    public static PassRunner create(HookedTransformer model, List<String> hookNames) {
        List<String> names = validHooks(model, hookNames);
        return new PassRunner(model, names, probeDims(model, names));
    }

    static List<String> validHooks(HookedTransformer model, List<String> hookNames) {
        if (hookNames == null || hookNames.isEmpty()) {
            throw new IllegalArgumentException("setHooks(names) needs at least one hook point");
        }
        List<String> names = new ArrayList<>(new LinkedHashSet<>(hookNames));
        for (String name : names) {
            model.hooks().requireValid(name);
            if (name.endsWith("hook_pattern") || name.endsWith("hook_attn_scores")) {
                throw new IllegalArgumentException("hook '" + name + "' is [B,H,T,T], not one row per token; "
                        + "capture hook_z or hook_attn_out instead");
            }
            if (StoreManifest.RESERVED.contains(name)) {
                throw new IllegalArgumentException("hook name '" + name + "' is reserved in stores");
            }
        }
        return List.copyOf(names);
    }

    /**
     * The hooks captured, in store order.
     *
     * @return the hook names, unmodifiable
     */
    public List<String> hooks() {
        return hooks;
    }

    /**
     * Row width d per hook, in store order (a copy).
     *
     * @return a new array of the widths
     */
    public int[] dims() {
        return dims.clone();
    }

    /**
     * Runs {@code pass} as one batch and appends every prompt's rows, in pass order, counting each prompt done.
     *
     * @param pass prompts of this pass (not modified)
     * @param out receives the rows; its hooks must be {@link #hooks()} with {@link #dims()}
     */
    public void run(List<Corpus.Prompt> pass, ShardBuffer out) {
        int[][] seqs = new int[pass.size()][];
        for (int i = 0; i < seqs.length; i++) {
            seqs[i] = pass.get(i).tokens();
        }
        TokenBatch batch = TokenBatch.of(seqs);
        int bsz = batch.batchSize();
        int t = batch.length();
        float[][] flat = new float[hooks.size()][];
        try (ActivationCache cache = model.runWithCache(batch, hooks)) {
            for (int h = 0; h < flat.length; h++) {
                NDArray a = cache.get(hooks.get(h));
                long[] shape = a.getShape().getShape();
                if (shape.length < 3 || shape[0] != bsz || shape[1] != t || a.size() != (long) bsz * t * dims[h]) {
                    throw new IllegalStateException("hook '" + hooks.get(h) + "' gave shape "
                            + Arrays.toString(shape) + ", expected [" + bsz + ", " + t + ", ...] with " + dims[h]
                            + " values per token");
                }
                flat[h] = (a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false))
                        .toFloatArray();
            }
        }
        for (int i = 0; i < bsz; i++) {
            Corpus.Prompt p = pass.get(i);
            int len = p.length();
            int pad = batch.padding(i);
            int first = out.reserve(len);
            for (int h = 0; h < flat.length; h++) {
                int d = dims[h];
                System.arraycopy(flat[h], (i * t + pad) * d, out.acts(h), first * d, len * d);
            }
            Arrays.fill(out.promptIds(), first, first + len, p.id());
            for (int j = 0; j < len; j++) {
                out.positions()[first + j] = j;
                out.tokenIds()[first + j] = p.tokens()[j];
            }
            int nl = out.labelCount();
            if (nl > 0) {
                System.arraycopy(p.labels(), 0, out.labels(), first * nl, len * nl);
            }
            out.promptDone();
        }
    }

    /** Row width per hook, from a one-token pass. */
    private static int[] probeDims(HookedTransformer model, List<String> hooks) {
        int[] dims = new int[hooks.size()];
        try (ActivationCache cache = model.runWithCache(TokenBatch.of(0), hooks)) {
            for (int h = 0; h < dims.length; h++) {
                long[] shape = cache.get(hooks.get(h)).getShape().getShape();
                if (shape.length < 3) {
                    throw new IllegalArgumentException("hook '" + hooks.get(h) + "' has shape "
                            + Arrays.toString(shape) + ", not [B,T,...] rows per token");
                }
                long d = 1;
                for (int k = 2; k < shape.length; k++) {
                    d *= shape[k];
                }
                dims[h] = Math.toIntExact(d);
            }
        }
        return dims;
    }
}
