package org.mechinterp.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.hooks.HookScope;

/**
 * Gradients must not depend on when the JVM collects garbage.
 *
 * <p>DJL backs an array made from Java data ({@code NDManager.create(float[])}, and the scalar behind
 * {@code mul(Number)}, {@code div(Number)}, {@code pow(Number)}) with a Java direct buffer that libtorch uses without
 * copying; that memory is freed when the array is closed and the buffer collected. Autograd keeps operands for
 * backward (the gradient of a·c needs c), so an operand closed before backward (DJL closes the scalar of
 * {@code mul(Number)} at once) or a pass array read by a graph that outlives the pass is read from freed memory.
 * Symptom: correct gradients in short runs, garbage (10^8, 10^33, NaN, or a few percent off) in a JVM whose heap
 * had filled up (the physics study's Fisher scopes after SAE training).
 *
 * <p>Each test provokes the failure deterministically: between the forward and the backward pass it runs a GC,
 * waits for the buffers' cleaner, then allocates many small direct buffers filled with 10^30 so that freed chunks
 * are reused. The reference is the same computation without that step; the gradients must agree bit for bit.
 */
class GradientNativeMemoryTest {
    private static final float JUNK = 1e30f;

    /** Rotary, SiLU-gated, QK-norm (Qwen3 layout). */
    private static ModelConfig qwen3Like() {
        return ModelConfig.builder().optModelType("qwen3").setVocabSize(23).setDModel(16).setNLayers(2)
                .setNHeads(2).optHeadDim(8).setDMlp(32).optMaxPositions(64).optNorm(NormKind.RMS_NORM, 1e-6)
                .optQkNorm(true).optRope(RopeScaling.plain(10000)).build();
    }

    /** Learned positions, LayerNorm, tanh-GELU (GPT-2 layout): the activation uses pow and scalar products. */
    private static ModelConfig gpt2Like() {
        return ModelConfig.builder().optModelType("gpt2").setVocabSize(23).setDModel(16).setNLayers(2)
                .setNHeads(2).setDMlp(32).optMaxPositions(64).optNorm(NormKind.LAYER_NORM, 1e-5)
                .optActivation(ActivationFunction.GELU_TANH).optGatedMlp(false).optMlpBias(true).optQkvBias(true)
                .optAttnOutBias(true).optLearnedPositions().build();
    }

    /** Left-padded batch of 4 rows (the padded mask is [B,1,T,T]). */
    private static TokenBatch batch() {
        int[][] seqs = new int[4][];
        for (int r = 0; r < seqs.length; r++) {
            seqs[r] = new int[12 - r];
            for (int i = 0; i < seqs[r].length; i++) {
                seqs[r][i] = 1 + (7 * i + 3 * r) % 22;
            }
        }
        return TokenBatch.of(seqs);
    }

    @Test
    void runWithGradientsIgnoresGarbageCollectionBetweenForwardAndBackward() {
        for (ModelConfig cfg : List.of(qwen3Like(), gpt2Like())) {
            try (HookedTransformer model = RandomWeights.model(cfg, 5)) {
                float[] reference = embedGradient(model, false);
                assertTrue(norm(reference) > 0, "reference gradient is zero");
                for (int run = 0; run < 2; run++) {
                    assertArrayEquals(reference, embedGradient(model, true),
                            cfg.modelType() + ": gradient changed after a GC between forward and backward");
                }
            }
        }
    }

    @Test
    void forwardDifferentiableGraphOutlivesItsPass() {
        // The pass closes before backward here, so everything autograd kept from it (RoPE tables, mask, scalars)
        // must be memory libtorch owns.
        for (ModelConfig cfg : List.of(qwen3Like(), gpt2Like())) {
            try (HookedTransformer model = RandomWeights.model(cfg, 7)) {
                float[] reference = embedGradient(model, false);
                TokenBatch batch = batch();
                try (NDManager m = model.manager().newSubManager()) {
                    NDArray leaf = m.zeros(new ai.djl.ndarray.types.Shape(batch.batchSize(), batch.length(),
                            cfg.dModel()));
                    leaf.setRequiresGradient(true);
                    float[] got;
                    try (HookScope scope = model.hooks().scope();
                            GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        scope.add(HookNames.EMBED, (x, ctx) -> x.add(leaf));
                        NDArray logits = model.forwardDifferentiable(m, batch);
                        List<ByteBuffer> keep = reuseFreedNativeMemory();
                        gc.backward(loss(logits));
                        got = leaf.getGradient().toFloatArray();
                        assertTrue(keep.size() > 0);
                    }
                    assertArrayEquals(reference, got, cfg.modelType() + ": gradient through forwardDifferentiable "
                            + "changed after a GC between forward and backward");
                }
            }
        }
    }

    /** d loss / d hook_embed, optionally with freed native memory reused between forward and backward. */
    private static float[] embedGradient(HookedTransformer model, boolean scribble) {
        List<ByteBuffer> keep = new ArrayList<>();
        try (ActivationCache c = model.runWithGradients(batch(), n -> false, HookNames.EMBED::equals, logits -> {
            if (scribble) {
                keep.addAll(reuseFreedNativeMemory());
            }
            return loss(logits);
        })) {
            return c.grad(HookNames.EMBED).toFloatArray();
        }
    }

    /** Σ over rows of the squared logits at the last position (a loss whose gradient touches every layer). */
    private static NDArray loss(NDArray logits) {
        return logits.get(":, -1, :").square().sum();
    }

    /**
     * Collects garbage, waits for the direct buffers' cleaner, then takes many small direct buffers (the size DJL
     * uses for a scalar) and fills them with {@link #JUNK}, so that memory freed by the cleaner holds junk.
     *
     * @return the buffers; keep them reachable until backward is done
     */
    private static List<ByteBuffer> reuseFreedNativeMemory() {
        for (int i = 0; i < 2; i++) {
            System.gc();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        List<ByteBuffer> buffers = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
            b.putFloat(0, JUNK);
            buffers.add(b);
        }
        return buffers;
    }

    private static double norm(float[] a) {
        double s = 0;
        for (float v : a) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }
}
