package org.mechinterp.core.hooks;

import ai.djl.ndarray.NDArray;

/**
 * A forward hook: sees the activation flowing through a hook point and returns the activation to continue with.
 *
 * <p>Return {@code activation} itself to observe without changing anything; return a new array of the same shape to
 * replace it (ablate, patch, steer). Arrays created for the replacement should be made with
 * {@link HookContext#manager()} so that they are freed with the forward pass; an array owned by another manager
 * (e.g. one from a cache of another run) is copied into the forward pass, never adopted. The activation must not be
 * modified in place: other hook points and caches may share its storage.
 */
@FunctionalInterface
public interface HookFunction {
    /**
     * @param activation the value at the hook point, shaped as listed in {@link HookNames}
     * @param context which point and which forward pass
     * @return the value to continue with, same shape as {@code activation}
     */
    NDArray apply(NDArray activation, HookContext context);
}
