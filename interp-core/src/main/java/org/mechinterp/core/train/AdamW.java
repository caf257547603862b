package org.mechinterp.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * AdamW (Loshchilov &amp; Hutter) with bias correction, updating parameters in place:
 * <pre>
 *   m ← β1·m + (1 − β1)·g          v ← β2·v + (1 − β2)·g²
 *   p ← p·(1 − lr·λ)  (only where decay applies)
 *   p ← p − lr · (m / (1 − β1ᵗ)) / (sqrt(v / (1 − β2ᵗ)) + ε)
 * </pre>
 * with t the 1-based update count. Run it outside any {@code GradientCollector} (no graph is recorded for the
 * in-place updates). Ownership: the moment estimates live in a manager owned by this optimizer (close it); the
 * temporaries of {@link #update} go to the caller's manager. Not thread-safe.
 */
public final class AdamW implements AutoCloseable {
    private final NDManager state;
    private final List<NDArray> params;
    private final boolean[] decay;
    private final List<NDArray> m = new ArrayList<>();
    private final List<NDArray> v = new ArrayList<>();
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private int t;

    /**
     * @param params the parameters, updated in place (not owned)
     * @param decay per parameter: whether weight decay applies
     * @param parent manager under which the moment estimates are allocated (a sub-manager, closed by
     *     {@link #close})
     * @param beta1 AdamW beta1
     * @param beta2 AdamW beta2
     * @param epsilon AdamW epsilon
     * @param weightDecay the AdamW weight decay
     */
    public AdamW(List<NDArray> params, boolean[] decay, NDManager parent, double beta1, double beta2,
            double epsilon, double weightDecay) {
        if (params.size() != decay.length) {
            throw new IllegalArgumentException(params.size() + " parameters but " + decay.length + " decay flags");
        }
        this.state = parent.newSubManager();
        this.params = List.copyOf(params);
        this.decay = decay.clone();
        for (NDArray p : params) {
            m.add(state.zeros(p.getShape(), p.getDataType()));
            v.add(state.zeros(p.getShape(), p.getDataType()));
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
    }

    /**
     * One update.
     *
     * @param grads gradients in parameter order, owned by {@code scratch} (not modified)
     * @param lr learning rate of this step
     * @param scratch manager for temporaries (the caller closes it)
     */
    public void update(List<NDArray> grads, double lr, NDManager scratch) {
        if (grads.size() != params.size()) {
            throw new IllegalArgumentException(params.size() + " parameters but " + grads.size() + " gradients");
        }
        t++;
        float c1 = (float) (1.0 / (1.0 - Math.pow(beta1, t)));
        float c2 = (float) (1.0 / (1.0 - Math.pow(beta2, t)));
        for (int i = 0; i < params.size(); i++) {
            NDArray g = grads.get(i);
            // Every temporary starts from an array of the scratch manager (results attach to the first operand's
            // manager), and the long-lived state is only changed in place.
            NDArray gm = scratch.zeros(g.getShape(), g.getDataType()).addi(g);
            m.get(i).muli((float) beta1).addi(gm.mul((float) (1 - beta1)));
            v.get(i).muli((float) beta2).addi(gm.mul(gm).muli((float) (1 - beta2)));
            NDArray step = scratch.zeros(g.getShape(), g.getDataType()).addi(m.get(i)).muli(c1);
            NDArray denom = scratch.zeros(g.getShape(), g.getDataType()).addi(v.get(i)).muli(c2).sqrt()
                    .addi((float) epsilon);
            step.divi(denom).muli((float) lr);
            // Update through a detached alias sharing the parameter's storage: in-place ops on a leaf that requires
            // grad are refused while grad mode is on, and grad mode is per thread in PyTorch (on by default; DJL
            // only turns it off on the thread that started the engine), so never rely on it here.
            try (NDArray p = params.get(i).stopGradient()) {
                if (decay[i] && weightDecay > 0) {
                    p.muli((float) (1 - lr * weightDecay));
                }
                p.subi(step);
            }
        }
    }

    /**
     * Number of updates made.
     *
     * @return number of updates made
     */
    public int updates() {
        return t;
    }

    @Override
    public void close() {
        state.close();
    }
}
