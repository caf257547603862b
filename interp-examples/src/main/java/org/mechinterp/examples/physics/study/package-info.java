/**
 * The physics-in-context study ({@code interp physics}): does a model that forecasts physical trajectories in
 * context represent their energy?
 *
 * <p>{@link org.mechinterp.examples.physics.study.PhysicsStudy} runs every stage and writes {@code results.json}
 * ({@link org.mechinterp.examples.physics.study.StudyResults}) and a self-contained {@code report.html}
 * ({@link org.mechinterp.examples.physics.study.StudyReport}). Each stage is usable on its own, e.g. from JShell:
 * <ul>
 *   <li>{@link org.mechinterp.examples.physics.study.EncodedTrajectory}: a trajectory serialised, tokenised and
 *   aligned; quantities are read at the token closing each time step;</li>
 *   <li>{@link org.mechinterp.examples.physics.study.ForecastEvaluation}: Hierarchy-PDF forecasts vs context length
 *   with context parroting, repeat-last, the quantisation floor, Bhattacharyya distances for stochastic systems and
 *   a {@link org.mechinterp.sae.analysis.PowerLawFit};</li>
 *   <li>{@link org.mechinterp.sae.analysis.FeatureCorrelation}: discovery/held-out selection of the best
 *   feature per family, trajectory-permutation nulls and Benjamini–Hochberg FDR
 *   ({@link org.mechinterp.sae.analysis.Stats});</li>
 *   <li>{@link org.mechinterp.sae.analysis.Baselines}: raw dimensions, PCA, random directions;</li>
 *   <li>{@link org.mechinterp.sae.analysis.ProbeRegression}: the ridge linear-probe upper bound;</li>
 *   <li>{@link org.mechinterp.examples.physics.study.ScopeAnalysis}: Temperature and Fisher Jacobian Scopes at
 *   forecast positions, per earlier time step.</li>
 * </ul>
 * The statistics (feature matrices, correlation with nulls and FDR, baselines, probes, power-law fits) are the
 * generic ones of {@code org.mechinterp.sae.analysis}; this package supplies the physics data and the report.
 */
package org.mechinterp.examples.physics.study;
