package org.mechinterp.jacobian.faithfulness;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.util.List;
import org.mechinterp.jacobian.Method;

/**
 * Faithfulness over a set of prompts, one summary per method (random baseline included). Immutable.
 *
 * <p>JSON ({@link #toJson()}): {@code prompts}, {@code fractions}, and {@code methods}: an object keyed by method id
 * with {@code aopc} (mean over prompts), {@code aopc_stderr}, {@code loo_spearman} (mean over prompts where
 * defined, null if none), {@code loo_spearman_stderr}, {@code loo_spearman_prompts}.
 */
public record FaithfulnessReport(int prompts, double[] fractions, List<MethodSummary> methods) {
    /**
     * Checks the components.
     *
     * @param prompts the prompts
     * @param fractions the fractions
     * @param methods the methods
     */
    public FaithfulnessReport {
        fractions = fractions.clone();
        methods = List.copyOf(methods);
    }

    /**
     * @param aopc mean AOPC over prompts
     * @param aopcStderr its standard error
     * @param looSpearman mean Spearman ρ with leave-one-out KL over the prompts where ρ is defined (NaN if none)
     * @param looSpearmanStderr its standard error (NaN with fewer than 2)
     * @param looSpearmanPrompts the number of prompts where ρ is defined
     */
    public record MethodSummary(Method method, double aopc, double aopcStderr, double looSpearman,
            double looSpearmanStderr, int looSpearmanPrompts) {
        static MethodSummary of(Method m, double[] aopc, double[] rho) {
            double[] ms = meanAndStderr(aopc);
            double[] defined = java.util.Arrays.stream(rho).filter(r -> !Double.isNaN(r)).toArray();
            double[] rs = meanAndStderr(defined);
            return new MethodSummary(m, ms[0], ms[1], rs[0], rs[1], defined.length);
        }
    }

    /**
     * The summary of one method.
     *
     * @param m the m
     * @return the summary of one method
     */
    public MethodSummary summary(Method m) {
        return methods.stream().filter(s -> s.method() == m).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(m.id() + " was not evaluated"));
    }

    /**
     * This object as JSON.
     *
     * @return this object as JSON
     */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("prompts", prompts);
        JsonArray f = new JsonArray();
        for (double x : fractions) {
            f.add(x);
        }
        o.add("fractions", f);
        JsonObject ms = new JsonObject();
        for (MethodSummary s : methods) {
            JsonObject e = new JsonObject();
            e.addProperty("aopc", s.aopc());
            put(e, "aopc_stderr", s.aopcStderr());
            put(e, "loo_spearman", s.looSpearman());
            put(e, "loo_spearman_stderr", s.looSpearmanStderr());
            e.addProperty("loo_spearman_prompts", s.looSpearmanPrompts());
            ms.add(s.method().id(), e);
        }
        o.add("methods", ms);
        return o;
    }

    private static void put(JsonObject o, String key, double v) {
        if (Double.isNaN(v)) {
            o.add(key, JsonNull.INSTANCE);
        } else {
            o.addProperty(key, v);
        }
    }

    private static double[] meanAndStderr(double[] x) {
        if (x.length == 0) {
            return new double[] {Double.NaN, Double.NaN};
        }
        double mean = java.util.Arrays.stream(x).average().orElse(Double.NaN);
        if (x.length < 2) {
            return new double[] {mean, Double.NaN};
        }
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        return new double[] {mean, Math.sqrt(var / (x.length - 1) / x.length)};
    }
}
