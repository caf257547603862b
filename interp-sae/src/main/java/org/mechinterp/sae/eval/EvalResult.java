package org.mechinterp.sae.eval;

import com.google.gson.JsonObject;

/**
 * Reconstruction metrics of an SAE over N evaluation rows (d features, n latents).
 *
 * @param tokens N
 * @param l0 mean number of active latents per row
 * @param mse mean squared error per element, Σ‖x − x̂‖² / (N·d)
 * @param fvu fraction of variance unexplained, Σ‖x − x̂‖² / Σ‖x − x̄‖² (centred on the mean row x̄)
 * @param cosine mean over rows of cos(x, x̂) (rows with ‖x‖ or ‖x̂‖ = 0 count as 0)
 * @param shrinkage mean over rows of ‖x̂‖ / ‖x‖ (rows with ‖x‖ = 0 skipped)
 * @param deadFraction fraction of latents that never fired on the N rows
 * @param denseFraction fraction of latents that fired on more than 10% of the rows
 * @param density per latent, the fraction of rows on which it fired [n]
 */
public record EvalResult(long tokens, double l0, double mse, double fvu, double cosine, double shrinkage,
        double deadFraction, double denseFraction, double[] density) {

    /**
     * 1 − FVU.
     *
     * @return the fraction of variance explained, 1 − FVU (may be negative)
     */
    public double explainedVariance() {
        return 1 - fvu;
    }

    /**
     * log10(density + 1e-10) per latent, as SAELens stores it in {@code sparsity.safetensors}.
     *
     * @return a new array [n] of log10(density_i + 1e-10)
     */
    public float[] log10Density() {
        float[] out = new float[density.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) Math.log10(density[i] + 1e-10);
        }
        return out;
    }

    /**
     * The scalar metrics as JSON (field names of the {@code sae eval --json} contract).
     *
     * @return a new JSON object of the scalar metrics (no per-latent arrays)
     */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("tokens", tokens);
        o.addProperty("l0", l0);
        o.addProperty("mse", mse);
        o.addProperty("fvu", fvu);
        o.addProperty("explained_variance", explainedVariance());
        o.addProperty("cosine", cosine);
        o.addProperty("shrinkage", shrinkage);
        o.addProperty("dead_fraction", deadFraction);
        o.addProperty("dense_fraction", denseFraction);
        return o;
    }
}
