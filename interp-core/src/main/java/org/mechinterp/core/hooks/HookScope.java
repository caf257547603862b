package org.mechinterp.core.hooks;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A group of hooks removed together when the scope closes, including when it closes because of an exception:
 * <pre>{@code
 * try (HookScope scope = model.hooks().scope()) {
 *     scope.add("blocks.2.hook_resid_post", (x, ctx) -> x.add(steering));
 *     NDArray logits = model.forward(manager, batch);
 * } // hooks gone here
 * }</pre>
 */
public final class HookScope implements AutoCloseable {
    private final HookRegistry registry;
    private final Deque<HookHandle> handles = new ArrayDeque<>();

    HookScope(HookRegistry registry) {
        this.registry = registry;
    }

    /**
     * Registers a hook for the lifetime of this scope.
     *
     * @param name the name
     * @param function the function
     * @return this scope, for chaining
     * @throws IllegalArgumentException if {@code name} is not a hook point of the model
     */
    public HookScope add(String name, HookFunction function) {
        handles.push(registry.add(name, function));
        return this;
    }

    /**
     * Number of hooks this scope holds.
     *
     * @return number of hooks this scope holds
     */
    public int size() {
        return handles.size();
    }

    /** Removes this scope's hooks, most recent first. */
    @Override
    public void close() {
        while (!handles.isEmpty()) {
            handles.pop().close();
        }
    }
}
