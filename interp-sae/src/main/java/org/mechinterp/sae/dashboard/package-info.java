/**
 * Feature dashboards: {@link org.mechinterp.sae.dashboard.LatentStatsCapture} streams a corpus through a model and
 * an SAE into a {@link org.mechinterp.sae.dashboard.LatentStatsAccumulator} (bounded memory, exactly mergeable),
 * and {@link org.mechinterp.sae.dashboard.DashboardWriter} writes a self-contained HTML page and a JSON file per
 * latent from its {@link org.mechinterp.sae.dashboard.LatentSummary summaries}.
 */
package org.mechinterp.sae.dashboard;
