package org.mechinterp.jacobian.faithfulness;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntConsumer;
import org.mechinterp.jacobian.AttributionRequest;
import org.mechinterp.jacobian.AttributionResult;
import org.mechinterp.jacobian.Attributor;
import org.mechinterp.jacobian.Method;

/**
 * Faithfulness of token attributions, as in the Jacobian Scopes paper:
 * <ul>
 *   <li>AOPC: rank the attributable tokens by score (ties: earlier position first), zero the {@code hook_embed}
 *   rows of the top ⌈f·n⌉ of the n attributable tokens (the attention mask is kept), Δ_f = log p_ablated(ŷ) −
 *   log p_original(ŷ) for the original top-1 ŷ at ℓ, and integrate Δ over f ∈ {0, f_1, ...} with the trapezoid
 *   rule (Δ_0 = 0). Default fractions 5%, 10%, 20%. Unnormalised (the integral over [0, 0.2]); more negative means
 *   the top-ranked tokens matter more.</li>
 *   <li>LOO agreement: Spearman's ρ (average ranks for ties) between a method's scores and the leave-one-out KL
 *   KL(p ‖ p with x_τ zeroed) over the attributable positions; prompts where ρ is undefined (constant scores)
 *   are left out of the mean and counted.</li>
 * </ul>
 * The {@link Method#RANDOM} baseline is a seeded random ranking. The attributor (and its model) is borrowed.
 */
public final class Faithfulness {
    /** The published fractions: 5%, 10%, 20%. */
    public static final double[] DEFAULT_FRACTIONS = {0.05, 0.10, 0.20};

    private final Attributor attributor;
    private final double[] fractions;

    /** One prompt's AOPC curve: Δ at f = 0 and each fraction, and its trapezoid integral. */
    public record AopcCurve(double[] fractions, double[] deltas, int[] zeroedCounts, double aopc) {}

    /**
     * @param attributor the attributor
     * @param fractions increasing fractions in (0, 1] (copied)
     * @throws IllegalArgumentException for empty, non-increasing or out-of-range fractions
     */
    public Faithfulness(Attributor attributor, double[] fractions) {
        this.attributor = Objects.requireNonNull(attributor, "attributor");
        if (fractions.length == 0) {
            throw new IllegalArgumentException("AOPC needs at least one fraction");
        }
        for (int i = 0; i < fractions.length; i++) {
            if (!(fractions[i] > 0 && fractions[i] <= 1) || i > 0 && fractions[i] <= fractions[i - 1]) {
                throw new IllegalArgumentException("AOPC fractions must be increasing in (0, 1], got "
                        + Arrays.toString(fractions));
            }
        }
        this.fractions = fractions.clone();
    }

    /**
     * Creates a faithfulness.
     *
     * @param attributor the attributor
     */
    public Faithfulness(Attributor attributor) {
        this(attributor, DEFAULT_FRACTIONS);
    }

    /**
     * The AOPC curves of several score vectors for one prompt, sharing one batched forward pass.
     *
     * @param request the attribution request
     * @param scores the scores
     * @return the AOPC curves of several score vectors for one prompt, sharing one batched forward pass
     */
    public List<AopcCurve> aopc(AttributionRequest request, List<double[]> scores) {
        int t = request.length();
        int[] positions = request.attributablePositions();
        List<boolean[]> masks = new ArrayList<>();
        masks.add(new boolean[t]);
        int[][] counts = new int[scores.size()][fractions.length];
        for (int s = 0; s < scores.size(); s++) {
            double[] sc = scores.get(s);
            if (sc.length != t) {
                throw new IllegalArgumentException("got " + sc.length + " scores for " + t + " tokens");
            }
            Integer[] order = Arrays.stream(positions).boxed().toArray(Integer[]::new);
            Arrays.sort(order, (a, b) -> sc[a] != sc[b] ? Double.compare(sc[b], sc[a]) : Integer.compare(a, b));
            for (int f = 0; f < fractions.length; f++) {
                // the 1e-9 keeps e.g. 0.1·10 from rounding up to 2
                int k = Math.min(positions.length, (int) Math.ceil(fractions[f] * positions.length - 1e-9));
                counts[s][f] = k;
                boolean[] m = new boolean[t];
                for (int i = 0; i < k; i++) {
                    m[order[i]] = true;
                }
                masks.add(m);
            }
        }
        double[][] lp = attributor.probe().logProbsWithZeroedEmbeddings(request.tokens(), request.position(), masks);
        int top = argmax(lp[0]);
        double[] fs = new double[fractions.length + 1];
        System.arraycopy(fractions, 0, fs, 1, fractions.length);
        List<AopcCurve> out = new ArrayList<>();
        for (int s = 0; s < scores.size(); s++) {
            double[] deltas = new double[fs.length];
            for (int f = 0; f < fractions.length; f++) {
                deltas[f + 1] = lp[1 + s * fractions.length + f][top] - lp[0][top];
            }
            double area = 0;
            for (int f = 1; f < fs.length; f++) {
                area += (fs[f] - fs[f - 1]) * (deltas[f] + deltas[f - 1]) / 2;
            }
            out.add(new AopcCurve(fs.clone(), deltas, counts[s].clone(), area));
        }
        return out;
    }

    /**
     * The AOPC curve of one score vector.
     *
     * @param request the attribution request
     * @param scores the scores
     * @return the AOPC curve of one score vector
     */
    public AopcCurve aopc(AttributionRequest request, double[] scores) {
        return aopc(request, List.of(scores)).get(0);
    }

    /**
     * Spearman's ρ between {@code scores} and {@code looKl} over the attributable positions of the request.
     *
     * @param request the attribution request
     * @param scores the scores
     * @param looKl the loo kl
     * @return Spearman's ρ between {@code scores} and {@code looKl} over the attributable positions of the request
     */
    public static double looSpearman(AttributionRequest request, double[] scores, double[] looKl) {
        int[] pos = request.attributablePositions();
        double[] a = new double[pos.length];
        double[] b = new double[pos.length];
        for (int i = 0; i < pos.length; i++) {
            a[i] = scores[pos[i]];
            b[i] = looKl[pos[i]];
        }
        return Ranks.spearman(a, b);
    }

    /** Prompts per batch of {@link #evaluate(List, List, IntConsumer)}. */
    public static final int DEFAULT_BATCH = 16;

    /**
     * {@link #evaluate(List, List, int, IntConsumer)} in batches of {@link #DEFAULT_BATCH} prompts.
     *
     * @param prompts the prompts
     * @param methods the methods
     * @param progress called with the number of prompts done after each prompt (e.g. to drive a progress bar)
     * @return {@link #evaluate(List, List, int, IntConsumer)} in batches of {@link #DEFAULT_BATCH} prompts
     */
    public FaithfulnessReport evaluate(List<AttributionRequest> prompts, List<Method> methods, IntConsumer progress) {
        return evaluate(prompts, methods, DEFAULT_BATCH, progress);
    }

    /**
     * Evaluates every method on every prompt; {@link Method#RANDOM} is always included as the baseline. Prompts run
     * in batches of {@code batchSize} on the batched attribution path (one backward per batch for Semantic and
     * Temperature, see {@link org.mechinterp.jacobian.BatchAttributor}), so memory is bounded by one batch; each
     * prompt's scores do not depend on its batch mates. The random baseline is drawn for all prompts in one call, so
     * it does not depend on the batch size either.
     *
     * @param prompts the prompts
     * @param methods the methods
     * @param batchSize the batch size
     * @param progress called with the number of prompts done after each prompt (e.g. to drive a progress bar)
     * @return the faithfulness report
     * @throws IllegalArgumentException for no prompts or a batch size below 1
     */
    public FaithfulnessReport evaluate(List<AttributionRequest> prompts, List<Method> methods, int batchSize,
            IntConsumer progress) {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts to evaluate");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        List<Method> all = new ArrayList<>(methods);
        if (!all.contains(Method.RANDOM)) {
            all.add(Method.RANDOM);
        }
        Map<Method, double[]> aopc = new LinkedHashMap<>();
        Map<Method, double[]> rho = new LinkedHashMap<>();
        for (Method m : all) {
            aopc.put(m, new double[prompts.size()]);
            rho.put(m, new double[prompts.size()]);
        }
        List<AttributionResult> random = attributor.attribute(Method.RANDOM, prompts);
        for (int start = 0; start < prompts.size(); start += batchSize) {
            int end = Math.min(prompts.size(), start + batchSize);
            evaluateBatch(prompts, start, end, all, random, aopc, rho, progress);
        }
        List<FaithfulnessReport.MethodSummary> summaries = new ArrayList<>();
        for (Method m : all) {
            summaries.add(FaithfulnessReport.MethodSummary.of(m, aopc.get(m), rho.get(m)));
        }
        return new FaithfulnessReport(prompts.size(), fractions.clone(), summaries);
    }

    /** AOPC and LOO ρ of every method for prompts [start, end), written into {@code aopc} and {@code rho}. */
    private void evaluateBatch(List<AttributionRequest> prompts, int start, int end, List<Method> all,
            List<AttributionResult> random, Map<Method, double[]> aopc, Map<Method, double[]> rho,
            IntConsumer progress) {
        List<AttributionRequest> batch = prompts.subList(start, end);
        List<AttributionResult> loo = attributor.attribute(Method.LEAVE_ONE_OUT, batch);
        Map<Method, List<AttributionResult>> results = new LinkedHashMap<>();
        for (Method m : all) {
            results.put(m, m == Method.LEAVE_ONE_OUT ? loo
                    : m == Method.RANDOM ? random.subList(start, end) : attributor.attribute(m, batch));
        }
        for (int i = 0; i < batch.size(); i++) {
            AttributionRequest req = batch.get(i);
            List<double[]> scores = new ArrayList<>();
            for (Method m : all) {
                scores.add(results.get(m).get(i).scores());
            }
            List<AopcCurve> curves = aopc(req, scores);
            double[] kl = loo.get(i).scores();
            for (int k = 0; k < all.size(); k++) {
                aopc.get(all.get(k))[start + i] = curves.get(k).aopc();
                rho.get(all.get(k))[start + i] = looSpearman(req, scores.get(k), kl);
            }
            if (progress != null) {
                progress.accept(start + i + 1);
            }
        }
    }

    private static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
