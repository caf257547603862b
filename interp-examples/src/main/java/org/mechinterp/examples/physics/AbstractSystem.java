package org.mechinterp.examples.physics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Shared plumbing of the built-in systems: parameter checking, burn-in and assembling the {@link Trajectory}.
 * A subclass fills {@code total} raw states and quantities starting from its initial condition.
 */
abstract class AbstractSystem implements PhysicalSystem {

    /** The validated dt, substeps, burn-in and parameter ranges this system was built with; read by subclasses. */
    protected final SystemConfig config;
    private final String name;
    private final List<String> components;
    private final List<String> quantities;
    private final boolean stochastic;

    AbstractSystem(SystemConfig config, String name, List<String> components, List<String> quantities,
            boolean stochastic) {
        this.config = Objects.requireNonNull(config, "config");
        this.name = name;
        this.components = List.copyOf(components);
        this.quantities = List.copyOf(quantities);
        this.stochastic = stochastic;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final List<String> components() {
        return components;
    }

    @Override
    public final List<String> quantities() {
        return quantities;
    }

    @Override
    public final boolean stochastic() {
        return stochastic;
    }

    @Override
    public final SystemConfig config() {
        return config;
    }

    @Override
    public final Trajectory simulate(Map<String, Double> parameters, int steps, SplittableRandom noise) {
        Objects.requireNonNull(parameters, "parameters");
        Objects.requireNonNull(noise, "noise");
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        }
        double[] p = config.values(parameters);
        int total = Math.addExact(config.burnIn(), steps);
        double[][] states = new double[total][components.size()];
        double[][] q = new double[quantities.size()][total];
        run(p, total, noise, states, q);
        LinkedHashMap<String, Double> used = new LinkedHashMap<>();
        for (String n : config.parameterNames()) {
            used.put(n, parameters.get(n));
        }
        Trajectory.Builder b = Trajectory.builder().setSystem(name).setComponents(components).setDt(config.dt())
                .setStates(states).optParameters(used).optStochastic(stochastic).optTransition(transition(p));
        for (int i = 0; i < quantities.size(); i++) {
            b.optQuantity(quantities.get(i), q[i]);
        }
        Trajectory full = b.build();
        return config.burnIn() == 0 ? full : full.slice(config.burnIn(), total);
    }

    /**
     * Fills states and quantities for {@code total} reported steps, state 0 being the initial condition.
     *
     * @param p parameter values in declaration order (checked against their domains)
     * @param total number of reported steps including burn-in
     * @param noise generator for stochastic systems
     * @param states [total][components], to fill
     * @param quantities [quantities][total], to fill
     */
    abstract void run(double[] p, int total, SplittableRandom noise, double[][] states, double[][] quantities);

    /** @return the exact transition density for these parameters, or {@code null} where there is none */
    GaussianTransition transition(double[] p) {
        return null;
    }
}
