package org.mechinterp.examples.physics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The sampling and integration settings of a {@link PhysicalSystem}, made by a {@link SystemBuilder}: the range
 * each parameter and initial condition is drawn from, the output time step {@code dt} (time between reported
 * states), the number of integrator substeps per output step (inner step {@code dt / substeps}) and the number
 * of leading output steps discarded as burn-in (transients of chaotic systems). Immutable.
 */
public final class SystemConfig {

    private final String system;
    private final List<ParameterSpec> specs;
    private final Map<String, Range> ranges;
    private final double dt;
    private final int substeps;
    private final int burnIn;

    SystemConfig(String system, List<ParameterSpec> specs, Map<String, Range> ranges, double dt, int substeps,
            int burnIn) {
        this.system = system;
        this.specs = List.copyOf(specs);
        this.ranges = Collections.unmodifiableMap(new LinkedHashMap<>(ranges));
        this.dt = dt;
        this.substeps = substeps;
        this.burnIn = burnIn;
    }

    /** @return the system's registry name */
    public String system() {
        return system;
    }

    /** @return the declared parameters, in the system's order */
    public List<ParameterSpec> specs() {
        return specs;
    }

    /** @return parameter name to the range it is drawn from, in declaration order (unmodifiable) */
    public Map<String, Range> ranges() {
        return ranges;
    }

    /** @return time between reported states, in the system's time unit */
    public double dt() {
        return dt;
    }

    /** @return integrator steps per reported step */
    public int substeps() {
        return substeps;
    }

    /** @return reported steps simulated and discarded before the first returned state */
    public int burnIn() {
        return burnIn;
    }

    /** @return the parameter names, in declaration order */
    public List<String> parameterNames() {
        List<String> names = new ArrayList<>(specs.size());
        for (ParameterSpec s : specs) {
            names.add(s.name());
        }
        return names;
    }

    /**
     * Draws every parameter uniformly and independently from its range, in declaration order.
     *
     * @param rng advanced by one draw per non-fixed parameter
     * @return a new modifiable map, name to value, in declaration order
     */
    public LinkedHashMap<String, Double> sample(SplittableRandom rng) {
        LinkedHashMap<String, Double> out = new LinkedHashMap<>();
        for (ParameterSpec s : specs) {
            out.put(s.name(), ranges.get(s.name()).sample(rng));
        }
        return out;
    }

    /**
     * Checks an explicit parameter map and returns its values in declaration order.
     *
     * @param parameters exactly the declared names; not modified
     * @return values in declaration order
     * @throws IllegalArgumentException naming a missing or unknown parameter, or a value outside its domain
     */
    public double[] values(Map<String, Double> parameters) {
        for (String name : parameters.keySet()) {
            if (!ranges.containsKey(name)) {
                throw new IllegalArgumentException("unknown parameter '" + name + "' for system " + system
                        + "; known: " + parameterNames());
            }
        }
        double[] v = new double[specs.size()];
        for (int i = 0; i < v.length; i++) {
            ParameterSpec s = specs.get(i);
            Double value = parameters.get(s.name());
            if (value == null) {
                throw new IllegalArgumentException("missing parameter '" + s.name() + "' (" + s.description()
                        + ") for system " + system);
            }
            s.check(value);
            v[i] = value;
        }
        return v;
    }

    @Override
    public String toString() {
        return system + ranges + " dt=" + dt + " substeps=" + substeps + " burnIn=" + burnIn;
    }
}
