package org.mechinterp.core.train;

import java.util.SplittableRandom;

/**
 * Where training sequences come from: a generator that draws one sequence from the caller's random stream, so
 * that the data order is a function of the trainer's seed alone. All sequences of one source must have the same
 * length (the trainer stacks them into a [B, T] batch without padding).
 */
@FunctionalInterface
public interface SequenceSource {
    /**
     * @param rng the stream to draw from (advanced; never shared with other consumers)
     * @return a new sequence
     */
    TrainingSequence next(SplittableRandom rng);
}
