package org.mechinterp.examples.physics.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.mechinterp.core.train.SequenceSource;
import org.mechinterp.core.train.TrainingSequence;
import org.mechinterp.examples.physics.PhysicalSystem;
import org.mechinterp.examples.physics.SystemBuilder;
import org.mechinterp.examples.physics.Systems;
import org.mechinterp.examples.physics.Trajectory;
import org.mechinterp.examples.physics.prompt.IntegerGrid;
import org.mechinterp.examples.physics.prompt.Scaling;
import org.mechinterp.examples.physics.prompt.SerializedSeries;

/**
 * How training sequences for the physics model are made: pick a system (by weight), draw its parameters and
 * initial conditions at random (so the dynamics must be inferred in context), simulate, serialise, tokenise.
 *
 * <p><b>Format</b> ({@link IntegerGrid}, Bao et al. 2025): each value becomes an integer code written with exactly
 * three digits, {@code ","} between the components of one time step and {@code ";"} closing every step, e.g. the
 * two-mass state {@code (x1, x2)} is {@code "612,431;"} (8 tokens), a one-component state {@code "503;"} (4 tokens).
 * A sequence is {@code <bos>} followed by the series, cut after {@link #contextTokens()} + 1 tokens (so the last
 * value may be cut mid-number; every target is a valid next character).
 *
 * <p><b>Scaling</b>: {@link ScalingChoice#FIXED} (default) maps a fixed physical window {@code [−a, a]} per system
 * onto codes {@code [150, 850]} for every trajectory, i.e. {@code code = round(500 + 350·x/a)}: the amplitude in
 * codes is proportional to the physical amplitude, so the model has to infer amplitude (energy) from the context.
 * Trajectories with a value outside the writable codes {@code [0, 999]} ({@code |x| > 1.42 a}) are redrawn (rare; the
 * number is recorded per example). {@link ScalingChoice#WINDOW} instead min–max scales each serialised window to
 * {@code [150, 850]} with one window for all components (the published protocol; amplitude then carries no absolute
 * information).
 *
 * <p><b>Masses are 1 kg</b> in every built-in recipe. Only positions (angles) are written, and scaling all masses and
 * springs by one factor leaves them unchanged while scaling the energy: with random masses E would not be a function
 * of the text. With unit masses it is, and for the mass–spring system the mean squared velocity over a trajectory
 * equals E (virial theorem), so E is the trajectory's "typical step size" squared.
 *
 * <p><b>Systems</b> (built-in recipes; parameter ranges are the simulators' defaults unless stated):
 * <ul>
 *   <li>{@code mass-spring} ({@link org.mechinterp.examples.physics.CoupledMassSpring}): dt 0.4 s, a = 2.5 m;
 *   <li>{@code pendulums} ({@link org.mechinterp.examples.physics.CoupledPendulums}): dt 0.15 s, a = 1.5 rad;
 *   <li>{@code harmonic} ({@link org.mechinterp.examples.physics.HarmonicOscillator}): dt 0.4 s, a = 2.5 m;
 *   <li>{@code damped} ({@link org.mechinterp.examples.physics.DampedOscillator}): dt 0.4 s, damping c in
 *       [0.01, 0.1] kg/s, a = 2.5 m;
 *   <li>{@code ou} ({@link org.mechinterp.examples.physics.OrnsteinUhlenbeck}): dt 0.1, noise sigma in [0.1, 1.5]
 *       (a 15-fold range of step sizes the model must estimate in context), a = 2.5.
 * </ul>
 * The dt values put 7–30 steps in a period, so a 384-token context holds several periods.
 *
 * <p><b>Loss groups</b>: 0 = digit targets, 1 = separator targets; the BOS token is never a target.
 * Immutable and thread-safe; all randomness comes from the caller's generator.
 */
public final class PhysicsDataRecipe {
    /** Loss group names, index = group id of {@link TrainingSequence}. */
    public static final List<String> GROUPS = List.of("digit", "separator");

    /** How physical values are mapped to codes. */
    public enum ScalingChoice {
        /** A fixed physical window {@code [−a, a]} per system onto codes {@code [150, 850]}; amplitude is kept. */
        FIXED,
        /** Min–max of each serialised window (all components together) onto {@code [150, 850]}. */
        WINDOW
    }

    /** Settings of one system in the mix. */
    public record SystemRecipe(String name, double dt, double window, Map<String, double[]> ranges) {
        /**
         * Copies the ranges.
         *
         * @param name system name as in {@code Systems.builder(name)}, e.g. {@code "mass-spring"}
         * @param dt time between reported states, in the system's time unit
         * @param window half-width a of the fixed scaling window {@code [−a, a]}, in the components' unit
         * @param ranges parameter key → {@code {lo, hi}} overriding the simulator's default range; copied
         */
        public SystemRecipe {
            Objects.requireNonNull(name, "name");
            ranges = Map.copyOf(ranges);
        }
    }

    private static final Map<String, SystemRecipe> BUILT_IN = new LinkedHashMap<>();

    static {
        double[] unit = {1, 1};
        BUILT_IN.put("mass-spring", new SystemRecipe("mass-spring", 0.4, 2.5, Map.of("m1", unit, "m2", unit)));
        BUILT_IN.put("pendulums", new SystemRecipe("pendulums", 0.15, 1.5, Map.of("m1", unit, "m2", unit)));
        BUILT_IN.put("harmonic", new SystemRecipe("harmonic", 0.4, 2.5, Map.of("m", unit)));
        BUILT_IN.put("damped", new SystemRecipe("damped", 0.4, 2.5, Map.of("m", unit,
                "c", new double[] {0.01, 0.1})));
        BUILT_IN.put("ou", new SystemRecipe("ou", 0.1, 2.5, Map.of("sigma", new double[] {0.1, 1.5})));
    }

    /** Default mix: mass-spring 0.5, pendulums 0.2, harmonic 0.15, damped 0.15. */
    public static final Map<String, Double> DEFAULT_MIX = defaultMix();

    private static Map<String, Double> defaultMix() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("mass-spring", 0.5);
        m.put("pendulums", 0.2);
        m.put("harmonic", 0.15);
        m.put("damped", 0.15);
        return java.util.Collections.unmodifiableMap(m);
    }

    private static final int MAX_REDRAWS = 1000;

    private final IntegerGrid format = IntegerGrid.builder().build();
    private final int contextTokens;
    private final ScalingChoice scaling;
    private final List<String> names;
    private final double[] cumulative;
    private final Map<String, Double> weights;
    private final Map<String, PhysicalSystem> systems = new LinkedHashMap<>();

    private PhysicsDataRecipe(Builder b) {
        this.contextTokens = b.contextTokens;
        this.scaling = b.scaling;
        this.weights = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.mix));
        this.names = List.copyOf(b.mix.keySet());
        this.cumulative = new double[names.size()];
        double total = 0;
        for (double w : b.mix.values()) {
            total += w;
        }
        double acc = 0;
        for (int i = 0; i < names.size(); i++) {
            acc += b.mix.get(names.get(i)) / total;
            cumulative[i] = acc;
        }
        cumulative[cumulative.length - 1] = 1.0;
        // every built-in system, not only the mix: a study may draw any of them exactly as training would
        for (SystemRecipe r : BUILT_IN.values()) {
            systems.put(r.name(), build(r));
        }
    }

    private static PhysicalSystem build(SystemRecipe r) {
        SystemBuilder<? extends PhysicalSystem> b = Systems.builder(r.name()).optDt(r.dt());
        for (Map.Entry<String, double[]> e : r.ranges().entrySet()) {
            b.opt(e.getKey(), e.getValue()[0], e.getValue()[1]);
        }
        return b.build();
    }

    /**
     * Starts a recipe.
     *
     * @return a new builder with the defaults: 384-token context, fixed scaling, {@link #DEFAULT_MIX}
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The systems that can appear in a mix.
     *
     * @return names of the systems with a built-in recipe, in a fixed order
     */
    public static List<String> supportedSystems() {
        return List.copyOf(BUILT_IN.keySet());
    }

    /**
     * The built-in settings of one system.
     *
     * @param name a name from {@link #supportedSystems()}
     * @return its dt, scaling window and parameter ranges
     * @throws IllegalArgumentException naming the system and listing the supported ones if it has no recipe
     */
    public static SystemRecipe systemRecipe(String name) {
        SystemRecipe r = BUILT_IN.get(name);
        if (r == null) {
            throw new IllegalArgumentException("no training recipe for system '" + name + "'; supported: "
                    + supportedSystems());
        }
        return r;
    }

    /**
     * The context length.
     *
     * @return model inputs per sequence T (a sequence holds T + 1 tokens)
     */
    public int contextTokens() {
        return contextTokens;
    }

    /**
     * How values are mapped to codes.
     *
     * @return the scaling choice of this recipe
     */
    public ScalingChoice scaling() {
        return scaling;
    }

    /**
     * How codes are written as text.
     *
     * @return the three-digit integer-code format, codes {@code [0, 999]}
     */
    public IntegerGrid format() {
        return format;
    }

    /**
     * The system mix.
     *
     * @return system name → relative weight, as given (not normalised), in insertion order
     */
    public Map<String, Double> mix() {
        return weights;
    }

    /**
     * The simulator of a supported system (in the mix or not), with its recipe settings.
     *
     * @param name a name from {@link #supportedSystems()}
     * @return the system built with the recipe's dt and parameter ranges
     * @throws IllegalArgumentException naming the system if it has no recipe
     */
    public PhysicalSystem system(String name) {
        PhysicalSystem s = systems.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no training recipe for system '" + name + "'; supported: "
                    + supportedSystems());
        }
        return s;
    }

    /**
     * Tokens per time step: 3 digits + 1 separator for each component.
     *
     * @param components number of state components written per step
     * @return {@code 4 * components}
     */
    public static int tokensPerStep(int components) {
        return 4 * components;
    }

    /**
     * Time steps simulated per sequence so that the serialised text covers T + 1 tokens (BOS included).
     *
     * @param system the system whose component count sets the tokens per step
     * @return {@code T / tokensPerStep(d) + 1} steps
     */
    public int stepsFor(PhysicalSystem system) {
        return contextTokens / tokensPerStep(system.components().size()) + 1;
    }

    /** One drawn sequence with what it was made from. */
    public record Example(String system, Trajectory trajectory, SerializedSeries series, TrainingSequence sequence,
            int redraws) {}

    /**
     * Draws a system by weight, then an example of it.
     *
     * @param rng source of all randomness; advanced by one draw plus one split per attempt
     * @return the example: system, trajectory, serialised series, training sequence and redraw count
     */
    public Example sample(SplittableRandom rng) {
        double u = rng.nextDouble();
        int i = 0;
        while (i < cumulative.length - 1 && u >= cumulative[i]) {
            i++;
        }
        return sample(names.get(i), rng);
    }

    /**
     * An example of one system: parameters and initial conditions from {@code rng.split()} (redrawn while a value
     * cannot be written), serialised from step 0.
     *
     * @param name a supported system name
     * @param rng source of randomness; split once per attempted trajectory
     * @return the example with the number of redrawn trajectories
     * @throws IllegalStateException if no writable trajectory is found within the redraw limit
     */
    public Example sample(String name, SplittableRandom rng) {
        PhysicalSystem system = system(name);
        int steps = stepsFor(system);
        for (int redraws = 0; redraws <= MAX_REDRAWS; redraws++) {
            Trajectory t = system.simulate(steps, rng.split());
            SerializedSeries series;
            try {
                series = serialize(name, t.states());
            } catch (IllegalArgumentException outOfWindow) {
                continue; // a value beyond the writable codes: draw another trajectory
            }
            return new Example(name, t, series, sequence(series.text()), redraws);
        }
        throw new IllegalStateException("no writable trajectory of " + name + " in " + MAX_REDRAWS
                + " draws: its window is too narrow");
    }

    /**
     * Serialises states of a system of the mix with this recipe's scaling (fixed window, or fitted to
     * {@code states}).
     *
     * @param name the system's name (selects its fixed window)
     * @param states [steps][components] physical values; not modified
     * @return the text and per-character alignment, starting at step 0
     * @throws IllegalArgumentException if a value cannot be written
     */
    public SerializedSeries serialize(String name, double[][] states) {
        return format.serialize(states, scalingFor(name, states), 0);
    }

    /**
     * The scaling this recipe uses for {@code states} of system {@code name}.
     *
     * @param name the system's name; its window a is used with fixed scaling
     * @param states [steps][components] physical values; only read to fit the window scaling
     * @return per-component map from {@code [−a, a]} (fixed) or the data's min–max (window) onto the format's codes
     */
    public Scaling scalingFor(String name, double[][] states) {
        if (scaling == ScalingChoice.WINDOW) {
            return format.fitScaling(states);
        }
        double a = systemRecipe(name).window();
        int d = states[0].length;
        double[] lo = new double[d];
        double[] hi = new double[d];
        Arrays.fill(lo, -a);
        Arrays.fill(hi, a);
        return Scaling.of(lo, hi, format.lo(), format.hi());
    }

    /** BOS + the text, cut to T + 1 tokens, with digit (0) / separator (1) target groups. */
    TrainingSequence sequence(String text) {
        int[] all = DigitVocabulary.encode(text, true);
        if (all.length < contextTokens + 1) {
            throw new IllegalStateException("series of " + all.length + " tokens is shorter than "
                    + (contextTokens + 1));
        }
        int[] tokens = Arrays.copyOf(all, contextTokens + 1);
        int[] groups = new int[contextTokens];
        for (int j = 0; j < contextTokens; j++) {
            groups[j] = DigitVocabulary.isDigit(tokens[j + 1]) ? 0 : 1;
        }
        return new TrainingSequence(tokens, groups);
    }

    /**
     * This recipe as a source of training sequences.
     *
     * @return a source drawing {@link #sample(SplittableRandom)} and keeping its sequence
     */
    public SequenceSource source() {
        return rng -> sample(rng).sequence();
    }

    /**
     * A reproducible held-out set.
     *
     * @param n number of sequences
     * @param seed seed of the root generator; sequence i comes from its i-th split
     * @return {@code n} sequences of T + 1 tokens each
     */
    public List<TrainingSequence> heldOut(int n, long seed) {
        SplittableRandom root = new SplittableRandom(seed);
        List<TrainingSequence> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(sample(root.split()).sequence());
        }
        return out;
    }

    /**
     * Everything that defines the data, for provenance.
     *
     * @return a new JSON object: format, scaling rule, context, and per system its weight, dt, window and ranges
     */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("format", "IntegerGrid: 3-digit integer codes, ',' between components, ';' closing each step");
        o.addProperty("code_range", "[" + format.lo() + ", " + format.hi() + "]");
        o.addProperty("scaling", scaling.name().toLowerCase(Locale.ROOT));
        o.addProperty("scaling_rule", scaling == ScalingChoice.FIXED
                ? "code = round(500 + 350 * x / a) with a fixed per system; trajectories with a code outside "
                        + "[0, 999] are redrawn"
                : "min-max of each serialised window (all components together) onto [150, 850]");
        o.addProperty("context_tokens", contextTokens);
        o.addProperty("sequence", "<bos> + series text, cut to context_tokens + 1 tokens; every target counts");
        o.addProperty("parameters", "drawn uniformly per sequence from the ranges below (random dynamics, "
                + "amplitude and phase per sequence)");
        JsonArray arr = new JsonArray();
        for (String name : names) {
            SystemRecipe r = BUILT_IN.get(name);
            PhysicalSystem s = systems.get(name);
            JsonObject j = new JsonObject();
            j.addProperty("system", name);
            j.addProperty("weight", weights.get(name));
            j.addProperty("dt", r.dt());
            j.addProperty("substeps", s.config().substeps());
            if (scaling == ScalingChoice.FIXED) {
                j.addProperty("window_a", r.window());
            }
            j.addProperty("components", String.join(",", s.components()));
            j.addProperty("steps_per_sequence", stepsFor(s));
            JsonObject ranges = new JsonObject();
            s.config().ranges().forEach((k, v) -> ranges.addProperty(k, v.toString()));
            j.add("ranges", ranges);
            arr.add(j);
        }
        o.add("systems", arr);
        return o;
    }

    /** Builder; all settings optional. */
    public static final class Builder {
        private int contextTokens = 384;
        private ScalingChoice scaling = ScalingChoice.FIXED;
        private Map<String, Double> mix = DEFAULT_MIX;

        private Builder() {}

        /**
         * Sets the context length.
         *
         * @param v model inputs per sequence T (default 384); must hold at least two time steps
         * @return this builder
         */
        public Builder optContextTokens(int v) {
            contextTokens = v;
            return this;
        }

        /**
         * Sets the scaling.
         *
         * @param v value-to-code mapping (default {@link ScalingChoice#FIXED})
         * @return this builder
         */
        public Builder optScaling(ScalingChoice v) {
            scaling = Objects.requireNonNull(v, "scaling");
            return this;
        }

        /**
         * Sets the system mix.
         *
         * @param v system name → relative positive weight (default {@link #DEFAULT_MIX}); copied, insertion
         *     order kept
         * @return this builder
         */
        public Builder optMix(Map<String, Double> v) {
            mix = new LinkedHashMap<>(v);
            return this;
        }

        /**
         * Validates the settings and builds the simulators.
         *
         * @return the recipe
         * @throws IllegalArgumentException for an unsupported system, a non-positive weight, an empty mix or a
         *     context shorter than two time steps
         */
        public PhysicsDataRecipe build() {
            if (mix.isEmpty()) {
                throw new IllegalArgumentException("the system mix is empty");
            }
            for (Map.Entry<String, Double> e : mix.entrySet()) {
                systemRecipe(e.getKey());
                if (!(e.getValue() > 0) || !Double.isFinite(e.getValue())) {
                    throw new IllegalArgumentException("weight of system '" + e.getKey()
                            + "' must be a positive number, got " + e.getValue());
                }
            }
            if (contextTokens < 16) {
                throw new IllegalArgumentException("context must be at least 16 tokens, got " + contextTokens);
            }
            return new PhysicsDataRecipe(this);
        }
    }
}
