package org.mechinterp.sae.analysis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.IntStream;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.mechinterp.sae.model.Sae;

/**
 * SAE latents against per-token labels, with baselines, permutation nulls, FDR and a linear probe: the physics
 * study's protocol for any activation store with labels ({@link LabeledRows}).
 *
 * <p>Per label: every family of {@link FeatureFamilies} (SAE latents, raw dimensions, PCA, random directions, and a
 * scrambled SAE when given) goes through {@link FeatureCorrelation} (best feature selected on discovery prompts,
 * prompt-permutation null, Benjamini–Hochberg q over the family, held-out r); the SAE's top latents by discovery
 * |r| are listed with their p, q and held-out r; and a ridge probe ({@link ProbeRegression}) from the full
 * activation vector gives the linear upper bound (held-out R²).
 */
public final class LabelCorrelation {

    private final FeatureCorrelation correlation;
    private final int top;
    private final int pcaComponents;
    private final long seed;
    private final boolean probe;

    private LabelCorrelation(Builder b) {
        this.correlation = FeatureCorrelation.builder().optPermutations(b.permutations).optSeed(b.seed)
                .optFdr(b.fdr).build();
        this.top = b.top;
        this.pcaComponents = b.pcaComponents;
        this.seed = b.seed;
        this.probe = b.probe;
    }

    /**
     * A new builder with the default settings (200 permutations, seed 7, FDR 0.05, top 10, 32 PCA components, probe
     * on).
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * One of the SAE's top latents for a label.
     *
     * @param latent latent index
     * @param discoveryR Pearson r on discovery rows
     * @param p its discovery p-value (normal fit to the null Fisher-z values)
     * @param q its Benjamini–Hochberg q-value among all latents
     * @param heldOutR Pearson r on held-out rows (not sign-aligned)
     */
    public record TopLatent(int latent, double discoveryR, double p, double q, double heldOutR) {
    }

    /**
     * @param label the label
     * @param top the SAE latents with the largest discovery |r|, descending
     * @param families per family, its best feature's summary (see {@link FamilyCorrelation})
     * @param probe the ridge probe from the full activation, or null when turned off
     */
    public record LabelResult(String label, List<TopLatent> top, Map<String, FamilyCorrelation> families,
            ProbeRegression.Result probe) {
    }

    /**
     * @param hook the hook
     * @param discoveryRows rows used for selection
     * @param heldOutRows rows used for scoring
     * @param discoveryPrompts discovery prompts (groups)
     * @param heldOutPrompts held-out prompts
     * @param unpermutedPrompts discovery prompts that no other prompt of the same row count can replace in the null
     * @param labels one result per label
     */
    public record Result(String hook, int discoveryRows, int heldOutRows, int discoveryPrompts, int heldOutPrompts,
            int unpermutedPrompts, List<LabelResult> labels) {

        /** @return the result as JSON (numbers as they are; NaN where a value is undefined) */
        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("hook", hook);
            o.addProperty("discovery_rows", discoveryRows);
            o.addProperty("heldout_rows", heldOutRows);
            o.addProperty("discovery_prompts", discoveryPrompts);
            o.addProperty("heldout_prompts", heldOutPrompts);
            o.addProperty("unpermuted_prompts", unpermutedPrompts);
            JsonObject ls = new JsonObject();
            for (LabelResult l : labels) {
                JsonObject lo = new JsonObject();
                JsonArray t = new JsonArray();
                for (TopLatent x : l.top()) {
                    JsonObject xo = new JsonObject();
                    xo.addProperty("latent", x.latent());
                    xo.addProperty("r", x.discoveryR());
                    xo.addProperty("p", x.p());
                    xo.addProperty("q", x.q());
                    xo.addProperty("heldout_r", x.heldOutR());
                    t.add(xo);
                }
                lo.add("top_latents", t);
                JsonObject fam = new JsonObject();
                for (Map.Entry<String, FamilyCorrelation> e : l.families().entrySet()) {
                    FamilyCorrelation c = e.getValue();
                    JsonObject co = new JsonObject();
                    co.addProperty("features", c.features());
                    co.addProperty("best_feature", c.bestFeature());
                    co.addProperty("discovery_r", c.discoveryR());
                    co.addProperty("discovery_spearman", c.discoverySpearman());
                    co.addProperty("selection_p", c.selectionP());
                    co.addProperty("best_q", c.bestQ());
                    co.addProperty("significant", c.significant());
                    co.addProperty("heldout_r", c.heldOutR());
                    co.addProperty("heldout_abs_r", c.heldOutAbsR());
                    co.addProperty("heldout_spearman", c.heldOutSpearman());
                    co.addProperty("heldout_p", c.heldOutP());
                    co.addProperty("max_heldout_abs_r", c.maxHeldOutAbsR());
                    fam.add(e.getKey(), co);
                }
                lo.add("families", fam);
                if (l.probe() != null) {
                    JsonObject po = new JsonObject();
                    po.addProperty("lambda", l.probe().lambda());
                    po.addProperty("cv_r2", l.probe().cvR2());
                    po.addProperty("heldout_r2", l.probe().heldOutR2());
                    po.addProperty("train_r2", l.probe().trainR2());
                    lo.add("probe", po);
                }
                ls.add(l.label(), lo);
            }
            o.add("labels", ls);
            return o;
        }
    }

    /**
     * @param sae the SAE (d_in = the rows' width)
     * @param scrambled an SAE trained on scrambled data as a further baseline, or null
     * @param rows the labeled rows
     * @return per label, the correlations of each feature family with the permutation null, FDR counts, the top SAE
     *     latents and, when enabled, the ridge probe's held-out R²
     */
    public Result analyse(Sae sae, Sae scrambled, LabeledRows rows) {
        Objects.requireNonNull(rows, "rows");
        Map<String, FeatureMatrix[]> families = FeatureFamilies.standard(sae, scrambled, rows.discovery(),
                rows.heldOut(), pcaComponents, sae.dSae(), seed + 17);
        Map<String, List<FeatureCorrelation.Analysis>> byFamily = new LinkedHashMap<>();
        for (Map.Entry<String, FeatureMatrix[]> e : families.entrySet()) {
            byFamily.put(e.getKey(), correlation.analyse(e.getKey(), e.getValue()[0], e.getValue()[1],
                    rows.values()));
        }
        List<LabelResult> out = new ArrayList<>();
        ProbeRegression ridge = ProbeRegression.defaults();
        int li = 0;
        for (String label : rows.values().keySet()) {
            Map<String, FamilyCorrelation> fam = new LinkedHashMap<>();
            for (Map.Entry<String, List<FeatureCorrelation.Analysis>> e : byFamily.entrySet()) {
                fam.put(e.getKey(), e.getValue().get(li).summary());
            }
            FeatureCorrelation.Analysis a = byFamily.get(FeatureFamilies.SAE).get(li);
            List<TopLatent> best = IntStream.range(0, a.discoveryR().length).boxed()
                    .sorted(Comparator.comparingDouble((Integer j) -> -Math.abs(a.discoveryR()[j]))
                            .thenComparing(j -> j))
                    .limit(top)
                    .map(j -> new TopLatent(j, a.discoveryR()[j], a.discoveryP()[j], a.discoveryQ()[j],
                            a.heldOutR()[j]))
                    .toList();
            double[][] v = rows.values().get(label);
            ProbeRegression.Result pr = probe ? ridge.fit(rows.discovery(), v[0], rows.heldOut(), v[1]) : null;
            out.add(new LabelResult(label, best, fam, pr));
            li++;
        }
        return new Result(rows.hook(), rows.discovery().rows(), rows.heldOut().rows(),
                rows.discovery().groupCount(), rows.heldOut().groupCount(), rows.unpermutedDiscoveryPrompts(), out);
    }

    /** Builder: all optional. */
    public static final class Builder {
        private int permutations = 200;
        private long seed = 7;
        private double fdr = 0.05;
        private int top = 10;
        private int pcaComponents = 32;
        private boolean probe = true;

        private Builder() {
        }

        /**
         * Permutations of the null (default 200, at least 20).
         *
         * @param p number of permutations, ≥ 20
         * @return this builder
         */
        public Builder optPermutations(int p) {
            this.permutations = p;
            return this;
        }

        /**
         * Seed of the permutations and random directions (default 7).
         *
         * @param seed seed of the permutations and random directions
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * FDR level for counting significant features (default 0.05).
         *
         * @param fdr Benjamini–Hochberg level, in (0, 1)
         * @return this builder
         */
        public Builder optFdr(double fdr) {
            this.fdr = fdr;
            return this;
        }

        /**
         * SAE latents listed per label (default 10).
         *
         * @param top latents listed per label, ≥ 1
         * @return this builder
         */
        public Builder optTop(int top) {
            this.top = top;
            return this;
        }

        /**
         * PCA components of the PCA baseline (default 32, capped at d and the discovery rows).
         *
         * @param k number of principal components, ≥ 1
         * @return this builder
         */
        public Builder optPcaComponents(int k) {
            this.pcaComponents = k;
            return this;
        }

        /**
         * Whether to fit the ridge probe (default true; its cost grows as d³).
         *
         * @param probe false to skip the ridge probe
         * @return this builder
         */
        public Builder optProbe(boolean probe) {
            this.probe = probe;
            return this;
        }

        /**
         * @return the configured analysis
         * @throws IllegalArgumentException naming the first invalid setting
         */
        public LabelCorrelation build() {
            if (top < 1 || pcaComponents < 1) {
                throw new IllegalArgumentException("top and PCA components must be >= 1, got " + top + ", "
                        + pcaComponents);
            }
            return new LabelCorrelation(this);
        }
    }
}
