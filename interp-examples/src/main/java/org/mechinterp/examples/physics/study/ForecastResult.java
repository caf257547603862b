package org.mechinterp.examples.physics.study;

import org.mechinterp.sae.analysis.PowerLawFit;

/**
 * Forecasting error against context length (see {@link ForecastEvaluation} for the method and units). All arrays
 * are indexed like {@link #contexts()}; {@code *Lo}/{@code *Hi} are 95% bootstrap intervals over trajectories.
 *
 * @param contexts context lengths in time steps
 * @param trajectories number of held-out trajectories averaged
 * @param modelRmse RMSE of the model's decoded mean (rescaled units)
 * @param modelLo lower interval end
 * @param modelHi upper interval end
 * @param parrotRmse context parroting
 * @param parrotLo lower interval end
 * @param parrotHi upper interval end
 * @param lastRmse repeat-last-value
 * @param lastLo lower interval end
 * @param lastHi upper interval end
 * @param floorRmse quantisation floor (the true value's bin centre)
 * @param bhattacharyya mean Bhattacharyya distance to the true next-value density (stochastic systems), else null
 * @param digitMass mean full-vocabulary probability the model put on digit tokens at digit positions
 * @param fit power law fitted to the model's RMSE
 * @param parrotFit power law fitted to parroting's RMSE (null when some parroting error is exactly 0)
 * @param motif parroting motif length
 */
public record ForecastResult(int[] contexts, int trajectories, double[] modelRmse, double[] modelLo,
        double[] modelHi, double[] parrotRmse, double[] parrotLo, double[] parrotHi, double[] lastRmse,
        double[] lastLo, double[] lastHi, double[] floorRmse, double[] bhattacharyya, double digitMass,
        PowerLawFit fit, PowerLawFit parrotFit, int motif) {

    /** @return the fitted exponent of the model's error (the in-context scaling law) */
    public double exponent() {
        return fit.exponent();
    }
}
