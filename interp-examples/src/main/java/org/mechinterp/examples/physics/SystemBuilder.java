package org.mechinterp.examples.physics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Builds a {@link PhysicalSystem} with non-default sampling ranges or time stepping. Obtained from a system's
 * static {@code builder()} or from {@link Systems#builder(String)}; everything is optional (defaults are the
 * documented ones of each system) and validated in {@link #build()}.
 *
 * <pre>{@code
 * CoupledMassSpring sys = CoupledMassSpring.builder().opt("kc", 0.1, 0.3).opt("x2_0", 0.0).optDt(0.1).build();
 * }</pre>
 *
 * @param <T> the system type built
 */
public final class SystemBuilder<T extends PhysicalSystem> {

    private final String system;
    private final List<ParameterSpec> specs;
    private final Function<SystemConfig, T> factory;
    private final Map<String, Range> overrides = new LinkedHashMap<>();
    private double dt;
    private int substeps;
    private int burnIn;
    private final boolean substepsAllowed;

    SystemBuilder(String system, List<ParameterSpec> specs, double dt, int substeps, int burnIn,
            boolean substepsAllowed, Function<SystemConfig, T> factory) {
        this.system = system;
        this.specs = List.copyOf(specs);
        this.dt = dt;
        this.substeps = substeps;
        this.burnIn = burnIn;
        this.substepsAllowed = substepsAllowed;
        this.factory = factory;
    }

    /**
     * Draws parameter {@code name} uniformly from {@code [lo, hi]} instead of its default range.
     *
     * @param name parameter or initial-condition key, e.g. {@code "m1"}; checked against the system in {@link #build()}
     * @param lo lower end (inclusive), in the parameter's unit
     * @param hi upper end (inclusive), {@code >= lo}
     * @return this builder
     */
    public SystemBuilder<T> opt(String name, double lo, double hi) {
        Objects.requireNonNull(name, "name");
        overrides.put(name, new Range(lo, hi));
        return this;
    }

    /**
     * Fixes parameter {@code name} to {@code value}.
     *
     * @param name parameter or initial-condition key; checked against the system in {@link #build()}
     * @param value the fixed value, in the parameter's unit; must lie in its domain
     * @return this builder
     */
    public SystemBuilder<T> opt(String name, double value) {
        return opt(name, value, value);
    }

    /**
     * Sets the time between reported states (default: per system).
     *
     * @param dt time step in the system's time unit; positive and finite (checked in {@link #build()})
     * @return this builder
     */
    public SystemBuilder<T> optDt(double dt) {
        this.dt = dt;
        return this;
    }

    /**
     * Sets the integrator steps per reported step (default: per system; exact maps and exact stochastic updates
     * accept only 1).
     *
     * @param substeps integrator steps per reported step, {@code >= 1}; the integrator step is {@code dt / substeps}
     * @return this builder
     */
    public SystemBuilder<T> optSubsteps(int substeps) {
        this.substeps = substeps;
        return this;
    }

    /**
     * Sets how many reported steps are simulated and discarded before the first returned state.
     *
     * @param burnIn reported steps to discard, {@code >= 0}
     * @return this builder
     */
    public SystemBuilder<T> optBurnIn(int burnIn) {
        this.burnIn = burnIn;
        return this;
    }

    /**
     * @return the system
     * @throws IllegalArgumentException naming an unknown parameter, a range outside a parameter's domain, or a
     *     bad {@code dt}, {@code substeps} or {@code burnIn}
     */
    public T build() {
        if (!(dt > 0) || !Double.isFinite(dt)) {
            throw new IllegalArgumentException("dt must be positive and finite, got " + dt);
        }
        if (substeps < 1) {
            throw new IllegalArgumentException("substeps must be >= 1, got " + substeps);
        }
        if (!substepsAllowed && substeps != 1) {
            throw new IllegalArgumentException("system " + system
                    + " is advanced by an exact update per step: substeps must be 1, got " + substeps);
        }
        if (burnIn < 0) {
            throw new IllegalArgumentException("burnIn must be >= 0, got " + burnIn);
        }
        Map<String, Range> ranges = new LinkedHashMap<>();
        for (ParameterSpec s : specs) {
            ranges.put(s.name(), s.defaults());
        }
        for (Map.Entry<String, Range> e : overrides.entrySet()) {
            ParameterSpec spec = null;
            for (ParameterSpec s : specs) {
                if (s.name().equals(e.getKey())) {
                    spec = s;
                }
            }
            if (spec == null) {
                throw new IllegalArgumentException("unknown parameter '" + e.getKey() + "' for system " + system
                        + "; known: " + ranges.keySet());
            }
            Range r = e.getValue();
            if (!spec.domain().contains(r.lo()) || !spec.domain().contains(r.hi())) {
                throw new IllegalArgumentException("range " + r + " of parameter " + spec.name()
                        + " leaves its domain " + spec.describeDomain() + " (" + spec.description() + ")");
            }
            ranges.put(spec.name(), r);
        }
        return factory.apply(new SystemConfig(system, specs, ranges, dt, substeps, burnIn));
    }
}
