package org.mechinterp.jacobian.fisher;

/** Validation of probability vectors handed to the Fisher operators. */
final class Probabilities {
    private Probabilities() {}

    static void check(double[] p) {
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            if (!(p[i] >= 0) || Double.isInfinite(p[i])) {
                throw new IllegalArgumentException("probability p[" + i + "] = " + p[i]
                        + " is not a finite non-negative number");
            }
            sum += p[i];
        }
        if (Math.abs(sum - 1) > 1e-6) {
            throw new IllegalArgumentException("probabilities sum to " + sum + ", not 1");
        }
    }
}
