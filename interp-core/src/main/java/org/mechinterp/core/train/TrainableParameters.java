package org.mechinterp.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mechinterp.core.Interp;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.RandomWeights;
import org.mechinterp.core.model.TransformerWeights;

/**
 * The weights of a transformer as autograd leaves ({@code setRequiresGradient(true)}), in the canonical
 * orientation of {@link TransformerWeights}, each under a TransformerLens-style name (see {@link #named()}).
 *
 * <p>Tied embeddings: only W_E is a parameter; W_U = W_Eᵀ is a view that {@link #bind} recreates on every call,
 * because a view only carries gradients back to W_E when it is made while a {@code GradientCollector} is open.
 *
 * <p>Ownership: this object owns one manager holding the leaves (close it); gradients fetched with
 * {@link #gradients} and models made by {@link #bind} belong to the manager you pass.
 */
public final class TrainableParameters implements AutoCloseable {
    private final ModelConfig config;
    private final NDManager manager;
    private final TransformerWeights leaves;
    private final Map<String, NDArray> named;

    private TrainableParameters(ModelConfig config, NDManager manager, TransformerWeights source) {
        this.config = config;
        this.manager = manager;
        Map<String, NDArray> names = new LinkedHashMap<>();
        this.leaves = WeightWalk.map(source, config.tiedEmbeddings(), (name, a) -> {
            NDArray leaf = a.duplicate(); // a fresh, contiguous tensor: never a view of another parameter
            leaf.attach(manager);
            leaf.setRequiresGradient(true);
            names.put(name, leaf);
            return leaf;
        }, e -> null);
        this.named = Collections.unmodifiableMap(names);
    }

    /**
     * Leaves initialised with {@link RandomWeights} of {@code seed}.
     *
     * @param config the model configuration
     * @param seed the random seed
     * @return the trainable parameters
     */
    public static TrainableParameters random(ModelConfig config, long seed) {
        Interp.configureDjl();
        NDManager manager = NDManager.newBaseManager();
        try (NDManager init = manager.newSubManager()) {
            return new TrainableParameters(config, manager, RandomWeights.create(config, init, seed));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Leaves holding a copy of a model's weights (the model is not modified and stays usable).
     *
     * @param model the model
     * @return the trainable parameters
     */
    public static TrainableParameters copyOf(HookedTransformer model) {
        Interp.configureDjl();
        NDManager manager = NDManager.newBaseManager(model.manager().getDevice());
        try {
            return new TrainableParameters(model.config(), manager, model.weights());
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * The model configuration.
     *
     * @return the model configuration
     */
    public ModelConfig config() {
        return config;
    }

    /**
     * Parameter name → leaf, in forward order (owned by this object; do not close).
     *
     * @return parameter name → leaf, in forward order (owned by this object; do not close)
     */
    public Map<String, NDArray> named() {
        return named;
    }

    /**
     * Total number of trainable scalars.
     *
     * @return total number of trainable scalars
     */
    public long size() {
        long n = 0;
        for (NDArray a : named.values()) {
            n += a.getShape().size();
        }
        return n;
    }

    /**
     * A model computing with these leaves: gradients of anything computed from its outputs inside a
     * {@code GradientCollector} reach {@link #named()}. For tied embeddings call it inside the collector.
     *
     * @param owner manager that owns the (lightweight) model and the tied-unembedding view; closing it releases
     *     them, never the leaves. Do not close the returned model.
     * @return a model computing with these leaves: gradients of anything computed from its outputs inside a {@code
     *     GradientCollector} reach {@link #named()}
     */
    public HookedTransformer bind(NDManager owner) {
        NDManager modelManager = owner.newSubManager();
        TransformerWeights w = WeightWalk.map(leaves, config.tiedEmbeddings(), (name, a) -> a, embed -> {
            NDArray view = embed.transpose();
            view.attach(modelManager);
            return view;
        });
        return HookedTransformer.fromWeights(config, w, modelManager);
    }

    /**
     * The current gradient of every leaf, in {@link #named()} order, as arrays owned by {@code owner} that share
     * storage with the leaves' {@code .grad} (modifying them in place modifies the accumulated gradient).
     *
     * @param owner manager that owns the (lightweight) model and the tied-unembedding view; closing it releases them,
     *     never the leaves. Do not close the returned model
     * @return the current gradient of every leaf, in {@link #named()} order, as arrays owned by {@code owner} that
     *     share storage with the leaves' {@code .grad} (modifying them in place modifies the accumulated gradient)
     */
    public List<NDArray> gradients(NDManager owner) {
        List<NDArray> out = new ArrayList<>(named.size());
        for (NDArray leaf : named.values()) {
            NDArray g = leaf.getGradient();
            g.attach(owner);
            out.add(g);
        }
        return out;
    }

    /** Sets every accumulated gradient to zero (backward adds to what is there). */
    public void zeroGradients() {
        try (NDManager tmp = manager.newSubManager()) {
            for (NDArray g : gradients(tmp)) {
                g.muli(0f);
            }
        }
    }

    /**
     * A standalone copy of the current weights (no gradients), e.g. to evaluate or save.
     *
     * @return a model owning a new manager; the caller closes it
     */
    public HookedTransformer snapshot() {
        NDManager m = NDManager.newBaseManager(manager.getDevice());
        try {
            TransformerWeights w = WeightWalk.map(leaves, config.tiedEmbeddings(), (name, a) -> {
                NDArray detached = a.stopGradient(); // shares storage; lands in the leaves' manager, so move it
                detached.attach(m);
                return detached.duplicate();
            }, NDArray::transpose);
            return HookedTransformer.fromWeights(config, w, m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** The manager owning the leaves. */
    NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
    }
}
