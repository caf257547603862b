package org.mechinterp.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.mechinterp.core.hooks.HookNames;

/**
 * Activations recorded during one forward pass, by hook point name (and gradients under {@code NAME_grad}).
 *
 * <p>The cache owns a manager holding every array it returns; closing the cache frees them all. Do not close the
 * arrays yourself (two names may share storage, e.g. {@code blocks.0.hook_resid_post} and
 * {@code blocks.1.hook_resid_pre}); copy what must outlive the cache with {@code duplicate()} and {@code attach}.
 * Arrays are detached from any autograd graph.
 */
public final class ActivationCache implements AutoCloseable {
    private final NDManager manager;
    private final Map<String, NDArray> entries = new LinkedHashMap<>();
    private NDArray logits;

    ActivationCache(NDManager manager) {
        this.manager = manager;
    }

    /** The manager owning the cached arrays; arrays made here are freed with the cache. */
    public NDManager manager() {
        return manager;
    }

    /**
     * The activation recorded at {@code name}.
     *
     * @throws IllegalArgumentException if nothing was cached under that name (the message lists what was)
     */
    public NDArray get(String name) {
        NDArray a = entries.get(name);
        if (a == null) {
            throw new IllegalArgumentException("'" + name + "' is not in this cache; cached: "
                    + (entries.size() <= 12 ? entries.keySet() : entries.size() + " names starting "
                    + entries.keySet().stream().limit(6).toList()));
        }
        return a;
    }

    /** The gradient recorded at hook point {@code name} (stored as {@code name_grad}). */
    public NDArray grad(String name) {
        return get(HookNames.grad(name));
    }

    /** Whether {@code name} was cached. */
    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** Cached names in the order they were recorded. */
    public Set<String> names() {
        return Collections.unmodifiableSet(entries.keySet());
    }

    /** Logits [B,T,V] of the forward pass. */
    public NDArray logits() {
        return logits;
    }

    void put(String name, NDArray array) {
        entries.put(name, array);
    }

    void setLogits(NDArray logits) {
        this.logits = logits;
    }

    /** Frees every cached array. */
    @Override
    public void close() {
        entries.clear();
        logits = null;
        manager.close();
    }
}
