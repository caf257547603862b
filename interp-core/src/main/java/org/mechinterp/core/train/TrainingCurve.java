package org.mechinterp.core.train;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The record of a training run: every step's {@link StepStats} and every {@link EvalResult}, in order. Written as
 * JSON ({@code {"steps": [{"step", "lr", "loss", "grad_norm", "seconds"}...], "evals": [{"step", "loss",
 * "group_loss": {...}, "group_count": {...}}...]}}); losses in nats per target token. Mutable (appended to by the
 * trainer); the lists returned are read-only views.
 */
public final class TrainingCurve {
    private final List<StepStats> steps = new ArrayList<>();
    private final List<EvalResult> evals = new ArrayList<>();

    void add(StepStats s) {
        steps.add(s);
    }

    void add(EvalResult e) {
        evals.add(e);
    }

    /**
     * The number of steps.
     *
     * @return the number of steps
     */
    public List<StepStats> steps() {
        return Collections.unmodifiableList(steps);
    }

    /**
     * The held-out evaluations recorded so far.
     *
     * @return the evaluations, oldest first (unmodifiable)
     */
    public List<EvalResult> evals() {
        return Collections.unmodifiableList(evals);
    }

    /**
     * Mean training loss over the last {@code n} steps (fewer if fewer were run); NaN before the first step.
     *
     * @param n the count
     * @return mean training loss over the last {@code n} steps (fewer if fewer were run); NaN before the first step
     */
    public double recentTrainLoss(int n) {
        if (steps.isEmpty()) {
            return Double.NaN;
        }
        int from = Math.max(0, steps.size() - n);
        double s = 0;
        for (int i = from; i < steps.size(); i++) {
            s += steps.get(i).loss();
        }
        return s / (steps.size() - from);
    }

    /**
     * This object as JSON.
     *
     * @return this object as JSON
     */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        JsonArray st = new JsonArray();
        for (StepStats s : steps) {
            JsonObject j = new JsonObject();
            j.addProperty("step", s.step());
            j.addProperty("lr", s.learningRate());
            j.addProperty("loss", s.loss());
            j.addProperty("grad_norm", s.gradNorm());
            j.addProperty("seconds", s.seconds());
            st.add(j);
        }
        JsonArray ev = new JsonArray();
        for (EvalResult e : evals) {
            JsonObject j = new JsonObject();
            j.addProperty("step", e.step());
            j.addProperty("loss", e.loss());
            JsonObject g = new JsonObject();
            for (Map.Entry<String, Double> x : e.groupLoss().entrySet()) {
                g.addProperty(x.getKey(), x.getValue());
            }
            j.add("group_loss", g);
            JsonObject c = new JsonObject();
            for (Map.Entry<String, Long> x : e.groupCount().entrySet()) {
                c.addProperty(x.getKey(), x.getValue());
            }
            j.add("group_count", c);
            ev.add(j);
        }
        o.addProperty("loss_unit", "nats per target token");
        o.add("steps", st);
        o.add("evals", ev);
        return o;
    }

    /**
     * Writes {@link #toJson()} to {@code file} atomically (temporary sibling, then an atomic rename).
     *
     * @param file the file
     * @throws IOException if a file cannot be read or written
     */
    public void write(Path file) throws IOException {
        writeAtomically(file, new GsonBuilder().setPrettyPrinting().create().toJson(toJson()));
    }

    static void writeAtomically(Path file, String text) throws IOException {
        org.mechinterp.core.io.AtomicFile.writeString(file, text);   // mode by umask, named errors
    }
}
