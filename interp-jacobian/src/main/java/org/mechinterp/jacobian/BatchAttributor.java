package org.mechinterp.jacobian;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/**
 * One attribution method over a stream of prompts, in left-padded batches of at most {@code batchSize} prompts,
 * each result handed to a sink as soon as its batch is done. A prompt's scores do not depend on its batch mates
 * (left padding with exact per-sequence semantics; each prompt's ℓ is its own position offset by its padding).
 *
 * <p>Cost per batch of B prompts of longest length T:
 * <ul>
 *   <li>Semantic, Temperature: one forward and one backward of the batch [B, T]: the loss Σ_b v_b·y_b(ℓ_b) has
 *   independent terms, so its gradient at row b is exactly v_bᵀJ_τ of prompt b (v_b chosen inside the pass).</li>
 *   <li>Fisher rank-k: one batched forward for y(ℓ) and p; Lanczos per prompt (F_y = W_Uᵀ(diag p − ppᵀ)W_U differs
 *   per prompt, so its eigenvectors cannot be shared); then one backward over the B·k replicated rows (chunks of
 *   the attributor's {@code maxRows}).</li>
 *   <li>Fisher exact trace: likewise, with D rows per prompt (B·D rows in chunks of {@code maxRows}).</li>
 *   <li>Baselines: per prompt, as {@link Attributor#attribute(Method, List)} does.</li>
 * </ul>
 * Memory is bounded by one batch: its gradients take B·T·D doubles (times k or D rows for Fisher, per chunk).
 * Batches larger than the attributor's {@code maxRows} are split into several passes.
 *
 * <p>The attributor (and its model) is borrowed. Not thread-safe.
 */
public final class BatchAttributor {
    /** Receives each prompt's result, in input order; {@code index} counts from 0 over the whole stream. */
    @FunctionalInterface
    public interface Sink {
        /**
         * The accept.
         *
         * @param index the index
         * @param result the result
         * @throws Exception whatever the callee throws; it stops the run
         */
        void accept(long index, AttributionResult result) throws Exception;
    }

    /** Called after each batch with the prompts done so far and the elapsed wall time. */
    @FunctionalInterface
    public interface Progress {
        /**
         * The update.
         *
         * @param done the done
         * @param elapsedNanos the elapsed nanos
         */
        void update(long done, long elapsedNanos);
    }

    private final Attributor attributor;
    private final Method method;
    private final int batchSize;

    /**
     * @param attributor the attributor
     * @param method the attribution method
     * @param batchSize most prompts per batch, at least 1
     * @throws IllegalArgumentException for a batch size below 1
     */
    public BatchAttributor(Attributor attributor, Method method, int batchSize) {
        this.attributor = Objects.requireNonNull(attributor, "attributor");
        this.method = Objects.requireNonNull(method, "method");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        this.batchSize = batchSize;
    }

    /**
     * The attribution method.
     *
     * @return the attribution method
     */
    public Method method() {
        return method;
    }

    /**
     * Most prompts per batch, at least 1.
     *
     * @return most prompts per batch, at least 1
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Attributes every prompt of {@code prompts}, reading it lazily one batch at a time.
     *
     * @param prompts the prompts
     * @param sink the sink
     * @param progress may be null
     * @return the number of prompts attributed
     * @throws Exception whatever the sink throws (the run stops there; earlier results were already delivered)
     * @throws IllegalArgumentException for an invalid request (token outside the vocabulary, bad target); results of
     *     earlier batches were delivered
     */
    public long run(Iterator<AttributionRequest> prompts, Sink sink, Progress progress) throws Exception {
        Objects.requireNonNull(sink, "sink");
        long start = System.nanoTime();
        long done = 0;
        List<AttributionRequest> batch = new ArrayList<>(batchSize);
        while (prompts.hasNext()) {
            batch.add(Objects.requireNonNull(prompts.next(), "prompt"));
            if (batch.size() == batchSize || !prompts.hasNext()) {
                List<AttributionResult> results = attributor.attribute(method, batch);
                for (AttributionResult r : results) {
                    sink.accept(done++, r);
                }
                batch.clear();
                if (progress != null) {
                    progress.update(done, System.nanoTime() - start);
                }
            }
        }
        return done;
    }

    /**
     * {@link #run(Iterator, Sink, Progress)} collecting the results in a list (for modest prompt counts).
     *
     * @param prompts the prompts
     * @return {@link #run(Iterator, Sink, Progress)} collecting the results in a list (for modest prompt counts)
     */
    public List<AttributionResult> attributeAll(List<AttributionRequest> prompts) {
        List<AttributionResult> out = new ArrayList<>(prompts.size());
        try {
            run(prompts.iterator(), (i, r) -> out.add(r), null);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("a list sink cannot throw", e);
        }
        return out;
    }
}
