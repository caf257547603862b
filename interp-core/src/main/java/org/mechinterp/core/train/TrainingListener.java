package org.mechinterp.core.train;

/** Callbacks of {@link CausalLmTrainer#run}, e.g. a progress bar; called on the training thread. */
public interface TrainingListener {
    /**
     * After each step.
     *
     * @param stats the stats
     */
    default void onStep(StepStats stats) {}

    /**
     * After each evaluation.
     *
     * @param result the result
     */
    default void onEval(EvalResult result) {}
}
