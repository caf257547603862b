package org.mechinterp.examples.physics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One simulated (or imported) trajectory: {@code steps} states of {@code dimension} components, reported
 * {@code dt} apart starting at time {@code startTime}, with per-step physical quantities (same length as the
 * states; e.g. total energy {@code E}), the parameters it was generated with, and, for Markov systems with
 * Gaussian increments, the exact transition density.
 *
 * <p>Immutable: accessors that return arrays return copies; {@link #value(int, int)} and
 * {@link #quantity(String, int)} read without copying.
 */
public final class Trajectory {

    private final String system;
    private final List<String> components;
    private final double dt;
    private final double startTime;
    private final double[][] states;
    private final LinkedHashMap<String, double[]> quantities;
    private final LinkedHashMap<String, Double> parameters;
    private final boolean stochastic;
    private final GaussianTransition transition;

    private Trajectory(Builder b, double[][] states, LinkedHashMap<String, double[]> quantities) {
        this.system = b.system;
        this.components = List.copyOf(b.components);
        this.dt = b.dt;
        this.startTime = b.startTime;
        this.states = states;
        this.quantities = quantities;
        this.parameters = new LinkedHashMap<>(b.parameters);
        this.stochastic = b.stochastic;
        this.transition = b.transition;
    }

    /** @return a builder for a trajectory from your own data */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the generating system's name */
    public String system() {
        return system;
    }

    /** @return component names, length {@link #dimension()} */
    public List<String> components() {
        return components;
    }

    /** @return number of states */
    public int steps() {
        return states.length;
    }

    /** @return number of components per state */
    public int dimension() {
        return components.size();
    }

    /** @return time between states */
    public double dt() {
        return dt;
    }

    /**
     * Time stamp of one state.
     *
     * @param step state index in {@code [0, steps())}
     * @return time of state {@code step}: {@code startTime + step * dt}
     * @throws IndexOutOfBoundsException if {@code step} is out of range
     */
    public double time(int step) {
        checkStep(step);
        return startTime + step * dt;
    }

    /**
     * One coordinate of one state.
     *
     * @param step state index in {@code [0, steps())}
     * @param c component index in {@code [0, dimension())}, in {@link #components()} order
     * @return component {@code c} of state {@code step}
     * @throws IndexOutOfBoundsException if {@code step} or {@code c} is out of range
     */
    public double value(int step, int c) {
        checkStep(step);
        if (c < 0 || c >= components.size()) {
            throw new IndexOutOfBoundsException("component " + c + " of " + components.size());
        }
        return states[step][c];
    }

    /**
     * One full state.
     *
     * @param step state index in {@code [0, steps())}
     * @return a copy of state {@code step}, [dimension]
     * @throws IndexOutOfBoundsException if {@code step} is out of range
     */
    public double[] state(int step) {
        checkStep(step);
        return states[step].clone();
    }

    /** @return a copy of all states, [steps][dimension] */
    public double[][] states() {
        double[][] out = new double[states.length][];
        for (int i = 0; i < states.length; i++) {
            out[i] = states[i].clone();
        }
        return out;
    }

    /**
     * One coordinate as a time series.
     *
     * @param c component index in {@code [0, dimension())}
     * @return a copy of component {@code c} over time, [steps]
     * @throws IndexOutOfBoundsException if {@code c} is out of range
     */
    public double[] component(int c) {
        double[] out = new double[states.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = value(i, c);
        }
        return out;
    }

    /** @return the quantity names, in the system's order */
    public List<String> quantityNames() {
        return List.copyOf(quantities.keySet());
    }

    /**
     * One derived quantity (e.g. energy) at one step.
     *
     * @param name quantity name, one of {@link #quantityNames()}
     * @param step state index in {@code [0, steps())}
     * @return quantity {@code name} at {@code step}
     * @throws IllegalArgumentException naming an unknown quantity
     */
    public double quantity(String name, int step) {
        checkStep(step);
        return series(name)[step];
    }

    /**
     * One derived quantity as a time series.
     *
     * @param name quantity name, one of {@link #quantityNames()}
     * @return a copy of quantity {@code name} over time, [steps]
     * @throws IllegalArgumentException naming an unknown quantity
     */
    public double[] quantity(String name) {
        return series(name).clone();
    }

    private double[] series(String name) {
        double[] q = quantities.get(name);
        if (q == null) {
            throw new IllegalArgumentException("unknown quantity '" + name + "'; this trajectory has "
                    + quantities.keySet());
        }
        return q;
    }

    /** @return the parameters and initial conditions used (unmodifiable, in the system's order) */
    public Map<String, Double> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /** @return whether the system is stochastic given its parameters */
    public boolean stochastic() {
        return stochastic;
    }

    /** @return the exact one-step transition density, where the system has one */
    public Optional<GaussianTransition> transition() {
        return Optional.ofNullable(transition);
    }

    /**
     * @param from first step kept (inclusive)
     * @param to last step kept (exclusive), {@code from < to <= steps()}
     * @return the sub-trajectory of states and quantities {@code [from, to)}, with start time
     *     {@code time(from)}; parameters (incl. initial conditions of the full run) and transition carried over
     */
    public Trajectory slice(int from, int to) {
        if (from < 0 || to > states.length || from >= to) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of " + states.length + " steps");
        }
        Builder b = builder().setSystem(system).setComponents(components).setDt(dt)
                .optStartTime(startTime + from * dt).optParameters(parameters).optStochastic(stochastic)
                .optTransition(transition);
        double[][] s = new double[to - from][];
        for (int i = from; i < to; i++) {
            s[i - from] = states[i];
        }
        b.states = s;
        for (Map.Entry<String, double[]> e : quantities.entrySet()) {
            b.quantities.put(e.getKey(), java.util.Arrays.copyOfRange(e.getValue(), from, to));
        }
        return new Trajectory(b, s, b.quantities);
    }

    private void checkStep(int step) {
        if (step < 0 || step >= states.length) {
            throw new IndexOutOfBoundsException("step " + step + " of " + states.length);
        }
    }

    @Override
    public String toString() {
        return "Trajectory[" + system + ", " + states.length + " steps x " + components + ", dt=" + dt
                + ", params=" + parameters + "]";
    }

    /** Builder: {@code set*} required, {@code opt*} optional, validated in {@link #build()}. */
    public static final class Builder {
        private String system;
        private List<String> components;
        private double dt = Double.NaN;
        private double startTime = 0;
        private double[][] states;
        private final LinkedHashMap<String, double[]> quantities = new LinkedHashMap<>();
        private final LinkedHashMap<String, Double> parameters = new LinkedHashMap<>();
        private boolean stochastic;
        private GaussianTransition transition;

        private Builder() {
        }

        /**
         * Sets the name of the system that produced the states.
         *
         * @param system system name, e.g. {@code "coupled-oscillators"}; required
         * @return this builder
         */
        public Builder setSystem(String system) {
            this.system = Objects.requireNonNull(system, "system");
            return this;
        }

        /**
         * Sets the state coordinates' names.
         *
         * @param components one name per state coordinate, in state order; copied
         * @return this builder
         */
        public Builder setComponents(List<String> components) {
            this.components = new ArrayList<>(Objects.requireNonNull(components, "components"));
            return this;
        }

        /**
         * Sets the time between consecutive states.
         *
         * @param dt time step in the system's time unit, positive
         * @return this builder
         */
        public Builder setDt(double dt) {
            this.dt = dt;
            return this;
        }

        /**
         * Sets the states.
         *
         * @param states [steps][dimension], each row one state; deep-copied, not modified
         * @return this builder
         */
        public Builder setStates(double[][] states) {
            Objects.requireNonNull(states, "states");
            double[][] s = new double[states.length][];
            for (int i = 0; i < s.length; i++) {
                s[i] = Objects.requireNonNull(states[i], "state " + i).clone();
            }
            this.states = s;
            return this;
        }

        /**
         * Sets the time of the first state (default 0).
         *
         * @param t0 time of state 0, in the system's time unit
         * @return this builder
         */
        public Builder optStartTime(double t0) {
            this.startTime = t0;
            return this;
        }

        /**
         * Adds a derived per-step quantity such as total energy.
         *
         * @param name quantity name; a later call with the same name replaces it
         * @param values one value per state, length = steps; copied
         * @return this builder
         */
        public Builder optQuantity(String name, double[] values) {
            quantities.put(Objects.requireNonNull(name, "name"), values.clone());
            return this;
        }

        /**
         * Records the parameter values the trajectory was simulated with.
         *
         * @param parameters parameter key to value; copied, added to any set before
         * @return this builder
         */
        public Builder optParameters(Map<String, Double> parameters) {
            this.parameters.putAll(parameters);
            return this;
        }

        /**
         * Marks the trajectory as drawn from a stochastic system (default false).
         *
         * @param stochastic whether the system is stochastic
         * @return this builder
         */
        public Builder optStochastic(boolean stochastic) {
            this.stochastic = stochastic;
            return this;
        }

        /**
         * Sets the exact one-step transition density, for likelihood scoring of forecasts.
         *
         * @param transition the Gaussian transition density, or {@code null} when the system has none
         * @return this builder
         */
        public Builder optTransition(GaussianTransition transition) {
            this.transition = transition;
            return this;
        }

        /**
         * @return the trajectory
         * @throws IllegalArgumentException if something required is missing, the states are empty or ragged or
         *     not finite, or a quantity has the wrong length
         */
        public Trajectory build() {
            if (system == null) {
                throw new IllegalArgumentException("system name not set");
            }
            if (components == null || components.isEmpty()) {
                throw new IllegalArgumentException("components not set");
            }
            if (!(dt > 0) || !Double.isFinite(dt)) {
                throw new IllegalArgumentException("dt must be positive and finite, got " + dt);
            }
            if (!Double.isFinite(startTime)) {
                throw new IllegalArgumentException("start time must be finite, got " + startTime);
            }
            if (states == null || states.length == 0) {
                throw new IllegalArgumentException("no states");
            }
            for (int i = 0; i < states.length; i++) {
                if (states[i].length != components.size()) {
                    throw new IllegalArgumentException("state " + i + " has " + states[i].length
                            + " components, expected " + components.size() + " " + components);
                }
                for (int c = 0; c < states[i].length; c++) {
                    if (!Double.isFinite(states[i][c])) {
                        throw new IllegalArgumentException("state " + i + " component " + components.get(c)
                                + " is not finite: " + states[i][c]);
                    }
                }
            }
            for (Map.Entry<String, double[]> e : quantities.entrySet()) {
                if (e.getValue().length != states.length) {
                    throw new IllegalArgumentException("quantity " + e.getKey() + " has " + e.getValue().length
                            + " values for " + states.length + " states");
                }
            }
            return new Trajectory(this, states, new LinkedHashMap<>(quantities));
        }
    }
}
