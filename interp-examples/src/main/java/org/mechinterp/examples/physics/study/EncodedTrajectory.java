package org.mechinterp.examples.physics.study;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.examples.physics.Trajectory;
import org.mechinterp.examples.physics.prompt.Scaling;
import org.mechinterp.examples.physics.prompt.SeriesFormat;
import org.mechinterp.examples.physics.prompt.SerializedSeries;
import org.mechinterp.examples.physics.prompt.TokenAlignment;

/**
 * One trajectory as the model reads it: serialised (with a scaling fitted to the trajectory or one shared by a data
 * set), tokenised with the tokenizer's special tokens (BOS), and aligned token ↔ time step.
 *
 * <p><b>Read-out token.</b> The physical quantities of time step {@code s} are read at
 * {@link TokenAlignment#closingToken(int) the token closing step s} (its step separator), where the model has
 * read every component of the step and nothing of the next. {@link #readout()} lists these token indices.
 *
 * @param index position of the trajectory in its set (discovery or held-out numbering)
 * @param trajectory the simulated trajectory (states and per-step quantities)
 * @param series its serialisation
 * @param alignment tokens ↔ characters ↔ steps
 */
public record EncodedTrajectory(int index, Trajectory trajectory, SerializedSeries series, TokenAlignment alignment) {

    /**
     * Checks that the parts are present.
     *
     * @param index position of the trajectory in its set
     * @param trajectory the simulated trajectory; required
     * @param series its serialisation; required
     * @param alignment tokens ↔ characters ↔ steps of {@code series}; required
     */
    public EncodedTrajectory {
        Objects.requireNonNull(trajectory, "trajectory");
        Objects.requireNonNull(series, "series");
        Objects.requireNonNull(alignment, "alignment");
    }

    /**
     * Serialises the whole trajectory with {@code format} (scaling fitted to it) and tokenises it with BOS.
     *
     * @param index position of the trajectory in its set
     * @param trajectory the simulated trajectory; not modified
     * @param format how values are written as text
     * @param tokenizer the model's tokenizer (must give one token per digit for digit read-outs)
     * @return the trajectory with its text and token alignment
     * @throws IllegalArgumentException if the tokens do not line up with the text (see {@link TokenAlignment})
     */
    public static EncodedTrajectory encode(int index, Trajectory trajectory, SeriesFormat format, Tokenizer tokenizer) {
        SerializedSeries series = format.serialize(trajectory);
        return new EncodedTrajectory(index, trajectory, series, TokenAlignment.encode(tokenizer, "", series, true));
    }

    /**
     * Serialises the whole trajectory with a given scaling (e.g. one fitted on a whole data set, so that amplitudes
     * stay comparable across trajectories) and tokenises it with BOS.
     *
     * @param index position of the trajectory in its set
     * @param trajectory the simulated trajectory; not modified
     * @param format how values are written as text
     * @param scaling the value-to-code map to use instead of fitting one
     * @param tokenizer the model's tokenizer
     * @return the trajectory with its text and token alignment
     * @throws IllegalArgumentException if a value falls outside the codes the format can write, or the tokens do
     *     not line up with the text
     */
    public static EncodedTrajectory encode(int index, Trajectory trajectory, SeriesFormat format, Scaling scaling,
            Tokenizer tokenizer) {
        SerializedSeries series = format.serialize(trajectory.states(), scaling, 0);
        return new EncodedTrajectory(index, trajectory, series, TokenAlignment.encode(tokenizer, "", series, true));
    }

    /**
     * Encodes a list, numbering from 0.
     *
     * @param trajectories the simulated trajectories; not modified
     * @param format how values are written as text
     * @param scaling one scaling for all, or null to fit one per trajectory
     * @param tokenizer the model's tokenizer
     * @return one encoded trajectory per input, in order, with {@code index} = its position
     */
    public static List<EncodedTrajectory> encodeAll(List<Trajectory> trajectories, SeriesFormat format,
            Scaling scaling, Tokenizer tokenizer) {
        List<EncodedTrajectory> out = new ArrayList<>(trajectories.size());
        for (int i = 0; i < trajectories.size(); i++) {
            out.add(scaling == null ? encode(i, trajectories.get(i), format, tokenizer)
                    : encode(i, trajectories.get(i), format, scaling, tokenizer));
        }
        return out;
    }

    /** @return the token ids (a copy) */
    public int[] ids() {
        return alignment.ids();
    }

    /** @return number of tokens */
    public int length() {
        return alignment.size();
    }

    /** @return number of time steps */
    public int steps() {
        return trajectory.steps();
    }

    /** @return per step, the index of its read-out (closing) token; a new array */
    public int[] readout() {
        int[] r = new int[steps()];
        for (int s = 0; s < r.length; s++) {
            r[s] = alignment.closingToken(s);
        }
        return r;
    }

    /**
     * A copy of {@code t} whose time steps (states and every quantity, together) are shuffled: the same marginal
     * values and the same value ↔ quantity pairing, but no coherent dynamics. For the scrambled-sequence baseline.
     *
     * @param t the trajectory to scramble; not modified
     * @param rng source of the permutation (Fisher–Yates); advanced
     * @return a new trajectory with the steps of {@code t} in a random order
     */
    public static Trajectory scrambled(Trajectory t, SplittableRandom rng) {
        int n = t.steps();
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        double[][] states = t.states();
        double[][] shuffled = new double[n][];
        for (int i = 0; i < n; i++) {
            shuffled[i] = states[perm[i]];
        }
        Trajectory.Builder b = Trajectory.builder().setSystem(t.system() + "-scrambled").setComponents(t.components())
                .setDt(t.dt()).setStates(shuffled).optParameters(t.parameters()).optStochastic(t.stochastic());
        for (String q : t.quantityNames()) {
            double[] v = t.quantity(q);
            double[] s = new double[n];
            for (int i = 0; i < n; i++) {
                s[i] = v[perm[i]];
            }
            b.optQuantity(q, s);
        }
        return b.build();
    }

    @Override
    public String toString() {
        return "EncodedTrajectory[" + index + ", " + steps() + " steps, " + length() + " tokens, readout "
                + Arrays.toString(Arrays.copyOf(readout(), Math.min(3, steps()))) + "...]";
    }
}
