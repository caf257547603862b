package org.mechinterp.jacobian;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores of one method for one prompt: one score per input token (0 at excluded positions and after ℓ). Immutable;
 * arrays are copied in and out.
 *
 * <p>JSON ({@link #toJson()}): {@code scope} (method id), {@code position}, {@code target} (null for methods that do
 * not use one), {@code tokens}, {@code token_texts} (null when unknown), {@code scores}, plus method details
 * ({@code fisher_rank}, {@code eigenvalues}, {@code ig_steps}, ...).
 */
public final class AttributionResult {
    private static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping()
            .serializeSpecialFloatingPointValues().create();

    private final Method method;
    private final int position;
    private final Integer target;
    private final int[] tokens;
    private final List<String> tokenTexts;
    private final double[] scores;
    private final Map<String, Object> details;

    /**
     * @param method the attribution method
     * @param position the position (0-based)
     * @param target the target token, or null when the method has none
     * @param tokens the token ids
     * @param tokenTexts display texts or null
     * @param scores the scores
     * @param details method-specific values serialisable by Gson (copied)
     */
    public AttributionResult(Method method, int position, Integer target, int[] tokens, List<String> tokenTexts,
            double[] scores, Map<String, Object> details) {
        if (scores.length != tokens.length) {
            throw new IllegalArgumentException(scores.length + " scores for " + tokens.length + " tokens");
        }
        this.method = method;
        this.position = position;
        this.target = target;
        this.tokens = tokens.clone();
        this.tokenTexts = tokenTexts == null ? null : List.copyOf(tokenTexts.stream()
                .map(s -> s == null ? "?" : s).toList());
        this.scores = scores.clone();
        this.details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    /**
     * The attribution method.
     *
     * @return the attribution method
     */
    public Method method() {
        return method;
    }

    /**
     * The position (0-based).
     *
     * @return the position (0-based)
     */
    public int position() {
        return position;
    }

    /**
     * The target token id, or null when the method does not use one.
     *
     * @return the target token id, or null when the method does not use one
     */
    public Integer target() {
        return target;
    }

    /**
     * The token ids.
     *
     * @return the token ids
     */
    public int[] tokens() {
        return tokens.clone();
    }

    /**
     * Display texts or null.
     *
     * @return display texts or null
     */
    public List<String> tokenTexts() {
        return tokenTexts;
    }

    /**
     * One score per token (a copy).
     *
     * @return one score per token (a copy)
     */
    public double[] scores() {
        return scores.clone();
    }

    /**
     * The score of one position.
     *
     * @param i the index
     * @return score {@code i}
     */
    public double score(int i) {
        return scores[i];
    }

    /**
     * Method-specific values (unmodifiable).
     *
     * @return method-specific values (unmodifiable)
     */
    public Map<String, Object> details() {
        return details;
    }

    /**
     * A copy with token texts attached.
     *
     * @param texts the texts
     * @return a copy with token texts attached
     */
    public AttributionResult withTokenTexts(List<String> texts) {
        return new AttributionResult(method, position, target, tokens, texts, scores, details);
    }

    /**
     * Scores merged per group with the method's {@link Method#aggregation()}.
     *
     * @param groups the groups
     * @return scores merged per group with the method's {@link Method#aggregation()}
     */
    public double[] merged(TokenGroups groups) {
        return groups.merge(scores, method.aggregation());
    }

    /**
     * The JSON object described in the class comment.
     *
     * @return the JSON object described in the class comment
     */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("scope", method.id());
        o.addProperty("position", position);
        o.addProperty("target", target);
        JsonArray t = new JsonArray();
        for (int id : tokens) {
            t.add(id);
        }
        o.add("tokens", t);
        if (tokenTexts == null) {
            o.add("token_texts", com.google.gson.JsonNull.INSTANCE);
        } else {
            JsonArray texts = new JsonArray();
            tokenTexts.forEach(texts::add);
            o.add("token_texts", texts);
        }
        JsonArray s = new JsonArray();
        for (double v : scores) {
            s.add((float) v);
        }
        o.add("scores", s);
        for (Map.Entry<String, Object> e : details.entrySet()) {
            o.add(e.getKey(), GSON.toJsonTree(e.getValue()));
        }
        return o;
    }

    @Override
    public String toString() {
        return GSON.toJson(toJson());
    }
}
