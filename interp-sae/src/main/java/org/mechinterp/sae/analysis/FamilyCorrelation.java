package org.mechinterp.sae.analysis;

/**
 * How well the best feature of one family (SAE latents, raw residual dimensions, PCA components, random
 * directions, scrambled-sequence SAE latents) tracks one quantity, selected on discovery trajectories and scored on
 * held-out ones. See {@link FeatureCorrelation} for the procedure.
 *
 * @param family the feature family
 * @param quantity the quantity (label)
 * @param features number of candidate features
 * @param bestFeature index of the feature with the largest discovery |Pearson r|
 * @param discoveryR its discovery Pearson r
 * @param discoverySpearman its discovery Spearman ρ
 * @param selectionP family-wise permutation p-value of the selection (max |r| over all features under the
 *     trajectory-permutation null; floor 1/(permutations+1))
 * @param bestQ Benjamini–Hochberg q-value of the best feature among all features of the family
 * @param significant features with BH q ≤ 0.05 on discovery
 * @param heldOutR held-out Pearson r of the selected feature, sign-aligned with its discovery r (negative: the
 *     relation flipped)
 * @param heldOutAbsR |held-out r| of the selected feature: the headline number
 * @param heldOutSpearman held-out Spearman ρ, sign-aligned
 * @param heldOutP permutation p-value of the held-out r (two-sided; floor 1/(permutations+1))
 * @param maxHeldOutAbsR max over all features of the held-out |r| (optimistic: selected on the held-out data)
 */
public record FamilyCorrelation(String family, String quantity, int features, int bestFeature, double discoveryR,
        double discoverySpearman, double selectionP, double bestQ, int significant, double heldOutR,
        double heldOutAbsR, double heldOutSpearman, double heldOutP, double maxHeldOutAbsR) {
}
