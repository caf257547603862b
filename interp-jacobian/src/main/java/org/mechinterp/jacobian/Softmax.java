package org.mechinterp.jacobian;

/** Numerically stable softmax and log-softmax in double precision (inputs are not modified). */
public final class Softmax {
    private Softmax() {}

    /**
     * p_i = exp(z_i − max z) / Σ_j exp(z_j − max z).
     *
     * @param logits the logits
     * @return p_i = exp(z_i − max z) / Σ_j exp(z_j − max z)
     */
    public static double[] probabilities(double[] logits) {
        double[] lp = logProbabilities(logits);
        double[] p = new double[lp.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(lp[i]);
        }
        return p;
    }

    /**
     * log p_i = z_i − logsumexp(z).
     *
     * @param logits the logits
     * @return log p_i = z_i − logsumexp(z)
     */
    public static double[] logProbabilities(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double z : logits) {
            max = Math.max(max, z);
        }
        double sum = 0;
        for (double z : logits) {
            sum += Math.exp(z - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = logits[i] - lse;
        }
        return out;
    }

    /**
     * KL(p ‖ q) = Σ p_i (log p_i − log q_i) from log-probabilities.
     *
     * @param logP the log p
     * @param logQ the log q
     * @return KL(p ‖ q) = Σ p_i (log p_i − log q_i) from log-probabilities
     */
    public static double kl(double[] logP, double[] logQ) {
        double kl = 0;
        for (int i = 0; i < logP.length; i++) {
            double p = Math.exp(logP[i]);
            if (p > 0) {
                kl += p * (logP[i] - logQ[i]);
            }
        }
        return Math.max(0, kl);
    }
}
