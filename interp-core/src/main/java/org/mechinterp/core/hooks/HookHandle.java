package org.mechinterp.core.hooks;

/**
 * One registered hook. Closing it removes the hook; closing twice is harmless.
 */
public final class HookHandle implements AutoCloseable {
    private final HookRegistry registry;
    private final String name;
    private final HookFunction function;
    private boolean removed;

    HookHandle(HookRegistry registry, String name, HookFunction function) {
        this.registry = registry;
        this.name = name;
        this.function = function;
    }

    /**
     * The hook point this hook is attached to.
     *
     * @return the hook point this hook is attached to
     */
    public String name() {
        return name;
    }

    /**
     * True until {@link #close()} has been called.
     *
     * @return true until {@link #close()} has been called
     */
    public boolean isActive() {
        return !removed;
    }

    @Override
    public void close() {
        if (!removed) {
            removed = true;
            registry.remove(name, function);
        }
    }
}
