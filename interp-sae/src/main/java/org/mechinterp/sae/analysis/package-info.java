/**
 * SAE latents (and baseline features) against per-token labels: the protocol of the physics study as a library.
 *
 * <p>{@link org.mechinterp.sae.analysis.LabeledRows} reads labeled rows of an activation store, split by prompt;
 * {@link org.mechinterp.sae.analysis.LabelCorrelation} runs, per label, every family of
 * {@link org.mechinterp.sae.analysis.FeatureFamilies} through
 * {@link org.mechinterp.sae.analysis.FeatureCorrelation} (discovery selection, group-permutation null, BH-FDR,
 * held-out r) and fits a {@link org.mechinterp.sae.analysis.ProbeRegression}. The building blocks
 * ({@link org.mechinterp.sae.analysis.FeatureMatrix}, {@link org.mechinterp.sae.analysis.Stats},
 * {@link org.mechinterp.sae.analysis.Baselines}, {@link org.mechinterp.sae.analysis.PowerLawFit}) work on plain
 * arrays.
 */
package org.mechinterp.sae.analysis;
