package org.mechinterp.sae.analysis;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.mechinterp.sae.model.Sae;

/**
 * The feature families compared on the same rows: the SAE's latents and the baselines an SAE latent has to beat
 * (see {@link Baselines}): raw dimensions, the top principal components of the discovery rows (centred on their
 * mean), random unit directions, and optionally the latents of an SAE trained on scrambled data. Stateless.
 */
public final class FeatureFamilies {
    /** Family name of the SAE latents. */
    public static final String SAE = "sae";
    /** Family name of the raw dimensions ("neurons"). */
    public static final String RAW = "raw_dims";
    /** Family name of the principal components. */
    public static final String PCA = "pca";
    /** Family name of the random directions. */
    public static final String RANDOM = "random_dirs";
    /** Family name of the scrambled-data SAE's latents. */
    public static final String SCRAMBLED = "scrambled_sae";

    private FeatureFamilies() {
    }

    /**
     * Builds the families, in the order SAE, raw, PCA, random, scrambled.
     *
     * @param sae the SAE (d_in = the rows' width)
     * @param scrambled an SAE trained on scrambled data, or null to leave that family out
     * @param discovery activations of the discovery rows (not modified)
     * @param heldOut activations of the held-out rows (not modified)
     * @param pcaComponents PCA components wanted (capped at min(d, discovery rows))
     * @param randomDirections number of random directions (e.g. the SAE's width)
     * @param randomSeed seed of the random directions
     * @return family name → {discovery features, held-out features}
     */
    public static Map<String, FeatureMatrix[]> standard(Sae sae, Sae scrambled, FeatureMatrix discovery,
            FeatureMatrix heldOut, int pcaComponents, int randomDirections, long randomSeed) {
        Objects.requireNonNull(sae, "sae");
        int d = discovery.features();
        if (sae.dIn() != d || heldOut.features() != d || (scrambled != null && scrambled.dIn() != d)) {
            throw new IllegalArgumentException("SAE d_in " + sae.dIn() + " does not match the rows' width " + d);
        }
        Map<String, FeatureMatrix[]> families = new LinkedHashMap<>();
        families.put(SAE, new FeatureMatrix[] {encode(sae, discovery), encode(sae, heldOut)});
        families.put(RAW, new FeatureMatrix[] {discovery, heldOut});
        int pcs = Math.min(pcaComponents, Math.min(d, discovery.rows()));
        double[][] pcaDirs = Baselines.principalDirections(discovery, pcs);
        double[] centre = Baselines.mean(discovery);
        families.put(PCA, new FeatureMatrix[] {discovery.project(pcaDirs, centre), heldOut.project(pcaDirs, centre)});
        double[][] rnd = Baselines.randomDirections(randomDirections, d, randomSeed);
        families.put(RANDOM, new FeatureMatrix[] {discovery.project(rnd, null), heldOut.project(rnd, null)});
        if (scrambled != null) {
            families.put(SCRAMBLED, new FeatureMatrix[] {encode(scrambled, discovery), encode(scrambled, heldOut)});
        }
        return families;
    }

    /**
     * @param sae the SAE; d_in must equal the matrix's feature count
     * @param x rows to encode; not modified
     * @return the SAE's dense codes of the rows of {@code x} [rows, d_sae], same groups
     */
    public static FeatureMatrix encode(Sae sae, FeatureMatrix x) {
        float[] f = sae.encodeDense(x.toFloats(), x.rows());
        return FeatureMatrix.ofFloats(f, x.rows(), sae.dSae(), x.groups());
    }
}
