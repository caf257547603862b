package org.mechinterp.examples.physics;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The logistic map {@code x[n+1] = r x[n] (1 - x[n])}, iterated exactly (one double-precision evaluation per
 * step; {@code dt} only labels time and defaults to 1). Chaotic for most {@code r} in [3.57, 4].
 *
 * <p>Component: {@code x}. Quantity: {@code stretch = ln|r (1 - 2 x)|}, the local expansion rate whose average
 * is the Lyapunov exponent ({@code -inf} at {@code x = 1/2} exactly). Parameters (default ranges): {@code r} in
 * [3.6, 4] (domain (0, 4]), {@code x_0} in [0.05, 0.95] (domain (0, 1)). Default burn-in 100 steps.
 */
public final class LogisticMap extends AbstractSystem {

    /** Registry name. */
    public static final String NAME = "logistic";

    static final List<ParameterSpec> SPECS = List.of(
            new ParameterSpec("r", "growth rate", new Range(3.6, 4), new Range(Double.MIN_VALUE, 4)),
            new ParameterSpec("x_0", "initial value", new Range(0.05, 0.95),
                    new Range(Double.MIN_VALUE, Math.nextDown(1.0))));

    LogisticMap(SystemConfig config) {
        super(config, NAME, List.of("x"), List.of("stretch"), false);
    }

    /** @return a builder with the default ranges; substeps must stay 1 */
    public static SystemBuilder<LogisticMap> builder() {
        return new SystemBuilder<>(NAME, SPECS, 1, 1, 100, false, LogisticMap::new);
    }

    @Override
    void run(double[] p, int total, SplittableRandom noise, double[][] states, double[][] out) {
        double r = p[0];
        double x = p[1];
        for (int t = 0; t < total; t++) {
            if (t > 0) {
                x = r * x * (1 - x);
            }
            states[t][0] = x;
            out[0][t] = Math.log(Math.abs(r * (1 - 2 * x)));
        }
    }
}
