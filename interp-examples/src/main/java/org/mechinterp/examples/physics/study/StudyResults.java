package org.mechinterp.examples.physics.study;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.mechinterp.sae.analysis.FamilyCorrelation;
import org.mechinterp.sae.analysis.FeatureCorrelation;
import org.mechinterp.sae.analysis.ProbeRegression;

/**
 * Everything a {@link PhysicsStudy} run measured. {@link #toJson()} is the {@code results.json} layout: at least
 * {@code forecast.exponent}, {@code sae.fvu}, {@code sae.l0}, and per quantity the held-out |r| of the best
 * (discovery-selected) SAE latent and of each baseline's best feature.
 *
 * @param model model folder
 * @param modelNote how the model was chosen (e.g. a fallback), empty when given explicitly
 * @param system physical system name
 * @param settings the study's settings
 * @param forecast forecasting vs context length
 * @param layerProbes per layer, per quantity: the ridge probe from the full residual
 * @param sae the SAE (and scrambled-sequence SAE) trained at {@link SaeSummary#layer()}
 * @param correlation per quantity, per family: best-feature statistics at the SAE layer
 * @param contextProfile the context-length bins of {@code byContext}
 * @param byContext per quantity, per family: held-out |r| of the selected feature within each context bin
 * @param trajectoryLevel the same correlation protocol on trajectory means (one row per trajectory)
 * @param scopes Temperature / Fisher scope shares per earlier step
 * @param timings seconds per stage
 * @param report data only the report needs (not written to JSON)
 */
public record StudyResults(String model, String modelNote, String system, Map<String, Object> settings,
        ForecastResult forecast, List<Map<String, ProbeRegression.Result>> layerProbes, SaeSummary sae,
        Map<String, Map<String, FamilyCorrelation>> correlation, ContextProfile contextProfile,
        Map<String, Map<String, double[]>> byContext, TrajectoryLevel trajectoryLevel, ScopeAnalysis.Result scopes,
        Map<String, Double> timings, ReportData report) {

    /**
     * @param layer residual-stream layer (blocks.L.hook_resid_post) the SAEs were trained on
     * @param layerChoice why this layer ("given", or "best cross-validated probe R² for E")
     * @param width latents n
     * @param k active latents per token
     * @param steps training steps
     * @param trainTokens discovery tokens trained on
     * @param fvu fraction of variance unexplained on held-out series tokens
     * @param l0 mean active latents per held-out token
     * @param deadFraction latents that never fired on held-out tokens
     * @param scrambledFvu the scrambled-sequence SAE's held-out FVU (on real sequences)
     */
    public record SaeSummary(int layer, String layerChoice, int width, int k, int steps, long trainTokens, double fvu,
            double l0, double deadFraction, double scrambledFvu) {
    }

    /**
     * Correlations at the trajectory level: every feature and quantity averaged over a trajectory's read-out tokens
     * from step {@code fromStep} on, then selected on discovery and scored on held-out trajectories exactly as the
     * per-token analysis ({@link FeatureCorrelation}, one row per trajectory). Meaningful for quantities that are
     * constant or slowly varying along a trajectory (E of a conservative system).
     *
     * @param fromStep first step of the mean
     * @param correlation per quantity, per family
     */
    public record TrajectoryLevel(int fromStep, Map<String, Map<String, FamilyCorrelation>> correlation) {
    }

    /**
     * Per-feature data for the report's plots.
     *
     * @param absR per quantity, per family: |discovery r| of every feature and |held-out r| of every feature
     * @param scatter per quantity: held-out (quantity, best SAE latent) pairs
     * @param overTime one held-out trajectory: step, E1, E2, E and the best E1/E2/E latents over time
     */
    public record ReportData(Map<String, Map<String, double[][]>> absR, Map<String, double[][]> scatter,
            Map<String, double[]> overTime) {
    }

    /**
     * Version of the {@code results.json} layout; raised when a field is renamed, removed or changes meaning.
     * Version 1: every key snake_case, "held-out" spelled {@code heldout} as in {@code sae_best_heldout_abs_r}.
     */
    public static final int SCHEMA_VERSION = 1;

    /** Java field names as results.json keys: snake_case, with "held_out" written "heldout" everywhere. */
    static final com.google.gson.FieldNamingStrategy KEYS = f -> snakeCase(f.getName());

    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().disableHtmlEscaping()
            .setFieldNamingStrategy(KEYS).setPrettyPrinting().create();

    /** "heldOutAbsR" → "heldout_abs_r", "trainTokens" → "train_tokens", "l0" → "l0". */
    static String snakeCase(String camel) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < camel.length(); i++) {
            char c = camel.charAt(i);
            if (Character.isUpperCase(c)) {
                if (sb.length() > 0 && sb.charAt(sb.length() - 1) != '_') {
                    sb.append('_');
                }
                sb.append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString().replace("held_out", "heldout");
    }

    /** @return the results.json object */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("schema_version", SCHEMA_VERSION);
        o.addProperty("model", model);
        o.addProperty("model_note", modelNote);
        o.addProperty("system", system);
        o.add("settings", GSON.toJsonTree(settings));
        o.addProperty("permutation_floor", permutationFloor());
        JsonObject f = GSON.toJsonTree(forecast).getAsJsonObject();
        f.addProperty("exponent", forecast.fit().exponent());
        JsonArray ci = new JsonArray();
        ci.add(forecast.fit().lower());
        ci.add(forecast.fit().upper());
        f.add("exponent_ci95", ci);
        f.addProperty("units", "RMSE on the rescaled axis u = code / 10^digits");
        o.add("forecast", f);
        JsonArray layers = new JsonArray();
        for (int l = 0; l < layerProbes.size(); l++) {
            JsonObject lo = new JsonObject();
            lo.addProperty("layer", l);
            lo.add("probe", GSON.toJsonTree(layerProbes.get(l)));
            layers.add(lo);
        }
        o.add("layers", layers);
        o.add("sae", GSON.toJsonTree(sae));
        JsonObject q = new JsonObject();
        for (Map.Entry<String, Map<String, FamilyCorrelation>> e : correlation.entrySet()) {
            JsonObject qo = new JsonObject();
            Map<String, FamilyCorrelation> fam = e.getValue();
            addBest(qo, fam);
            ProbeRegression.Result probe = layerProbes.get(sae.layer()).get(e.getKey());
            qo.addProperty("probe_heldout_r2", probe.heldOutR2());
            qo.add("heldout_abs_r_by_context", GSON.toJsonTree(byContext.get(e.getKey())));
            JsonObject tl = new JsonObject();
            tl.addProperty("mean_from_step", trajectoryLevel.fromStep());
            Map<String, FamilyCorrelation> tfam = trajectoryLevel.correlation().get(e.getKey());
            addBest(tl, tfam);
            tl.add("families", GSON.toJsonTree(tfam));
            qo.add("trajectory_level", tl);
            qo.add("families", GSON.toJsonTree(fam));
            q.add(e.getKey(), qo);
        }
        o.add("quantities", q);
        JsonArray bins = new JsonArray();
        for (int i = 0; i < contextProfile.bins(); i++) {
            JsonObject bo = new JsonObject();
            bo.addProperty("first_step", contextProfile.binStart()[i]);
            bo.addProperty("end_step", contextProfile.binEnd()[i]);
            bins.add(bo);
        }
        o.add("context_bins", bins);
        o.add("scopes", GSON.toJsonTree(scopes));
        o.add("timings_s", GSON.toJsonTree(timings));
        return o;
    }

    /** Adds {@code sae_best_heldout_abs_r} and {@code baseline_best_heldout_abs_r} (family → |r|) to {@code o}. */
    private static void addBest(JsonObject o, Map<String, FamilyCorrelation> families) {
        o.addProperty("sae_best_heldout_abs_r", families.get(PhysicsStudy.SAE).heldOutAbsR());
        JsonObject base = new JsonObject();
        families.forEach((name, c) -> {
            if (!name.equals(PhysicsStudy.SAE)) {
                base.addProperty(name, c.heldOutAbsR());
            }
        });
        o.add("baseline_best_heldout_abs_r", base);
    }

    /**
     * Writes {@link #toJson()} atomically (temporary file in the same folder, then an atomic rename).
     *
     * @param file destination, e.g. {@code results.json}; its folder is created if needed
     * @throws IOException if the folder or file cannot be written
     */
    public void write(Path file) throws IOException {
        writeAtomically(file, GSON.toJson(toJson()).getBytes(StandardCharsets.UTF_8));
    }

    static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        org.mechinterp.core.io.AtomicFile.writeBytes(file, bytes);   // mode by umask (0644), not 0600
    }

    /**
     * The smallest p-value the study's permutations can resolve, 1/(P+1) with P = settings' {@code permutations};
     * NaN when the settings do not say.
     *
     * @return {@code 1 / (permutations + 1)}, or NaN
     */
    public double permutationFloor() {
        Object p = settings.get("permutations");
        return p instanceof Number n ? 1.0 / (n.doubleValue() + 1) : Double.NaN;
    }

    /** @return per quantity, family → held-out |r| of the selected feature */
    public Map<String, Map<String, Double>> headline() {
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, FamilyCorrelation>> e : correlation.entrySet()) {
            Map<String, Double> m = new LinkedHashMap<>();
            e.getValue().forEach((k, v) -> m.put(k, v.heldOutAbsR()));
            out.put(e.getKey(), m);
        }
        return out;
    }
}
