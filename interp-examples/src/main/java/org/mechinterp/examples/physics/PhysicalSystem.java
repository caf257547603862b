package org.mechinterp.examples.physics;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A simulator of one family of dynamical systems whose parameters and initial conditions are drawn per
 * trajectory, so that a model reading the trajectory has to infer them in context.
 *
 * <p>A trajectory has {@code steps} reported states {@code [steps][components]}, spaced {@code config().dt()}
 * apart, each with the physical quantities of that instant (energies etc., see {@link #quantities()}).
 * Implementations are immutable and thread-safe; all randomness comes from the caller's generator.
 */
public interface PhysicalSystem {

    /** @return the registry name, e.g. {@code "mass-spring"} */
    String name();

    /** @return the names of the state components that are reported and serialised, e.g. {@code [x1, x2]} */
    List<String> components();

    /** @return the names of the per-step quantities every trajectory carries, e.g. {@code [E, E1, E2, ...]} */
    List<String> quantities();

    /** @return whether trajectories are random given their parameters (Brownian, Ornstein–Uhlenbeck) */
    boolean stochastic();

    /** @return sampling ranges and time stepping */
    SystemConfig config();

    /**
     * Simulates one trajectory with explicit parameters and initial conditions.
     *
     * @param parameters exactly the names of {@code config().parameterNames()}; not modified
     * @param steps number of reported states, {@code >= 1} (the first is the state after burn-in; without
     *     burn-in it is the initial condition)
     * @param noise source of the noise of stochastic systems (untouched by deterministic ones)
     * @return the trajectory
     * @throws IllegalArgumentException naming a missing, unknown or out-of-domain parameter, or bad {@code steps}
     */
    Trajectory simulate(Map<String, Double> parameters, int steps, SplittableRandom noise);

    /**
     * Draws parameters and initial conditions from {@code config()} and simulates. Reproducible: the same seed
     * gives the same trajectory. The parameters are drawn from {@code rng.split()} and the noise from a second
     * split, so adding noise never changes the parameters.
     *
     * @param steps number of reported states
     * @param rng the caller's generator, advanced by two splits
     * @return the trajectory; {@link Trajectory#parameters()} records what was drawn
     */
    default Trajectory simulate(int steps, SplittableRandom rng) {
        SplittableRandom paramRng = rng.split();
        SplittableRandom noise = rng.split();
        return simulate(config().sample(paramRng), steps, noise);
    }
}
