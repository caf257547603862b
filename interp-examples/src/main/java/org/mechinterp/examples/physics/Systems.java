package org.mechinterp.examples.physics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Registry of the built-in systems by name: {@code mass-spring} ({@link CoupledMassSpring}), {@code pendulums}
 * ({@link CoupledPendulums}), {@code harmonic} ({@link HarmonicOscillator}), {@code damped}
 * ({@link DampedOscillator}), {@code lorenz} ({@link Lorenz}), {@code logistic} ({@link LogisticMap}),
 * {@code brownian} ({@link BrownianMotion}) and {@code ou} ({@link OrnsteinUhlenbeck}).
 */
public final class Systems {

    private static final Map<String, Supplier<SystemBuilder<? extends PhysicalSystem>>> BUILDERS;

    static {
        Map<String, Supplier<SystemBuilder<? extends PhysicalSystem>>> m = new LinkedHashMap<>();
        m.put(CoupledMassSpring.NAME, CoupledMassSpring::builder);
        m.put(CoupledPendulums.NAME, CoupledPendulums::builder);
        m.put(HarmonicOscillator.NAME, HarmonicOscillator::builder);
        m.put(DampedOscillator.NAME, DampedOscillator::builder);
        m.put(Lorenz.NAME, Lorenz::builder);
        m.put(LogisticMap.NAME, LogisticMap::builder);
        m.put(BrownianMotion.NAME, BrownianMotion::builder);
        m.put(OrnsteinUhlenbeck.NAME, OrnsteinUhlenbeck::builder);
        BUILDERS = m;
    }

    private Systems() {
    }

    /** @return the registered names, in a fixed order */
    public static List<String> names() {
        return List.copyOf(BUILDERS.keySet());
    }

    /**
     * @param name a registered name
     * @return a builder with that system's defaults
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static SystemBuilder<? extends PhysicalSystem> builder(String name) {
        Objects.requireNonNull(name, "name");
        Supplier<SystemBuilder<? extends PhysicalSystem>> b = BUILDERS.get(name);
        if (b == null) {
            throw new IllegalArgumentException("unknown physical system '" + name + "'; known: " + names());
        }
        return b.get();
    }

    /**
     * @param name a registered name
     * @return that system with its default ranges and time stepping
     * @throws IllegalArgumentException for an unknown name
     */
    public static PhysicalSystem create(String name) {
        return builder(name).build();
    }

    /**
     * Simulates {@code n} independent trajectories, trajectory {@code i} from the {@code i}-th split of a
     * generator seeded with {@code seed}: reproducible, and the first {@code k} trajectories do not depend on
     * {@code n}.
     *
     * @param system the system
     * @param n number of trajectories, {@code >= 0}
     * @param steps states per trajectory
     * @param seed the seed
     * @return the trajectories
     */
    public static List<Trajectory> sample(PhysicalSystem system, int n, int steps, long seed) {
        Objects.requireNonNull(system, "system");
        if (n < 0) {
            throw new IllegalArgumentException("number of trajectories must be >= 0, got " + n);
        }
        SplittableRandom root = new SplittableRandom(seed);
        List<Trajectory> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(system.simulate(steps, root.split()));
        }
        return out;
    }
}
