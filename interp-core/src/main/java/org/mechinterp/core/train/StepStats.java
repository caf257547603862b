package org.mechinterp.core.train;

/**
 * What one training step did.
 *
 * @param step 0-based step index
 * @param learningRate rate used
 * @param loss mean next-token cross-entropy (nats per counted target) of the batch, before the update
 * @param gradNorm global L2 norm of the gradient before clipping
 * @param seconds wall time of the step
 */
public record StepStats(int step, double learningRate, double loss, double gradNorm, double seconds) {}
