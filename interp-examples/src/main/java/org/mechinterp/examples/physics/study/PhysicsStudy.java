package org.mechinterp.examples.physics.study;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.examples.physics.PhysicalSystem;
import org.mechinterp.examples.physics.Systems;
import org.mechinterp.examples.physics.Trajectory;
import org.mechinterp.examples.physics.model.PhysicsDataRecipe;
import org.mechinterp.examples.physics.prompt.IntegerGrid;
import org.mechinterp.examples.physics.prompt.Scaling;
import org.mechinterp.examples.physics.prompt.SeriesFormat;
import org.mechinterp.examples.physics.prompt.TokenInfo;
import org.mechinterp.sae.analysis.FamilyCorrelation;
import org.mechinterp.sae.analysis.FeatureCorrelation;
import org.mechinterp.sae.analysis.FeatureFamilies;
import org.mechinterp.sae.analysis.FeatureMatrix;
import org.mechinterp.sae.analysis.ProbeRegression;
import org.mechinterp.sae.eval.EvalResult;
import org.mechinterp.sae.eval.SaeEvaluator;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.model.SaeMetadata;
import org.mechinterp.sae.store.ActivationCapture;
import org.mechinterp.sae.store.RowBlock;
import org.mechinterp.sae.store.StoreReader;
import org.mechinterp.sae.train.InMemoryBatches;
import org.mechinterp.sae.train.SaeConfig;
import org.mechinterp.sae.train.SaeTrainer;

/**
 * The physics-in-context study: does a model that forecasts physical trajectories in context represent their
 * energy? Stages (each a class usable on its own):
 * <ol>
 *   <li>simulate discovery and held-out trajectories (split by trajectory), serialise and tokenise them
 *   ({@link EncodedTrajectory});</li>
 *   <li>{@link ForecastEvaluation}: error vs context length on held-out trajectories, with parroting and
 *   repeat-last baselines, the quantisation floor and a power-law fit;</li>
 *   <li>{@link ScopeAnalysis}: Temperature and Fisher scopes at forecast positions (right after forecasting, on
 *   the same held-out trajectories; the order no longer matters since the forward pass keeps every autograd
 *   operand in libtorch-owned memory, see {@code GradientNativeMemoryTest});</li>
 *   <li>capture {@code blocks.L.hook_resid_post} at the chosen layers over a {@code .jsonl} corpus with per-token
 *   labels ({@link ActivationCapture}, store under {@code out/store}); scrambled-step discovery sequences go to
 *   {@code out/store-scrambled};</li>
 *   <li>per layer, a ridge probe per quantity ({@link ProbeRegression}); the SAE layer is the given one or the
 *   layer with the best cross-validated discovery R² for the first quantity (E);</li>
 *   <li>a TopK SAE on all series tokens of the discovery trajectories at that layer, and the same SAE recipe on the
 *   scrambled sequences;</li>
 *   <li>{@link FeatureCorrelation} of SAE latents and of the baselines ({@link FeatureFamilies}: raw dimensions, PCA,
 *   random directions; and the scrambled SAE) with each quantity at the read-out tokens;</li>
 *   <li>{@code results.json} ({@link StudyResults}) and {@code report.html} ({@link StudyReport}).</li>
 * </ol>
 * The stores and corpora are deleted after a successful run unless {@link Builder#optKeepIntermediate} is set.
 * Quantities are read at one token per time step: the token closing the step ({@link EncodedTrajectory}).
 * By default all trajectories are serialised with one scaling fitted on the discovery trajectories, so that the
 * digits carry physical amplitude (a per-trajectory min–max window would make absolute energy unrecoverable
 * from the text).
 *
 * <p>Progress goes to the given stream (stderr by default). Native memory: the model is opened and closed by
 * {@link #run()}.
 */
public final class PhysicsStudy {

    /** Family name of the SAE latents. */
    public static final String SAE = FeatureFamilies.SAE;
    /** Baseline family: the residual stream's raw dimensions ("neurons"). */
    public static final String RAW = FeatureFamilies.RAW;
    /** Baseline family: projections on the leading principal components of the discovery activations. */
    public static final String PCA = FeatureFamilies.PCA;
    /** Baseline family: projections on random unit directions. */
    public static final String RANDOM = FeatureFamilies.RANDOM;
    /** Baseline family: latents of an SAE trained on time-step-scrambled trajectories (no coherent dynamics). */
    public static final String SCRAMBLED = FeatureFamilies.SCRAMBLED;

    /** Which tokens the SAEs are trained on. */
    public enum SaeTokens {
        /** Every series token (digits and separators) of the discovery trajectories. */
        SERIES,
        /** Only the read-out tokens (the separators closing each time step), where quantities are read. */
        READOUT
    }

    private static final List<String> ENERGY_QUANTITIES = List.of("E", "E1", "E2", "Ec", "KE", "PE");

    private final Builder b;

    private PhysicsStudy(Builder b) {
        this.b = b;
    }

    /**
     * Starts a study set-up.
     *
     * @return a builder; model and output folder are required, the rest defaults to a run of a few minutes
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs every stage (simulate, encode, forecast, capture, probes, SAEs, correlations, scopes), writes
     * {@code results.json} and {@code report.html} into the out folder.
     *
     * @return the results, as written to {@code results.json}
     * @throws IOException if the model cannot be read or an output file cannot be written
     */
    public StudyResults run() throws IOException {
        Progress progress = new Progress(b.log, 8);
        Map<String, Double> timings = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        Files.createDirectories(b.out);
        PhysicalSystem system = resolveSystem();
        List<String> quantities = checkedQuantities(system);
        try (Tokenizer tok = Tokenizer.load(b.model); HookedTransformer model = HookedTransformer.load(b.model)) {
            RunContext c = new RunContext(tok, model, model.config(), system, quantities, progress, timings);
            Encoded enc = simulateAndEncode(c);
            ForecastResult forecast = forecast(c, enc);
            ScopeAnalysis.Result scopes = scopes(c, enc);
            Captured cap = capture(c, enc);
            Probes probes = probes(c, enc, cap);
            Saes saes = trainSaes(c, enc, cap, probes);
            Correlations corr = correlate(c, enc, probes, saes);
            return report(c, enc, forecast, scopes, cap, probes, saes, corr, t0);
        }
    }

    /** What every stage of one {@link #run()} shares: the open model and tokenizer, the system, the progress. */
    private record RunContext(Tokenizer tok, HookedTransformer model, ModelConfig cfg, PhysicalSystem system,
            List<String> quantities, Progress progress, Map<String, Double> timings) {
    }

    /** Stage 1's output: the encoded trajectories, steps and tokens per trajectory, the digit token ids. */
    private record Encoded(Data data, int steps, int length, int[] digitIds) {
    }

    /** Stage 4's output: the captured layers and, per layer, the rows read from the store. */
    private record Captured(int[] layers, Map<Integer, Rows> rowsByLayer) {
    }

    /**
     * Stage 5's output: the quantities at the read-out rows ({@link #quantityRows}), the probes per layer (indexed by
     * layer, empty for layers not captured) and the SAE layer with why it was chosen.
     */
    private record Probes(Map<String, double[][]> qValues, List<Map<String, ProbeRegression.Result>> probes,
            int saeLayer, String layerChoice) {
    }

    /** Stage 6's output: the SAE layer's rows, the SAE width, the SAE, the scrambled-step SAE and their summary. */
    private record Saes(Rows rows, int width, Sae sae, Sae scrambledSae, StudyResults.SaeSummary summary) {
    }

    /** Stage 7's output: feature families and their correlations at token, context-bin and trajectory level. */
    private record Correlations(Map<String, FeatureMatrix[]> families,
            Map<String, Map<String, FamilyCorrelation>> correlation, Map<String, Map<String, double[][]>> absR,
            ContextProfile profile, Map<String, Map<String, double[]>> byContext, int pooledFrom,
            Map<String, Map<String, FamilyCorrelation>> trajectoryLevel) {
    }

    /**
     * The system to study: the recipe's version when a {@link PhysicsDataRecipe} covers it, else its defaults.
     *
     * @return a new system
     */
    private PhysicalSystem resolveSystem() {
        boolean useRecipe = b.recipe != null && PhysicsDataRecipe.supportedSystems().contains(b.system);
        return useRecipe ? b.recipe.system(b.system) : Systems.create(b.system);
    }

    /**
     * The quantities to read: the given ones, checked against the system's, or {@link #defaultQuantities}.
     *
     * @return the quantity names, first the one that picks the SAE layer
     * @throws StudyInputException if the system has no such quantity
     */
    private List<String> checkedQuantities(PhysicalSystem system) {
        List<String> quantities = b.quantities != null ? b.quantities : defaultQuantities(system);
        for (String q : quantities) {
            if (!system.quantities().contains(q)) {
                throw new StudyInputException("system " + b.system + " has no quantity '" + q + "'; it has "
                        + system.quantities());
            }
        }
        return quantities;
    }

    /**
     * Stage 1: simulates and encodes the trajectories ({@link #data}), checks that they fit the model's learned
     * positions and that every digit is one token.
     *
     * @return the encoded trajectories, steps and tokens per trajectory, the digit token ids
     */
    private Encoded simulateAndEncode(RunContext c) {
        c.progress.stage("simulate and encode " + (b.discovery + b.heldOut) + " " + b.system + " trajectories");
        Data data = data(c.system, c.tok);
        List<EncodedTrajectory> disc = data.discovery;
        int steps = disc.get(0).steps();
        int length = disc.get(0).length();
        if (c.cfg.positions() == ModelConfig.Positions.LEARNED && length > c.cfg.maxPositions()) {
            throw new StudyInputException(steps + " steps make " + length + " tokens, more than the "
                    + "model's " + c.cfg.maxPositions() + " positions; use fewer steps");
        }
        int[] digitIds;
        try {
            digitIds = DigitTokens.of(c.tok);
            DigitTokens.verify(disc, digitIds);
        } catch (IllegalArgumentException e) {
            throw new StudyInputException(e.getMessage());
        }
        c.progress.note(length + " tokens per trajectory (" + steps + " steps; " + data.description + ")");
        c.timings.put("data", c.progress.done());
        return new Encoded(data, steps, length, digitIds);
    }

    /**
     * Stage 2: forecast error vs context length on the held-out trajectories ({@link ForecastEvaluation}).
     *
     * @return the forecast errors, baselines and power-law fit
     */
    private ForecastResult forecast(RunContext c, Encoded enc) {
        List<EncodedTrajectory> held = enc.data.heldOut;
        c.progress.stage("forecast vs context length on " + held.size() + " held-out trajectories");
        int[] contexts = ForecastEvaluation.logGrid(enc.steps - 1);
        ForecastResult forecast = ForecastEvaluation.builder().optContexts(contexts).optSeed(b.seed).build()
                .evaluate(c.model, held, enc.digitIds, c.progress.counter("trajectories"));
        c.progress.note(String.format(Locale.ROOT, "exponent %.3f [%.3f, %.3f]; RMSE at c=%d: model %.4f, "
                + "parroting %.4f, floor %.4f", forecast.fit().exponent(), forecast.fit().lower(),
                forecast.fit().upper(), contexts[contexts.length - 1], last(forecast.modelRmse()),
                last(forecast.parrotRmse()), last(forecast.floorRmse())));
        c.timings.put("forecast", c.progress.done());
        return forecast;
    }

    /**
     * Stage 3: Temperature and Fisher scopes at forecast positions of the held-out trajectories, before any
     * training in this JVM (see the class comment).
     *
     * @return the scopes at {@link #scopeTargets} steps
     */
    private ScopeAnalysis.Result scopes(RunContext c, Encoded enc) {
        List<EncodedTrajectory> held = enc.data.heldOut;
        int[] targets = scopeTargets(enc.steps);
        c.progress.stage("Temperature and Fisher scopes at steps " + Arrays.toString(targets) + " of "
                + Math.min(b.scopeTrajectories, held.size()) + " held-out trajectories");
        ScopeAnalysis.Result scopes = ScopeAnalysis.builder().setTargets(targets)
                .optTrajectories(b.scopeTrajectories).build().analyse(c.model, held, c.progress.counter("scope methods (temperature, fisher)"));
        c.progress.note(String.format(Locale.ROOT, "share of the last step: temperature %.2f, fisher %.2f",
                scopes.lastStepShare(0), scopes.lastStepShare(1)));
        c.timings.put("scopes", c.progress.done());
        return scopes;
    }

    /**
     * Stage 4: captures {@code resid_post} at the chosen layers over the discovery and held-out trajectories
     * (corpus {@code out/corpus.jsonl}, store {@code out/store}) and reads the rows per layer.
     *
     * @return the layers and their rows
     * @throws StudyInputException if a layer is outside the model
     */
    private Captured capture(RunContext c, Encoded enc) throws IOException {
        int[] layers = b.layers != null ? b.layers : range(c.cfg.nLayers());
        for (int l : layers) {
            if (l < 0 || l >= c.cfg.nLayers()) {
                throw new StudyInputException("layer " + l + " is outside 0.." + (c.cfg.nLayers() - 1));
            }
        }
        c.progress.stage("capture resid_post at layers " + Arrays.toString(layers));
        List<EncodedTrajectory> both = new ArrayList<>(enc.data.discovery);
        both.addAll(enc.data.heldOut);
        List<String> hooks = new ArrayList<>();
        for (int l : layers) {
            hooks.add(HookNames.residPost(l));
        }
        Path corpus = b.out.resolve("corpus.jsonl");
        writeCorpus(corpus, both, c.system.quantities());
        Path store = b.out.resolve("store");
        deleteStore(store);
        ActivationCapture.builder().setModel(c.model).optTokenizer(c.tok).optModelPath(b.model).setCorpus(corpus)
                .setHooks(hooks).setOut(store).optProgress(false).build().run();
        Map<Integer, Rows> rowsByLayer = new LinkedHashMap<>();
        try (StoreReader reader = StoreReader.open(store)) {
            for (int i = 0; i < layers.length; i++) {
                rowsByLayer.put(layers[i], readRows(reader, hooks.get(i), both, b.discovery));
            }
        }
        c.timings.put("capture", c.progress.done());
        return new Captured(layers, rowsByLayer);
    }

    /**
     * Stage 5: a ridge probe per captured layer and quantity; picks the SAE layer (the given one, or the best
     * cross-validated discovery R² for the first quantity).
     *
     * @return the quantity rows, the probes and the SAE layer
     * @throws StudyInputException if the given SAE layer was not captured
     */
    private Probes probes(RunContext c, Encoded enc, Captured cap) {
        List<String> quantities = c.quantities;
        c.progress.stage("ridge probes per layer and quantity");
        Map<String, double[][]> qValues = quantityRows(quantities, enc.data.discovery, enc.data.heldOut);
        List<Map<String, ProbeRegression.Result>> probes = new ArrayList<>();
        for (int l = 0; l < c.cfg.nLayers(); l++) {
            probes.add(new LinkedHashMap<>());
        }
        ProbeRegression ridge = ProbeRegression.defaults();
        int bestLayer = cap.layers[0];
        double bestCv = Double.NEGATIVE_INFINITY;
        for (int l : cap.layers) {
            Rows r = cap.rowsByLayer.get(l);
            for (String q : quantities) {
                double[][] v = qValues.get(q);
                ProbeRegression.Result pr = ridge.fit(r.discovery, v[0], r.heldOut, v[1]);
                probes.get(l).put(q, pr);
                if (q.equals(quantities.get(0)) && pr.cvR2() > bestCv) {
                    bestCv = pr.cvR2();
                    bestLayer = l;
                }
            }
            c.progress.note(String.format(Locale.ROOT, "layer %d: held-out R² %s = %.3f", l, quantities.get(0),
                    probes.get(l).get(quantities.get(0)).heldOutR2()));
        }
        int saeLayer = b.saeLayer >= 0 ? b.saeLayer : bestLayer;
        String layerChoice = b.saeLayer >= 0 ? "given" : "best cross-validated discovery probe R² for "
                + quantities.get(0);
        if (!cap.rowsByLayer.containsKey(saeLayer)) {
            throw new StudyInputException("SAE layer " + saeLayer + " is not among the captured layers "
                    + Arrays.toString(cap.layers));
        }
        c.timings.put("probes", c.progress.done());
        return new Probes(qValues, probes, saeLayer, layerChoice);
    }

    /**
     * Stage 6: a TopK SAE on the discovery tokens at the SAE layer and the same recipe on scrambled-step
     * sequences ({@link #captureScrambled}), both evaluated on the held-out tokens of the kind they were trained on.
     *
     * @return the SAE layer's rows, the width, both SAEs and their summary
     */
    private Saes trainSaes(RunContext c, Encoded enc, Captured cap, Probes p) throws IOException {
        Rows rows = cap.rowsByLayer.get(p.saeLayer);
        int d = c.cfg.dModel();
        int width = b.saeWidth > 0 ? b.saeWidth : Math.min(1024, Math.max(64, 8 * d));
        int k = Math.min(b.saeK, width);
        c.progress.stage("train TopK SAEs at layer " + p.saeLayer + " (" + width + " latents, k=" + k + ", "
                + b.saeSteps + " steps) on " + rows.saeTrainCount(b.saeTokens) + " discovery tokens ("
                + b.saeTokens.name().toLowerCase(Locale.ROOT) + "), and on scrambled steps");
        SaeConfig saeConfig = saeConfig(d, width, k, p.saeLayer, enc.length);
        Sae sae = train(saeConfig, rows.saeTrain(b.saeTokens), rows.saeTrainCount(b.saeTokens), d, c.progress,
                "sae");
        // evaluated on held-out tokens of the kind the SAEs were trained on
        float[] evalRows = rows.saeHeldOut(b.saeTokens);
        int evalCount = rows.saeHeldOutCount(b.saeTokens);
        EvalResult eval = SaeEvaluator.evaluate(sae, new InMemoryBatches(evalRows, evalCount, d, 1), evalCount,
                1024);
        Rows scrambledRows = captureScrambled(c, enc, p.saeLayer);
        Sae scrambledSae = train(saeConfig, scrambledRows.saeTrain(b.saeTokens),
                scrambledRows.saeTrainCount(b.saeTokens), d, c.progress, "scrambled sae");
        EvalResult scrambledEval = SaeEvaluator.evaluate(scrambledSae,
                new InMemoryBatches(evalRows, evalCount, d, 1), evalCount, 1024);
        StudyResults.SaeSummary saeSummary = new StudyResults.SaeSummary(p.saeLayer, p.layerChoice, width, k,
                b.saeSteps, rows.saeTrainCount(b.saeTokens), eval.fvu(), eval.l0(), eval.deadFraction(), scrambledEval.fvu());
        c.progress.note(String.format(Locale.ROOT, "held-out FVU %.3f, L0 %.1f, never fired on held-out %.1f%%; scrambled-SAE FVU %.3f",
                eval.fvu(), eval.l0(), 100 * eval.deadFraction(), scrambledEval.fvu()));
        c.timings.put("sae", c.progress.done());
        return new Saes(rows, width, sae, scrambledSae, saeSummary);
    }

    /**
     * Scrambles the time steps of each discovery trajectory (seeded from the study seed), encodes them like the
     * originals, and captures the SAE layer over them (corpus {@code out/corpus-scrambled.jsonl}, store
     * {@code out/store-scrambled}).
     *
     * @return the scrambled sequences' rows at the SAE layer, all counted as discovery
     */
    private Rows captureScrambled(RunContext c, Encoded enc, int saeLayer) throws IOException {
        Scaling scaling = enc.data.scaling;
        Path scrambledCorpus = b.out.resolve("corpus-scrambled.jsonl");
        SplittableRandom scr = new SplittableRandom(b.seed ^ 0x5CA4B1EDL);
        List<EncodedTrajectory> scrambled = new ArrayList<>();
        for (EncodedTrajectory et : enc.data.discovery) {
            Trajectory s = EncodedTrajectory.scrambled(et.trajectory(), scr.split());
            scrambled.add(EncodedTrajectory.encode(et.index(), s, enc.data.format,
                    scaling != null ? scaling : et.series().scaling(), c.tok));
        }
        writeCorpus(scrambledCorpus, scrambled, c.system.quantities());
        Path scrambledStore = b.out.resolve("store-scrambled");
        deleteStore(scrambledStore);
        String saeHook = HookNames.residPost(saeLayer);
        ActivationCapture.builder().setModel(c.model).optTokenizer(c.tok).optModelPath(b.model)
                .setCorpus(scrambledCorpus).setHooks(List.of(saeHook)).setOut(scrambledStore).optProgress(false)
                .build().run();
        Rows scrambledRows;
        try (StoreReader reader = StoreReader.open(scrambledStore)) {
            scrambledRows = readRows(reader, saeHook, scrambled, scrambled.size());
        }
        return scrambledRows;
    }

    /**
     * Stage 7: correlates the feature families ({@link FeatureFamilies#standard}) with each quantity at the
     * read-out tokens, by context bin ({@link #byContext}) and at trajectory level ({@link #trajectoryLevel}).
     *
     * @return the families and all their correlations
     */
    private Correlations correlate(RunContext c, Encoded enc, Probes p, Saes s) {
        List<String> quantities = c.quantities;
        int steps = enc.steps;
        c.progress.stage("correlate features with " + quantities + " (" + b.permutations + " permutations)");
        Map<String, FeatureMatrix[]> families = FeatureFamilies.standard(s.sae, s.scrambledSae, s.rows.discovery,
                s.rows.heldOut, b.pcaComponents, s.width, b.seed + 17);
        FeatureCorrelation fc = FeatureCorrelation.builder().optPermutations(b.permutations).optSeed(b.seed)
                .build();
        Map<String, Map<String, FamilyCorrelation>> correlation = new LinkedHashMap<>();
        Map<String, Map<String, double[][]>> absR = new LinkedHashMap<>();
        tokenLevel(fc, families, p.qValues, quantities, correlation, absR);
        for (String q : quantities) {
            Map<String, FamilyCorrelation> m = correlation.get(q);
            StringBuilder sb = new StringBuilder(q + " held-out |r|:");
            m.forEach((f, fcor) -> sb.append(String.format(Locale.ROOT, " %s %.3f", f, fcor.heldOutAbsR())));
            sb.append(String.format(Locale.ROOT, "; probe R² %.3f", p.probes.get(p.saeLayer).get(q).heldOutR2()));
            c.progress.note(sb.toString());
        }
        ContextProfile profile = ContextProfile.equalBins(steps, 3);
        Map<String, Map<String, double[]>> byContext = byContext(profile, families, correlation, p.qValues,
                quantities, steps);
        // Trajectory level: E of a conservative system is one number per trajectory; pool each feature over
        // the read-out tokens after the first context bin and correlate across trajectories, same protocol.
        int pooledFrom = profile.binStart()[Math.min(1, profile.bins() - 1)];
        Map<String, Map<String, FamilyCorrelation>> trajectoryLevel = trajectoryLevel(fc, families, p.qValues,
                quantities, steps, pooledFrom);
        String q0 = quantities.get(0);
        StringBuilder tl = new StringBuilder(q0 + " trajectory-level held-out |r| (mean over steps >= "
                + pooledFrom + "):");
        trajectoryLevel.get(q0).forEach((f, fcor) -> tl.append(String.format(Locale.ROOT, " %s %.3f", f,
                fcor.heldOutAbsR())));
        c.progress.note(tl.toString());
        c.progress.note(String.format(Locale.ROOT, "%s held-out |r| of the SAE latent by context (steps %s..%s): %s",
                q0, Arrays.toString(profile.binStart()), Arrays.toString(profile.binEnd()),
                Arrays.toString(Arrays.stream(byContext.get(q0).get(SAE)).mapToObj(
                        v -> String.format(Locale.ROOT, "%.3f", v)).toArray())));
        c.timings.put("correlation", c.progress.done());
        return new Correlations(families, correlation, absR, profile, byContext, pooledFrom, trajectoryLevel);
    }

    /**
     * Token-level correlation of every family with every quantity. Fills the given maps (modified):
     * {@code correlation} quantity → family → summary and {@code absR} quantity → family → {|r| discovery per
     * feature, |r| held-out per feature}.
     */
    private static void tokenLevel(FeatureCorrelation fc, Map<String, FeatureMatrix[]> families,
            Map<String, double[][]> qValues, List<String> quantities,
            Map<String, Map<String, FamilyCorrelation>> correlation, Map<String, Map<String, double[][]>> absR) {
        for (String q : quantities) {
            correlation.put(q, new LinkedHashMap<>());
            absR.put(q, new LinkedHashMap<>());
        }
        for (Map.Entry<String, FeatureMatrix[]> e : families.entrySet()) {
            List<FeatureCorrelation.Analysis> res = fc.analyse(e.getKey(), e.getValue()[0], e.getValue()[1],
                    qValues);
            for (FeatureCorrelation.Analysis a : res) {
                correlation.get(a.summary().quantity()).put(e.getKey(), a.summary());
                absR.get(a.summary().quantity()).put(e.getKey(), new double[][] {abs(a.discoveryR()),
                    abs(a.heldOutR())});
            }
        }
    }

    /**
     * Held-out |r| of each family's best feature per context bin.
     *
     * @return quantity → family → |r| per bin of {@code profile}
     */
    private static Map<String, Map<String, double[]>> byContext(ContextProfile profile,
            Map<String, FeatureMatrix[]> families, Map<String, Map<String, FamilyCorrelation>> correlation,
            Map<String, double[][]> qValues, List<String> quantities, int steps) {
        Map<String, Map<String, double[]>> byContext = new LinkedHashMap<>();
        for (String q : quantities) {
            Map<String, double[]> m = new LinkedHashMap<>();
            for (Map.Entry<String, FamilyCorrelation> e : correlation.get(q).entrySet()) {
                FeatureMatrix heldFeatures = families.get(e.getKey())[1];
                double[] best = heldFeatures.column(e.getValue().bestFeature());
                m.put(e.getKey(), profile.absR(best, qValues.get(q)[1], steps));
            }
            byContext.put(q, m);
        }
        return byContext;
    }

    /**
     * Trajectory-level correlation: features and quantities averaged over each trajectory's read-out tokens from
     * step {@code pooledFrom} on ({@link #poolRows}, {@link FeatureMatrix#pooled}), then the token-level protocol.
     *
     * @return quantity → family → summary
     */
    private static Map<String, Map<String, FamilyCorrelation>> trajectoryLevel(FeatureCorrelation fc,
            Map<String, FeatureMatrix[]> families, Map<String, double[][]> qValues, List<String> quantities,
            int steps, int pooledFrom) {
        Map<String, double[][]> qPooled = new LinkedHashMap<>();
        for (String q : quantities) {
            double[][] v = qValues.get(q);
            qPooled.put(q, new double[][] {poolRows(v[0], steps, pooledFrom), poolRows(v[1], steps, pooledFrom)});
        }
        Map<String, Map<String, FamilyCorrelation>> trajectoryLevel = new LinkedHashMap<>();
        for (String q : quantities) {
            trajectoryLevel.put(q, new LinkedHashMap<>());
        }
        for (Map.Entry<String, FeatureMatrix[]> e : families.entrySet()) {
            for (FeatureCorrelation.Analysis a : fc.analyse(e.getKey(), e.getValue()[0].pooled(pooledFrom),
                    e.getValue()[1].pooled(pooledFrom), qPooled)) {
                trajectoryLevel.get(a.summary().quantity()).put(e.getKey(), a.summary());
            }
        }
        return trajectoryLevel;
    }

    /**
     * Stage 8: writes {@code results.json} and {@code report.html}, then {@code results.json} again with the
     * report's timing, and removes the intermediate files unless they are to be kept.
     *
     * @return the results, as written
     */
    private StudyResults report(RunContext c, Encoded enc, ForecastResult forecast, ScopeAnalysis.Result scopes,
            Captured cap, Probes p, Saes s, Correlations r, long t0) throws IOException {
        c.progress.stage("write results.json and report.html to " + b.out);
        StudyResults.ReportData reportData = reportData(c.quantities, r.correlation, r.families, p.qValues,
                enc.data.heldOut, r.absR);
        c.timings.put("total_before_report", (System.nanoTime() - t0) / 1e9);
        StudyResults results = new StudyResults(b.model.toString(), b.modelNote, b.system,
                settings(cap.layers, enc.steps, enc.data), forecast, p.probes, s.summary, r.correlation, r.profile,
                r.byContext, new StudyResults.TrajectoryLevel(r.pooledFrom, r.trajectoryLevel), scopes, c.timings,
                reportData);
        results.write(b.out.resolve("results.json"));
        StudyReport.write(results, b.out);
        c.timings.put("report", c.progress.done());
        c.progress.note(String.format(Locale.ROOT, "total %.1f s", (System.nanoTime() - t0) / 1e9));
        results.write(b.out.resolve("results.json")); // again, with the report timing
        if (!b.keepIntermediate) {
            removeIntermediate(b.out);
        }
        return results;
    }

    /** The encoded trajectories and how they were made. */
    private record Data(List<EncodedTrajectory> discovery, List<EncodedTrajectory> heldOut, SeriesFormat format,
            Scaling scaling, String description, double dt) {
    }

    /**
     * Simulates discovery and held-out trajectories. With a {@link PhysicsDataRecipe} that covers the system, they are
     * drawn and serialised exactly as the physics model's training data (its dt, format and fixed window; draws
     * with unwritable values redrawn), from seeds of their own. Otherwise the system's defaults are simulated and
     * serialised with {@link Builder#optFormat} and one scaling fitted on the discovery set (or one per trajectory).
     */
    private Data data(PhysicalSystem system, Tokenizer tok) {
        int n = b.discovery + b.heldOut;
        SplittableRandom root = new SplittableRandom(b.seed);
        boolean useRecipe = b.recipe != null && PhysicsDataRecipe.supportedSystems().contains(b.system);
        SeriesFormat format = useRecipe ? b.recipe.format() : b.format;
        int tokensPerStep = PhysicsDataRecipe.tokensPerStep(system.components().size());
        int contextTokens = b.recipe != null ? b.recipe.contextTokens() : 384;
        int steps = b.steps > 0 ? b.steps : contextTokens / tokensPerStep - 1;
        if (steps < 8) {
            throw new StudyInputException("only " + steps + " steps fit; give more steps explicitly");
        }
        List<EncodedTrajectory> all = new ArrayList<>();
        Scaling scaling = null;
        String description;
        if (useRecipe) {
            for (int i = 0; i < n; i++) {
                SplittableRandom rng = root.split();
                EncodedTrajectory et = null;
                for (int attempt = 0; et == null; attempt++) {
                    if (attempt == 1000) {
                        throw new IllegalStateException("no writable " + b.system + " trajectory of " + steps
                                + " steps in 1000 draws: the recipe's window is too narrow");
                    }
                    Trajectory t = system.simulate(steps, rng.split());
                    try {
                        et = EncodedTrajectory.encode(i < b.discovery ? i : i - b.discovery, t, format,
                                b.recipe.scalingFor(b.system, t.states()), tok);
                    } catch (IllegalArgumentException unwritable) {
                        // a value beyond the writable codes: redraw, as the recipe does for training data
                    }
                }
                all.add(et);
            }
            description = "training recipe of the physics model: " + b.recipe.scaling().name().toLowerCase(Locale.ROOT)
                    + " scaling, context " + contextTokens + " tokens";
        } else {
            List<Trajectory> ts = Systems.sample(system, n, steps, b.seed);
            if (b.datasetScaling) {
                List<double[]> states = new ArrayList<>();
                ts.subList(0, b.discovery).forEach(t -> states.addAll(Arrays.asList(t.states())));
                scaling = format.fitScaling(states.toArray(new double[0][]));
            }
            for (int i = 0; i < n; i++) {
                int idx = i < b.discovery ? i : i - b.discovery;
                all.add(scaling == null ? EncodedTrajectory.encode(idx, ts.get(i), format, tok)
                        : EncodedTrajectory.encode(idx, ts.get(i), format, scaling, tok));
            }
            description = b.datasetScaling ? "one scaling fitted on the discovery trajectories"
                    : "one scaling per trajectory";
        }
        return new Data(new ArrayList<>(all.subList(0, b.discovery)), new ArrayList<>(all.subList(b.discovery, n)),
                format, scaling, description, system.config().dt());
    }

    private static double last(double[] a) {
        return a[a.length - 1];
    }

    private static double[] abs(double[] a) {
        double[] o = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            o[i] = Math.abs(a[i]);
        }
        return o;
    }

    private static int[] range(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    /** Up to 6 target steps spread over the trajectory (for the scope heatmap). */
    static int[] scopeTargets(int steps) {
        java.util.TreeSet<Integer> s = new java.util.TreeSet<>();
        int max = steps - 1;
        for (int i = 1; i <= 6; i++) {
            s.add(Math.max(1, (int) Math.round(max * i / 6.0)));
        }
        return s.stream().mapToInt(Integer::intValue).toArray();
    }

    static List<String> defaultQuantities(PhysicalSystem system) {
        List<String> q = new ArrayList<>();
        for (String name : ENERGY_QUANTITIES) {
            if (system.quantities().contains(name)) {
                q.add(name);
            }
        }
        return q.isEmpty() ? system.quantities() : q;
    }

    private Map<String, Object> settings(int[] layers, int steps, Data data) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("discovery_trajectories", b.discovery);
        s.put("heldout_trajectories", b.heldOut);
        s.put("steps", steps);
        s.put("layers", Arrays.stream(layers).boxed().toList());
        s.put("format", data.format.toString());
        s.put("data", data.description);
        s.put("dt", data.dt);
        s.put("readout_token", "the token closing each time step (step separator)");
        s.put("sae_tokens", b.saeTokens.name().toLowerCase(Locale.ROOT));
        s.put("sae_k", b.saeK);
        s.put("sae_steps", b.saeSteps);
        s.put("sae_batch", b.saeBatch);
        s.put("permutations", b.permutations);
        s.put("pca_components", b.pcaComponents);
        s.put("seed", b.seed);
        return s;
    }

    private SaeConfig saeConfig(int d, int width, int k, int layer, int context) {
        return SaeConfig.builder().setArchitecture(Architecture.TOPK).setDims(d, width).setSteps(b.saeSteps).optK(k)
                .optBatchSize(b.saeBatch).optSeed(b.seed).optDeadWindow(Math.max(1, b.saeSteps / 5))
                .optWarmupSteps(Math.max(1, b.saeSteps / 20))
                .optMetadata(new SaeMetadata(b.model.getFileName().toString(), HookNames.residPost(layer),
                        context, true))
                .build();
    }

    private static Sae train(SaeConfig config, float[] x, int rows, int d, Progress progress, String name)
            throws IOException {
        int every = Math.max(1, config.steps() / 4);
        try (InMemoryBatches data = new InMemoryBatches(x, rows, d, config.seed())) {
            return SaeTrainer.builder().setConfig(config).optProgress(false).optListener(s -> {
                if (s.step() % every == 0) {
                    progress.note(String.format(Locale.ROOT, "%s step %d/%d: FVU %.3f, L0 %.1f, dead %.1f%%", name,
                            s.step(), config.steps(), s.fvu(), s.l0(), 100 * s.deadFraction()));
                }
            }).build().train(data);
        }
    }

    /** Quantity values at the read-out rows: name → {discovery [rows], held-out [rows]}. */
    static Map<String, double[][]> quantityRows(List<String> quantities, List<EncodedTrajectory> disc,
            List<EncodedTrajectory> held) {
        Map<String, double[][]> out = new LinkedHashMap<>();
        for (String q : quantities) {
            out.put(q, new double[][] {concat(disc, q), concat(held, q)});
        }
        return out;
    }

    /**
     * Per trajectory (blocks of {@code steps} values), the mean of the values from step {@code from} on: the same
     * pooling as {@link FeatureMatrix#pooled(int)}, for a quantity.
     */
    static double[] poolRows(double[] v, int steps, int from) {
        int[] groups = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            groups[i] = i / steps;
        }
        return new FeatureMatrix(v, v.length, 1, groups).pooled(from).values();
    }

    private static double[] concat(List<EncodedTrajectory> ts, String q) {
        int n = 0;
        for (EncodedTrajectory t : ts) {
            n += t.steps();
        }
        double[] v = new double[n];
        int o = 0;
        for (EncodedTrajectory t : ts) {
            double[] s = t.trajectory().quantity(q);
            System.arraycopy(s, 0, v, o, s.length);
            o += s.length;
        }
        return v;
    }

    /** Activations of one hook: read-out rows (discovery / held-out) and all series tokens (for the SAE). */
    private record Rows(FeatureMatrix discovery, FeatureMatrix heldOut, float[] trainAll, int trainTokens,
            float[] heldAll, int heldTokens) {

        /** Discovery rows an SAE trains on: every series token, or the read-out rows. */
        float[] saeTrain(SaeTokens tokens) {
            return tokens == SaeTokens.READOUT ? discovery.toFloats() : trainAll;
        }

        int saeTrainCount(SaeTokens tokens) {
            return tokens == SaeTokens.READOUT ? discovery.rows() : trainTokens;
        }

        /** Held-out rows of the same kind, for evaluation. */
        float[] saeHeldOut(SaeTokens tokens) {
            return tokens == SaeTokens.READOUT ? heldOut.toFloats() : heldAll;
        }

        int saeHeldOutCount(SaeTokens tokens) {
            return tokens == SaeTokens.READOUT ? heldOut.rows() : heldTokens;
        }
    }

    /**
     * Reads one hook's rows from a store whose prompts are {@code trajectories} in order, the first
     * {@code nDiscovery} of them discovery.
     */
    private static Rows readRows(StoreReader reader, String hook, List<EncodedTrajectory> trajectories,
            int nDiscovery) throws IOException {
        int d = reader.dim(hook);
        int nHeld = trajectories.size() - nDiscovery;
        int steps = trajectories.get(0).steps();
        Map<Long, Map<Integer, Integer>> readoutStep = new HashMap<>();
        int discSeries = 0;
        int heldSeries = 0;
        for (int p = 0; p < trajectories.size(); p++) {
            EncodedTrajectory t = trajectories.get(p);
            if (t.steps() != steps) {
                throw new IllegalArgumentException("all trajectories must have the same number of steps");
            }
            Map<Integer, Integer> m = new HashMap<>();
            int[] r = t.readout();
            for (int s = 0; s < r.length; s++) {
                m.put(r[s], s);
            }
            readoutStep.put((long) p, m);
            int series = seriesTokens(t);
            if (p < nDiscovery) {
                discSeries += series;
            } else {
                heldSeries += series;
            }
        }
        double[] dv = new double[nDiscovery * steps * d];
        double[] hv = new double[Math.max(1, nHeld) * steps * d];
        int[] dg = new int[nDiscovery * steps];
        int[] hg = new int[Math.max(1, nHeld) * steps];
        float[] trainAll = new float[discSeries * d];
        float[] heldAll = new float[Math.max(1, heldSeries) * d];
        int ti = 0;
        int hi = 0;
        long total = reader.rows();
        int chunk = 4096;
        RowBlock block = reader.newBlock(hook, chunk);
        for (long first = 0; first < total; first += chunk) {
            int count = (int) Math.min(chunk, total - first);
            reader.read(hook, first, count, block);
            float[] a = block.activations();
            for (int i = 0; i < count; i++) {
                int p = (int) block.promptIds()[i];
                int pos = block.positions()[i];
                EncodedTrajectory t = trajectories.get(p);
                TokenInfo info = t.alignment().token(pos);
                boolean disc = p < nDiscovery;
                if (info.step() >= 0) {
                    if (disc) {
                        System.arraycopy(a, i * d, trainAll, ti++ * d, d);
                    } else {
                        System.arraycopy(a, i * d, heldAll, hi++ * d, d);
                    }
                }
                Integer s = readoutStep.get((long) p).get(pos);
                if (s != null) {
                    int local = disc ? p : p - nDiscovery;
                    int row = local * steps + s;
                    double[] target = disc ? dv : hv;
                    for (int j = 0; j < d; j++) {
                        target[row * d + j] = a[i * d + j];
                    }
                    (disc ? dg : hg)[row] = local;
                }
            }
        }
        if (ti != discSeries || hi != heldSeries) {
            throw new IllegalStateException("store rows do not match the corpus: " + ti + "/" + discSeries
                    + " discovery and " + hi + "/" + heldSeries + " held-out series tokens");
        }
        FeatureMatrix disc = new FeatureMatrix(dv, nDiscovery * steps, d, dg);
        FeatureMatrix held = nHeld > 0 ? new FeatureMatrix(hv, nHeld * steps, d, hg) : null;
        return new Rows(disc, held, trainAll, discSeries, heldAll, heldSeries);
    }

    private static int seriesTokens(EncodedTrajectory t) {
        int n = 0;
        for (TokenInfo info : t.alignment().tokens()) {
            n += info.step() >= 0 ? 1 : 0;
        }
        return n;
    }

    /**
     * Writes the capture corpus: one JSON line per trajectory with its token ids and per-token labels (every
     * quantity of the system at the token's step, {@code step}, {@code component}, and {@code readout} = 1 at the
     * token closing each step); null where a token has no step (BOS).
     */
    static void writeCorpus(Path file, List<EncodedTrajectory> trajectories, List<String> quantities)
            throws IOException {
        org.mechinterp.core.io.AtomicFile.write(file, stream -> {
            BufferedWriter w = new BufferedWriter(new java.io.OutputStreamWriter(stream, StandardCharsets.UTF_8));
            {
                for (EncodedTrajectory t : trajectories) {
                    JsonObject o = new JsonObject();
                    JsonArray ids = new JsonArray();
                    for (int id : t.ids()) {
                        ids.add(id);
                    }
                    o.add("tokens", ids);
                    JsonObject labels = new JsonObject();
                    List<TokenInfo> tokens = t.alignment().tokens();
                    for (String q : quantities) {
                        double[] v = t.alignment().quantity(t.trajectory(), q);
                        JsonArray a = new JsonArray();
                        for (double x : v) {
                            if (Double.isNaN(x)) {
                                a.add((Number) null);
                            } else {
                                a.add(x);
                            }
                        }
                        labels.add(q, a);
                    }
                    JsonArray step = new JsonArray();
                    JsonArray comp = new JsonArray();
                    JsonArray readout = new JsonArray();
                    int[] r = t.readout();
                    java.util.Set<Integer> ro = new java.util.HashSet<>();
                    for (int x : r) {
                        ro.add(x);
                    }
                    for (TokenInfo info : tokens) {
                        if (info.step() < 0) {
                            step.add((Number) null);
                            comp.add((Number) null);
                        } else {
                            step.add(info.step());
                            comp.add(info.component());
                        }
                        readout.add(ro.contains(info.index()) ? 1 : 0);
                    }
                    labels.add("step", step);
                    labels.add("component", comp);
                    labels.add("readout", readout);
                    o.add("labels", labels);
                    w.write(o.toString());
                    w.write('\n');
                }
            }
            w.flush();
        });
    }

    /** The working files of a run, beside results.json: activation stores and their corpora. */
    static final List<String> INTERMEDIATE = List.of("corpus.jsonl", "store", "corpus-scrambled.jsonl",
            "store-scrambled");

    /** Deletes {@link #INTERMEDIATE} from {@code out} (hundreds of MB for the main job). */
    static void removeIntermediate(Path out) throws IOException {
        for (String name : INTERMEDIATE) {
            Path p = out.resolve(name);
            if (Files.isDirectory(p)) {
                deleteStore(p);
            } else {
                Files.deleteIfExists(p);
            }
        }
    }

    /** A store from an earlier run with other settings would refuse to resume: start afresh. */
    private static void deleteStore(Path store) throws IOException {
        if (!Files.exists(store)) {
            return;
        }
        if (!Files.isRegularFile(store.resolve("manifest.json"))) {
            throw new IllegalArgumentException(store + " exists but is not an activation store; remove it or use "
                    + "another --out folder");
        }
        try (var walk = Files.walk(store)) {
            for (Path p : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }

    private StudyResults.ReportData reportData(List<String> quantities,
            Map<String, Map<String, FamilyCorrelation>> correlation, Map<String, FeatureMatrix[]> families,
            Map<String, double[][]> qValues, List<EncodedTrajectory> held, Map<String, Map<String, double[][]>> absR) {
        Map<String, double[][]> scatter = new LinkedHashMap<>();
        FeatureMatrix saeHeld = families.get(SAE)[1];
        for (String q : quantities) {
            int f = correlation.get(q).get(SAE).bestFeature();
            scatter.put(q, new double[][] {qValues.get(q)[1], saeHeld.column(f)});
        }
        Map<String, double[]> overTime = new LinkedHashMap<>();
        int steps = held.get(0).steps();
        double[] stepIdx = new double[steps];
        for (int s = 0; s < steps; s++) {
            stepIdx[s] = s;
        }
        overTime.put("step", stepIdx);
        for (String q : quantities) {
            if (q.equals("E") || q.equals("E1") || q.equals("E2")) {
                overTime.put(q, Arrays.copyOf(qValues.get(q)[1], steps));
                int f = correlation.get(q).get(SAE).bestFeature();
                String name = "latent " + f;
                String existing = overTime.keySet().stream().filter(k -> k.startsWith(name + " ")).findFirst()
                        .orElse(null);
                if (existing != null) {
                    // the same latent is best for several quantities: one curve, named for all of them
                    double[] v = overTime.remove(existing);
                    overTime.put(existing.substring(0, existing.length() - 1) + ", " + q + ")", v);
                } else {
                    overTime.put(name + " (best for " + q + ")", Arrays.copyOf(saeHeld.column(f), steps));
                }
            }
        }
        return new StudyResults.ReportData(absR, scatter, overTime);
    }

    /** Stage-by-stage progress lines with elapsed times. */
    static final class Progress {
        private final PrintWriter out;
        private final int stages;
        private int stage;
        private long start;
        private int lastPercent = -1;

        Progress(PrintWriter out, int stages) {
            this.out = out;
            this.stages = stages;
        }

        void stage(String what) {
            stage++;
            start = System.nanoTime();
            lastPercent = -1;
            if (out != null) {
                out.printf(Locale.ROOT, "[%d/%d] %s%n", stage, stages, what);
                out.flush();
            }
        }

        void note(String what) {
            if (out != null) {
                out.println("      " + what);
                out.flush();
            }
        }

        /**
         * A (done, total) callback printing "done/total unit" at every quarter: the unit says what is counted, so
         * "1/2 scope methods" under a stage about 3 trajectories is not read as trajectories.
         */
        java.util.function.BiConsumer<Integer, Integer> counter(String unit) {
            return (done, total) -> count(done, total, unit);
        }

        void count(int done, int total, String unit) {
            int pct = (int) (100L * done / total);
            if (out != null && (pct / 25 != lastPercent / 25 || done == total) && pct != lastPercent) {
                lastPercent = pct;
                out.printf(Locale.ROOT, "      %d/%d %s%n", done, total, unit);
                out.flush();
            }
        }

        double done() {
            double s = (System.nanoTime() - start) / 1e9;
            if (out != null) {
                out.printf(Locale.ROOT, "      done in %.1f s%n", s);
                out.flush();
            }
            return s;
        }
    }

    /**
     * Builder: {@code setModel} and {@code setOut} required; the rest have defaults sized for a run of a few
     * minutes on two CPU cores with a small model.
     */
    public static final class Builder {
        private Path model;
        private String modelNote = "";
        private Path out;
        private String system = "mass-spring";
        private int discovery = 128;
        private int heldOut = 64;
        private int steps;
        private int[] layers;
        private int saeLayer = -1;
        private int saeWidth;
        private int saeK = 8;
        private int saeSteps = 600;
        private int saeBatch = 256;
        private SaeTokens saeTokens = SaeTokens.SERIES;
        private int permutations = 200;
        private int pcaComponents = 32;
        private int scopeTrajectories = 3;
        private long seed = 2025;
        private List<String> quantities;
        private SeriesFormat format = IntegerGrid.builder().build();
        private PhysicsDataRecipe recipe = PhysicsDataRecipe.builder().build();
        private boolean datasetScaling = true;
        private PrintWriter log = new PrintWriter(System.err, true);
        private boolean keepIntermediate;

        private Builder() {
        }

        /**
         * Sets the model.
         *
         * @param model folder of a digit-per-token causal LM ({@code config.json}, weights, {@code tokenizer.json})
         * @return this builder
         */
        public Builder setModel(Path model) {
            this.model = Objects.requireNonNull(model, "model");
            return this;
        }

        /**
         * Records how the model was chosen.
         *
         * @param note free text written to the results' settings (e.g. a fallback), default empty
         * @return this builder
         */
        public Builder optModelNote(String note) {
            this.modelNote = Objects.requireNonNull(note, "note");
            return this;
        }

        /**
         * Sets the output folder.
         *
         * @param out folder for results.json, report.html and plots/; created if needed
         * @return this builder
         */
        public Builder setOut(Path out) {
            this.out = Objects.requireNonNull(out, "out");
            return this;
        }

        /**
         * Sets the simulated system.
         *
         * @param system system name (default mass-spring; see {@link Systems#names()}); checked in {@link #build()}
         * @return this builder
         */
        public Builder optSystem(String system) {
            this.system = Objects.requireNonNull(system, "system");
            return this;
        }

        /**
         * Discovery and held-out trajectory counts (defaults 128 and 64: E of a conservative system is one value per
         * trajectory, so these are the sample sizes of the trajectory-level statistics).
         *
         * @param discovery trajectories for training probes and SAEs and choosing latents, ≥ 5 (5-fold CV)
         * @param heldOut trajectories for the reported held-out statistics and forecasts, ≥ 2
         * @return this builder
         */
        public Builder optTrajectories(int discovery, int heldOut) {
            this.discovery = discovery;
            this.heldOut = heldOut;
            return this;
        }

        /**
         * Time steps per trajectory (default 0: as many as fit the recipe's context, 384 tokens, less one step,
         * e.g. 47 for mass-spring).
         *
         * @param steps time steps per trajectory, ≥ 8, or 0 for the automatic length
         * @return this builder
         */
        public Builder optSteps(int steps) {
            this.steps = steps;
            return this;
        }

        /**
         * Sets the layers whose residual stream is captured and probed.
         *
         * @param layers layer indices (default: every layer); copied, at least one
         * @return this builder
         */
        public Builder optLayers(int... layers) {
            this.layers = layers.clone();
            return this;
        }

        /**
         * Sets the SAE's layer.
         *
         * @param layer layer index, or −1 (default) for the layer with the best cross-validated probe R² for the
         *     first quantity
         * @return this builder
         */
        public Builder optSaeLayer(int layer) {
            this.saeLayer = layer;
            return this;
        }

        /**
         * Sets the TopK SAE's size and training length.
         *
         * @param width number of latents (default 0: 8·d_model, at least 64 and at most 1024)
         * @param k active latents per token (default 8)
         * @param steps training steps (default 600)
         * @param batch tokens per training step (default 256)
         * @return this builder
         */
        public Builder optSae(int width, int k, int steps, int batch) {
            this.saeWidth = width;
            this.saeK = k;
            this.saeSteps = steps;
            this.saeBatch = batch;
            return this;
        }

        /**
         * Sets which tokens the SAEs are trained on.
         *
         * @param tokens every series token or only read-out tokens (default {@link SaeTokens#SERIES})
         * @return this builder
         */
        public Builder optSaeTokens(SaeTokens tokens) {
            this.saeTokens = Objects.requireNonNull(tokens, "tokens");
            return this;
        }

        /**
         * Sets the size of the permutation null of the correlations.
         *
         * @param permutations trajectory-level permutations, ≥ 20 (default 200); p-values are at least
         *     {@code 1 / (permutations + 1)}
         * @return this builder
         */
        public Builder optPermutations(int permutations) {
            this.permutations = permutations;
            return this;
        }

        /**
         * Sets the size of the PCA baseline.
         *
         * @param k principal components, ≥ 1 (default 32, capped at d_model)
         * @return this builder
         */
        public Builder optPcaComponents(int k) {
            this.pcaComponents = k;
            return this;
        }

        /**
         * Sets how many held-out trajectories the Jacobian scopes average.
         *
         * @param n trajectories, ≥ 1 (default 3)
         * @return this builder
         */
        public Builder optScopeTrajectories(int n) {
            this.scopeTrajectories = n;
            return this;
        }

        /**
         * Sets the master seed from which every stage's generator is split.
         *
         * @param seed master seed (default 2025); the same seed and settings give the same results
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the physical quantities probed and correlated with features.
         *
         * @param quantities quantity names of the system's trajectories (default: the energies E, E1, E2, Ec, KE,
         *     PE the system has); copied
         * @return this builder
         */
        public Builder optQuantities(List<String> quantities) {
            this.quantities = List.copyOf(quantities);
            return this;
        }

        /**
         * Serialisation for systems the recipe does not cover (default {@link IntegerGrid}: 3-digit codes, ","
         * between components, ";" closing steps). Must write fixed-width digit codes read digit by digit.
         *
         * @param format the serialisation used when the recipe does not cover the system
         * @return this builder
         */
        public Builder optFormat(SeriesFormat format) {
            this.format = Objects.requireNonNull(format, "format");
            return this;
        }

        /**
         * The physics model's data recipe (default: {@code PhysicsDataRecipe.builder().build()}, the embedded model's);
         * for the systems it covers, trajectories are drawn and serialised exactly like its training data. Null:
         * never use a recipe.
         *
         * @param recipe the training data recipe, or null
         * @return this builder
         */
        public Builder optRecipe(PhysicsDataRecipe recipe) {
            this.recipe = recipe;
            return this;
        }

        /**
         * For systems without a recipe: one scaling fitted on the discovery set (default true) or one per
         * trajectory (false).
         *
         * @param datasetScaling true for one scaling fitted on the discovery set, false for one per trajectory
         * @return this builder
         */
        public Builder optDatasetScaling(boolean datasetScaling) {
            this.datasetScaling = datasetScaling;
            return this;
        }

        /**
         * Sets where progress lines go.
         *
         * @param log progress destination (default System.err; null: silent); not closed
         * @return this builder
         */
        public Builder optLog(PrintWriter log) {
            this.log = log;
            return this;
        }

        /**
         * Keep the activation stores and corpora ({@code store/}, {@code store-scrambled/}, {@code corpus*.jsonl})
         * in the output folder after a successful run (default false: they are deleted, leaving results.json,
         * report.html and plots/).
         *
         * @param keep true to keep the intermediate files
         * @return this builder
         */
        public Builder optKeepIntermediate(boolean keep) {
            this.keepIntermediate = keep;
            return this;
        }

        /**
         * Validates the settings.
         *
         * @return the study, ready to {@link PhysicsStudy#run()}
         * @throws IllegalArgumentException naming the first invalid setting
         */
        public PhysicsStudy build() {
            if (model == null) {
                throw new IllegalArgumentException("model folder is required (setModel)");
            }
            if (out == null) {
                throw new IllegalArgumentException("output folder is required (setOut)");
            }
            Systems.builder(system); // throws for an unknown name, listing the known ones
            if (discovery < 5) {
                throw new IllegalArgumentException("need at least 5 discovery trajectories (for 5-fold CV), got "
                        + discovery);
            }
            if (heldOut < 2) {
                throw new IllegalArgumentException("need at least 2 held-out trajectories, got " + heldOut);
            }
            if (steps != 0 && steps < 8) {
                throw new IllegalArgumentException("need at least 8 steps per trajectory (0 = auto), got " + steps);
            }
            if (saeWidth < 0 || saeK < 1 || saeSteps < 1 || saeBatch < 1) {
                throw new IllegalArgumentException("SAE width must be >= 0 (0 = default) and k, steps, batch >= 1");
            }
            if (permutations < 20) {
                throw new IllegalArgumentException("use at least 20 permutations, got " + permutations);
            }
            if (pcaComponents < 1 || scopeTrajectories < 1) {
                throw new IllegalArgumentException("PCA components and scope trajectories must be >= 1");
            }
            if (layers != null && layers.length == 0) {
                throw new IllegalArgumentException("give at least one layer");
            }
            return new PhysicsStudy(this);
        }
    }
}
