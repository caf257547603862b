package org.mechinterp.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.NormKind;
import org.mechinterp.core.model.TokenBatch;

/**
 * The causal-LM trainer: gradients equal finite differences (tied embeddings included), a tiny model learns an
 * in-context copy task, the same seed gives bit-identical weights, and native memory does not grow over steps.
 */
class CausalLmTrainerTest {
    @TempDir
    Path tmp;

    /** Vocabulary of the synthetic task: 0 pad, 1 BOS, digits 2..11. */
    static final int VOCAB = 12;

    static ModelConfig tiny(boolean tied, boolean qkNorm) {
        return ModelConfig.builder().setVocabSize(VOCAB).setDModel(32).setNLayers(2).setNHeads(4).setDMlp(64)
                .optMaxPositions(64).optNorm(NormKind.RMS_NORM, 1e-6).optTiedEmbeddings(tied).optQkNorm(qkNorm)
                .build();
    }

    /**
     * BOS, then a random pattern of 3–5 digits repeated to {@code length} inputs. Targets inside the first
     * occurrence of the pattern are unpredictable and ignored; every later one is a copy from context (group 0).
     */
    static SequenceSource periodic(int length) {
        return rng -> {
            int period = 3 + rng.nextInt(3);
            int[] pattern = new int[period];
            for (int i = 0; i < period; i++) {
                pattern[i] = 2 + rng.nextInt(10);
            }
            int[] tokens = new int[length + 1];
            tokens[0] = 1;
            for (int i = 1; i <= length; i++) {
                tokens[i] = pattern[(i - 1) % period];
            }
            int[] groups = new int[length];
            for (int j = 0; j < length; j++) {
                groups[j] = j + 1 <= period ? TrainingSequence.IGNORED : 0; // target tokens[j+1]
            }
            return new TrainingSequence(tokens, groups);
        };
    }

    static List<TrainingSequence> draw(SequenceSource s, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<TrainingSequence> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(s.next(r.split()));
        }
        return out;
    }

    /**
     * Runs with one intra-op thread: on a shared 2-core machine libtorch's spinning worker threads make tiny
     * models up to ten times slower. Speed is not asserted here (a wall-clock bound fails on a loaded machine);
     * what is tested is that 600 steps learn in-context copying.
     */
    @Test
    void learnsInContextCopyingIn600Steps() {
        Engine.getInstance(); // initialises libtorch, so the thread setting below is not overridden
        int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        ai.djl.pytorch.jni.JniUtils.setNumThreads(1);
        try {
            learnCopying();
        } finally {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        }
    }

    private void learnCopying() {
        SequenceSource source = periodic(24);
        TrainerConfig cfg = TrainerConfig.builder().setSteps(600).setBatchSize(32).setLearningRate(1e-2)
                .optWarmupSteps(20).optEvalEvery(200).optSeed(7).optGroups(List.of("copy")).build();
        try (CausalLmTrainer trainer = CausalLmTrainer.create(tiny(false, true), cfg, source, draw(source, 64, 99))) {
            List<EvalResult> evals = new ArrayList<>();
            trainer.run(new TrainingListener() {
                @Override
                public void onEval(EvalResult r) {
                    evals.add(r);
                }

            });
            EvalResult first = evals.get(0);
            EvalResult last = evals.get(evals.size() - 1);
            assertEquals(0, first.step());
            assertEquals(600, last.step());
            // chance level is ln(10) = 2.30 nats; copying from context drives it to ~0
            assertTrue(first.loss() > 2.0, "initial held-out loss " + first.loss());
            assertTrue(last.loss() < 0.05, "held-out copy loss after 600 steps: " + last.loss() + " (curve "
                    + evals + ")");
            assertEquals(last.loss(), last.groupLoss().get("copy"), 1e-12);
            assertEquals(600, trainer.curve().steps().size());
            assertEquals(evals.size(), trainer.curve().evals().size());
        }
    }

    @Test
    void sameSeedGivesIdenticalWeightsAndOtherSeedsDiffer() {
        float[] a = trainAndFlatten(3);
        float[] b = trainAndFlatten(3);
        float[] c = trainAndFlatten(4);
        assertArrayEquals(a, b, 0f, "same seed must give bit-identical weights");
        assertFalse(Arrays.equals(a, c), "different seeds must give different weights");
    }

    private static float[] trainAndFlatten(long seed) {
        TrainerConfig cfg = TrainerConfig.builder().setSteps(4).setBatchSize(4).setLearningRate(3e-3).optSeed(seed)
                .build();
        try (CausalLmTrainer t = CausalLmTrainer.create(tiny(true, false), cfg, periodic(12), List.of())) {
            t.run(new TrainingListener() {});
            List<Float> all = new ArrayList<>();
            for (NDArray p : t.parameters().named().values()) {
                for (float f : p.toFloatArray()) {
                    all.add(f);
                }
            }
            float[] out = new float[all.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = all.get(i);
            }
            return out;
        }
    }

    /**
     * Backpropagated d loss / d parameter against central finite differences of the same loss, for parameters of
     * every kind, with tied embeddings (W_E gets gradient through both the embedding and the unembedding) and
     * q/k norms.
     */
    @Test
    void gradientsMatchFiniteDifferences() {
        ModelConfig cfg = tiny(true, true);
        List<TrainingSequence> batch = draw(periodic(10), 3, 5);
        try (TrainableParameters params = TrainableParameters.random(cfg, 21);
                NDManager m = NDManager.newBaseManager()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                HookedTransformer model = params.bind(m);
                gc.backward(CausalLmTrainer.losses(model, m, batch, true).mean());
            }
            Map<String, NDArray> named = params.named();
            List<NDArray> grads = params.gradients(m);
            List<String> names = new ArrayList<>(named.keySet());
            String[] checked = {"W_E", "blocks.0.attn.W_Q", "blocks.0.attn.q_norm.w", "blocks.1.attn.W_O",
                    "blocks.1.mlp.W_gate", "blocks.0.ln2.w", "ln_final.w"};
            double h = 1e-2;
            for (String name : checked) {
                NDArray leaf = named.get(name);
                float[] g = grads.get(names.indexOf(name)).toFloatArray();
                float[] w = leaf.toFloatArray();
                // the three largest-gradient entries of this parameter
                Integer[] order = new Integer[g.length];
                for (int i = 0; i < order.length; i++) {
                    order[i] = i;
                }
                Arrays.sort(order, (x, y) -> Float.compare(Math.abs(g[y]), Math.abs(g[x])));
                for (int k = 0; k < 3; k++) {
                    int i = order[k];
                    float orig = w[i];
                    w[i] = (float) (orig + h);
                    leaf.set(w);
                    double plus = loss(params, batch);
                    w[i] = (float) (orig - h);
                    leaf.set(w);
                    double minus = loss(params, batch);
                    w[i] = orig;
                    leaf.set(w);
                    double fd = (plus - minus) / (2 * h);
                    assertEquals(fd, g[i], 2e-3 + 0.03 * Math.abs(fd),
                            name + "[" + i + "]: backprop " + g[i] + " vs finite difference " + fd);
                }
            }
        }
    }

    private static double loss(TrainableParameters params, List<TrainingSequence> batch) {
        try (NDManager m = NDManager.newBaseManager()) {
            return CausalLmTrainer.losses(params.bind(m), m, batch, false).mean().getFloat();
        }
    }

    @Test
    void nativeMemoryDoesNotGrowOverSteps() {
        TrainerConfig cfg = TrainerConfig.builder().setSteps(40).setBatchSize(4).setLearningRate(1e-3)
                .optEvalEvery(10).build();
        try (CausalLmTrainer t = CausalLmTrainer.create(tiny(true, true), cfg, periodic(12),
                draw(periodic(12), 6, 1))) {
            t.step();
            t.evaluate();
            int arrays = t.parameters().manager().getManagedArrays().size();
            for (int i = 0; i < 30; i++) {
                t.step();
            }
            t.evaluate();
            assertEquals(arrays, t.parameters().manager().getManagedArrays().size(),
                    "arrays accumulated in the trainer's managers over 30 steps");
            try (HookedTransformer snap = t.snapshot()) {
                assertEquals(arrays, t.parameters().manager().getManagedArrays().size());
                try (NDManager m = NDManager.newBaseManager()) {
                    // the snapshot computes what the trainer's parameters compute
                    TokenBatch b = TokenBatch.of(new int[] {1, 2, 3, 4, 5});
                    assertArrayEquals(t.parameters().bind(m).forward(m, b).toFloatArray(),
                            snap.forward(m, b).toFloatArray(), 0f);
                }
            }
        }
    }

    @Test
    void trainsOnAThreadWhoseGradModeIsOn() throws Exception {
        // PyTorch's grad mode is per thread and on by default; DJL turns it off only on the thread that started the
        // engine. A fresh thread (a JUnit timeout thread, a JShell executor, an application's worker) must train too.
        TrainerConfig cfg = TrainerConfig.builder().setSteps(3).setBatchSize(2).setLearningRate(1e-3)
                .optEvalEvery(2).build();
        NDManager.newBaseManager().close(); // start the engine on this thread, not on the worker
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread worker = new Thread(() -> {
            try (CausalLmTrainer t = CausalLmTrainer.create(tiny(false, false), cfg, periodic(8),
                    draw(periodic(8), 2, 3))) {
                t.run(new TrainingListener() {});
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        worker.start();
        worker.join();
        if (failure.get() != null) {
            throw new AssertionError("training on a fresh thread failed: " + failure.get(), failure.get());
        }
    }

    @Test
    void curveIsWrittenAsJson() throws IOException {
        TrainerConfig cfg = TrainerConfig.builder().setSteps(3).setBatchSize(2).setLearningRate(1e-3)
                .optEvalEvery(2).build();
        try (CausalLmTrainer t = CausalLmTrainer.create(tiny(false, false), cfg, periodic(8), draw(periodic(8), 2, 3))) {
            t.run(new TrainingListener() {});
            Path f = tmp.resolve("curve.json");
            t.curve().write(f);
            var json = com.google.gson.JsonParser.parseString(java.nio.file.Files.readString(f)).getAsJsonObject();
            assertEquals(3, json.getAsJsonArray("steps").size());
            // evals before step 1, after step 2 and after the last step
            assertEquals(3, json.getAsJsonArray("evals").size());
            assertEquals(2, json.getAsJsonArray("evals").get(1).getAsJsonObject().get("step").getAsInt());
        }
    }

    @Test
    void badInputIsNamed() {
        TrainerConfig cfg = TrainerConfig.builder().setSteps(1).setBatchSize(1).setLearningRate(1e-3).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CausalLmTrainer.create(
                tiny(false, false), cfg, periodic(8), List.of(TrainingSequence.allTargets(new int[] {1, 12, 3}))));
        assertTrue(e.getMessage().contains("token id 12"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CausalLmTrainer.create(tiny(false, false), cfg,
                periodic(8), List.of(new TrainingSequence(new int[] {1, 2, 3}, new int[] {0, 1}))));
        assertTrue(e.getMessage().contains("loss group 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainerConfig.builder().setSteps(10).setBatchSize(1).setLearningRate(-1).build());
        assertTrue(e.getMessage().contains("learning rate"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TrainingSequence(new int[] {1, 2}, new int[] {0, 0}));
    }
}
