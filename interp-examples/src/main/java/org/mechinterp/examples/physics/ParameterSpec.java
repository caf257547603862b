package org.mechinterp.examples.physics;

import java.util.Objects;

/**
 * One named parameter or initial condition of a {@link PhysicalSystem}: its meaning and unit, the range it is
 * drawn from by default, and the domain any chosen range or explicit value must lie in (e.g. masses
 * strictly positive).
 *
 * @param name key in parameter maps, e.g. {@code "m1"} or {@code "x1_0"}
 * @param description meaning and unit, e.g. {@code "mass of oscillator 1 (kg)"}
 * @param defaults range drawn from unless the builder overrides it; inside {@code domain}
 * @param domain values the physics accepts
 */
public record ParameterSpec(String name, String description, Range defaults, Range domain) {

    /** Largest finite magnitude used as an "unbounded" domain end. */
    static final double HUGE = 1e300;

    /**
     * Checks the components.
     *
     * @param name key in parameter maps, non-blank
     * @param description meaning and unit, shown by {@code interp physics --list}
     * @param defaults range drawn from by default; both ends must lie in {@code domain}
     * @param domain values the physics accepts (e.g. {@code (0, HUGE]} for a mass)
     * @throws IllegalArgumentException if the name is blank or the defaults leave the domain
     */
    public ParameterSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(defaults, "defaults");
        Objects.requireNonNull(domain, "domain");
        if (name.isBlank()) {
            throw new IllegalArgumentException("blank parameter name");
        }
        if (!domain.contains(defaults.lo()) || !domain.contains(defaults.hi())) {
            throw new IllegalArgumentException("default range " + defaults + " of " + name + " leaves its domain "
                    + domain);
        }
    }

    /** A parameter that must be strictly positive. */
    static ParameterSpec positive(String name, String description, double lo, double hi) {
        return new ParameterSpec(name, description, new Range(lo, hi), new Range(Double.MIN_VALUE, HUGE));
    }

    /** A parameter that may take any finite value. */
    static ParameterSpec any(String name, String description, double lo, double hi) {
        return new ParameterSpec(name, description, new Range(lo, hi), new Range(-HUGE, HUGE));
    }

    /**
     * @param value a candidate value
     * @throws IllegalArgumentException naming the parameter if {@code value} is not finite or outside the domain
     */
    void check(double value) {
        if (!Double.isFinite(value) || !domain.contains(value)) {
            throw new IllegalArgumentException("parameter " + name + " = " + value + " outside its domain "
                    + describeDomain() + " (" + description + ")");
        }
    }

    String describeDomain() {
        if (domain.lo() == Double.MIN_VALUE && domain.hi() == HUGE) {
            return "(0, inf)";
        }
        if (domain.lo() == -HUGE && domain.hi() == HUGE) {
            return "(-inf, inf)";
        }
        return domain.toString();
    }
}
