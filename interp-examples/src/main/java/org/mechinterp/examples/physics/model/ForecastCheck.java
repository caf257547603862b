package org.mechinterp.examples.physics.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.examples.physics.prompt.SerializedSeries;

/**
 * A quick check that a physics model forecasts in context: one-step-ahead prediction of held-out trajectories of
 * one system at several context lengths, against simple baselines. This is a sanity check, not the study.
 *
 * <p>For each trajectory and context length c (time steps), the prompt is {@code <bos>} + the serialised steps
 * {@code [0, c)} (ending with {@code ";"}). The model's forecast of step c is decoded greedily: for each component,
 * three argmax digits (argmax over the ten digit tokens only), each fed back, with the true component separator
 * in between. Errors are in code units (1 code = a/350 of the system's window with fixed scaling) against the
 * true codes of step c, as RMSE over trajectories and components. Baselines on the same codes:
 * <ul>
 *   <li>last value: {@code x[c−1]};
 *   <li>linear extrapolation: {@code 2·x[c−1] − x[c−2]};
 *   <li>context parroting (Zhang &amp; Gilpin 2025): find the earlier stretch of {@code m = min(3, c−2)} steps
 *       ending at {@code j ≤ c−2} closest (squared code distance) to the last m steps, predict {@code x[j+1]}.
 * </ul>
 */
public final class ForecastCheck {
    private ForecastCheck() {}

    /** Errors at one context length. */
    public record Row(int contextSteps, int trajectories, double modelRmse, double modelExact, double lastRmse,
            double linearRmse, double parrotRmse) {}

    /**
     * Runs the check.
     *
     * @param model the model (not closed)
     * @param recipe data recipe the model was trained with (format and scaling)
     * @param system a system of the recipe's mix
     * @param trajectories number of held-out trajectories
     * @param contextSteps context lengths in steps, each ≥ 2 and below the steps that fit the recipe's context
     * @param seed seed of the held-out trajectories (trajectory i from the i-th split)
     * @return one row per entry of {@code contextSteps}, in that order: model and baseline RMSEs in code units and
     *     the model's exact-match fraction
     */
    public static List<Row> run(HookedTransformer model, PhysicsDataRecipe recipe, String system, int trajectories,
            int[] contextSteps, long seed) {
        int d = recipe.system(system).components().size();
        int maxSteps = recipe.stepsFor(recipe.system(system));
        int tps = PhysicsDataRecipe.tokensPerStep(d);
        for (int c : contextSteps) {
            if (c < 2 || 1 + c * tps + tps > model.config().maxPositions() + 1 || c >= maxSteps) {
                throw new IllegalArgumentException("context of " + c + " steps is outside [2, "
                        + Math.min(maxSteps - 1, (model.config().maxPositions() - tps) / tps) + "] for " + system);
            }
        }
        SplittableRandom root = new SplittableRandom(seed);
        List<SerializedSeries> series = new ArrayList<>();
        for (int i = 0; i < trajectories; i++) {
            series.add(recipe.sample(system, root.split()).series());
        }
        List<Row> rows = new ArrayList<>();
        for (int c : contextSteps) {
            long[][] predicted = forecast(model, series, c, d);
            double se = 0;
            double seLast = 0;
            double seLinear = 0;
            double seParrot = 0;
            int exact = 0;
            int n = 0;
            for (int i = 0; i < series.size(); i++) {
                long[][] codes = series.get(i).codes();
                long[] parrot = parrot(codes, c);
                for (int k = 0; k < d; k++) {
                    double truth = codes[c][k];
                    se += sq(predicted[i][k] - truth);
                    exact += predicted[i][k] == codes[c][k] ? 1 : 0;
                    seLast += sq(codes[c - 1][k] - truth);
                    seLinear += sq(2.0 * codes[c - 1][k] - codes[c - 2][k] - truth);
                    seParrot += sq(parrot[k] - truth);
                    n++;
                }
            }
            rows.add(new Row(c, series.size(), Math.sqrt(se / n), (double) exact / n, Math.sqrt(seLast / n),
                    Math.sqrt(seLinear / n), Math.sqrt(seParrot / n)));
        }
        return rows;
    }

    /** Greedy forecast of step c of every series: [series][component] codes. */
    static long[][] forecast(HookedTransformer model, List<SerializedSeries> series, int c, int d) {
        int b = series.size();
        int[][] ids = new int[b][];
        for (int i = 0; i < b; i++) {
            SerializedSeries s = series.get(i);
            String prompt = s.text().substring(0, s.valueStart(c, 0));
            ids[i] = DigitVocabulary.encode(prompt, true);
        }
        long[][] codes = new long[b][d];
        try (NDManager m = NDManager.newBaseManager()) {
            for (int k = 0; k < d; k++) {
                for (int digit = 0; digit < 3; digit++) {
                    int[] next = argmaxDigits(model, m, ids);
                    for (int i = 0; i < b; i++) {
                        codes[i][k] = codes[i][k] * 10 + (next[i] - DigitVocabulary.DIGIT0);
                        ids[i] = append(ids[i], next[i]);
                    }
                }
                if (k < d - 1) {
                    for (int i = 0; i < b; i++) {
                        ids[i] = append(ids[i], DigitVocabulary.COMMA);
                    }
                }
            }
        }
        return codes;
    }

    private static int[] argmaxDigits(HookedTransformer model, NDManager m, int[][] ids) {
        try (NDManager call = m.newSubManager()) {
            NDArray logits = model.forward(call, TokenBatch.of(ids));                      // [B,T,V]
            long t = logits.getShape().get(1);
            float[] last = logits.get(":, {}, {}:{}", t - 1, DigitVocabulary.DIGIT0, DigitVocabulary.DIGIT0 + 10)
                    .toFloatArray();                                                         // [B,10]
            int[] out = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                int best = 0;
                for (int j = 1; j < 10; j++) {
                    if (last[i * 10 + j] > last[i * 10 + best]) {
                        best = j;
                    }
                }
                out[i] = DigitVocabulary.DIGIT0 + best;
            }
            return out;
        }
    }

    /** Context parroting: the continuation of the closest earlier stretch of min(3, c−2) steps. */
    static long[] parrot(long[][] codes, int c) {
        int m = Math.max(1, Math.min(3, c - 2));
        int bestJ = c - 2;
        double best = Double.POSITIVE_INFINITY;
        for (int j = m - 1; j <= c - 2; j++) {
            double dist = 0;
            for (int i = 0; i < m; i++) {
                for (int k = 0; k < codes[0].length; k++) {
                    dist += sq(codes[j - i][k] - codes[c - 1 - i][k]);
                }
            }
            if (dist < best) { // ties keep the earliest stretch
                best = dist;
                bestJ = j;
            }
        }
        return codes[bestJ + 1].clone();
    }

    private static int[] append(int[] a, int v) {
        int[] out = Arrays.copyOf(a, a.length + 1);
        out[a.length] = v;
        return out;
    }

    private static double sq(double x) {
        return x * x;
    }

    /**
     * The rows as JSON, for {@code --json} output and the model card.
     *
     * @param rows rows from {@link #run}
     * @return an array with one object per row; keys in snake_case, RMSEs suffixed {@code _codes}
     */
    public static JsonArray toJson(List<Row> rows) {
        JsonArray arr = new JsonArray();
        for (Row r : rows) {
            JsonObject o = new JsonObject();
            o.addProperty("context_steps", r.contextSteps());
            o.addProperty("trajectories", r.trajectories());
            o.addProperty("model_rmse_codes", r.modelRmse());
            o.addProperty("model_exact_fraction", r.modelExact());
            o.addProperty("last_value_rmse_codes", r.lastRmse());
            o.addProperty("linear_extrapolation_rmse_codes", r.linearRmse());
            o.addProperty("context_parroting_rmse_codes", r.parrotRmse());
            arr.add(o);
        }
        return arr;
    }
}
