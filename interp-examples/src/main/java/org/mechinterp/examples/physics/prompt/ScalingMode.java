package org.mechinterp.examples.physics.prompt;

/** How a {@link Scaling} is fitted to the values being serialised. */
public enum ScalingMode {
    /**
     * One minimum and maximum over all components: relative amplitudes between components are kept (e.g. which
     * oscillator holds more energy), at the cost of resolution for a component with a small range.
     */
    GLOBAL,
    /** A minimum and maximum per component: every component uses the full code range. */
    PER_COMPONENT
}
