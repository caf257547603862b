package org.mechinterp.jacobian;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.hooks.HookScope;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.jacobian.faithfulness.Faithfulness;
import org.mechinterp.jacobian.faithfulness.FaithfulnessReport;
import org.mechinterp.jacobian.faithfulness.Ranks;

class FaithfulnessTest {
    static HookedTransformer model;
    static Tokenizer tokenizer;
    static Attributor attributor;

    @BeforeAll
    static void load() throws IOException {
        model = TestModels.loadStories();
        tokenizer = Tokenizer.load(TestModels.stories());
        attributor = Attributor.builder().setModel(model).optIgSteps(8).build();
    }

    @AfterAll
    static void close() {
        tokenizer.close();
        model.close();
    }

    @Test
    void spearmanUsesAverageRanksForTies() {
        assertEquals(1.0, Ranks.spearman(new double[] {1, 2, 3, 4}, new double[] {10, 20, 30, 400}), 1e-15);
        assertEquals(-1.0, Ranks.spearman(new double[] {1, 2, 3, 4}, new double[] {4, 3, 2, 1}), 1e-15);
        assertArrayEquals(new double[] {1, 2.5, 2.5, 4}, Ranks.averageRanks(new double[] {1, 2, 2, 3}));
        // ranks (1, 2.5, 2.5, 4) vs (1, 3, 2, 4): cov 4.5, var 4.5 and 5 → 4.5/√22.5 (scipy.stats.spearmanr agrees)
        assertEquals(4.5 / Math.sqrt(22.5), Ranks.spearman(new double[] {1, 2, 2, 3}, new double[] {1, 3, 2, 4}),
                1e-15);
        assertTrue(Double.isNaN(Ranks.spearman(new double[] {1, 1, 1}, new double[] {1, 2, 3})));
        assertThrows(IllegalArgumentException.class, () -> Ranks.spearman(new double[2], new double[3]));
    }

    @Test
    void aopcZeroesTheTopTokensAndIntegratesWithTheTrapezoidRule() {
        int[] tokens = tokenizer.encode("Once upon a time there was a little girl named Lily. She loved to play");
        AttributionRequest req = AttributionRequest.builder().setTokens(tokens).optExclude(0).build();
        double[] scores = attributor.attribute(Method.SEMANTIC, req).scores();
        Faithfulness f = new Faithfulness(attributor);
        Faithfulness.AopcCurve curve = f.aopc(req, scores);
        int n = tokens.length - 1; // BOS excluded
        // independent: rank by hand, zero the rows with a hook, read log-probs from a plain forward pass
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i + 1;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
        double[] base = lastLogProbs(tokens, new boolean[tokens.length]);
        int top = JacobianProbe.argmax(base);
        double[] fs = {0, 0.05, 0.1, 0.2};
        double[] deltas = new double[4];
        for (int j = 1; j < 4; j++) {
            int k = (int) Math.ceil(fs[j] * n - 1e-9);
            assertEquals(k, curve.zeroedCounts()[j - 1]);
            boolean[] zero = new boolean[tokens.length];
            for (int i = 0; i < k; i++) {
                zero[order[i]] = true;
            }
            deltas[j] = lastLogProbs(tokens, zero)[top] - base[top];
        }
        double area = 0.05 * deltas[1] / 2 + 0.05 * (deltas[1] + deltas[2]) / 2 + 0.1 * (deltas[2] + deltas[3]) / 2;
        assertArrayEquals(deltas, curve.deltas(), 1e-4);
        assertEquals(area, curve.aopc(), 1e-5);
        assertTrue(curve.aopc() < 0, "removing the most important tokens lowers log p(top-1): " + curve.aopc());
    }

    @Test
    void evaluateReportsEveryMethodWithRandomBaseline() {
        String[] texts = {"Once upon a time there was a little girl named Lily. She",
            "Tom had a big red ball. He liked to throw the ball to his",
            "The sun was shining and the birds were singing in the", "Sue went to the park with her mom and"};
        List<AttributionRequest> prompts = new ArrayList<>();
        for (String t : texts) {
            prompts.add(AttributionRequest.builder().setTokens(tokenizer.encode(t)).optExclude(0).build());
        }
        List<Method> methods = List.of(Method.SEMANTIC, Method.TEMPERATURE, Method.FISHER, Method.INPUT_X_GRADIENT,
                Method.INTEGRATED_GRADIENTS, Method.ATTENTION, Method.LEAVE_ONE_OUT);
        int[] done = new int[1];
        FaithfulnessReport report = new Faithfulness(attributor).evaluate(prompts, methods, p -> done[0] = p);
        assertEquals(texts.length, done[0]);
        assertEquals(methods.size() + 1, report.methods().size(), "random baseline added");
        assertEquals(1.0, report.summary(Method.LEAVE_ONE_OUT).looSpearman(), 1e-12, "LOO agrees with itself");
        for (FaithfulnessReport.MethodSummary s : report.methods()) {
            System.err.printf("faithfulness %-12s AOPC %.4f ± %.4f  LOO-Spearman %.3f ± %.3f (%d)%n", s.method().id(),
                    s.aopc(), s.aopcStderr(), s.looSpearman(), s.looSpearmanStderr(), s.looSpearmanPrompts());
            assertTrue(Double.isFinite(s.aopc()));
        }
        // a measured, not assumed, sanity property: LOO ranking by definition removes the tokens whose single
        // removal hurts most, so its AOPC beats a random ranking on these prompts
        assertTrue(report.summary(Method.LEAVE_ONE_OUT).aopc() < report.summary(Method.RANDOM).aopc());
        assertTrue(report.toJson().getAsJsonObject("methods").has("semantic"));
        // batches of 3 (a full and a partial batch of different lengths) give the report of one batch of all 4
        Faithfulness f = new Faithfulness(attributor);
        List<Method> scopes = List.of(Method.SEMANTIC, Method.FISHER);
        FaithfulnessReport whole = f.evaluate(prompts, scopes, prompts.size(), null);
        FaithfulnessReport batched = f.evaluate(prompts, scopes, 3, null);
        for (Method m : List.of(Method.SEMANTIC, Method.FISHER, Method.RANDOM)) {
            assertEquals(whole.summary(m).aopc(), batched.summary(m).aopc(), 1e-5, m + " AOPC");
            assertEquals(whole.summary(m).looSpearman(), batched.summary(m).looSpearman(), 1e-9, m + " LOO rho");
        }
    }

    private static double[] lastLogProbs(int[] tokens, boolean[] zero) {
        float[] keep = new float[tokens.length];
        for (int i = 0; i < keep.length; i++) {
            keep[i] = zero[i] ? 0f : 1f;
        }
        try (HookScope s = model.hooks().scope(); NDManager m = NDManager.newBaseManager()) {
            s.add(HookNames.EMBED, (x, ctx) -> x.mul(ctx.manager().create(keep, new Shape(1, tokens.length, 1))));
            NDArray logits = model.forward(m, TokenBatch.of(tokens));
            return logits.get(0, tokens.length - 1).toType(DataType.FLOAT64, false).logSoftmax(0).toDoubleArray();
        }
    }
}
