package org.mechinterp.core.hooks;

import ai.djl.ndarray.NDManager;

/**
 * What a {@link HookFunction} knows about where it runs.
 *
 * @param name the hook point's name, e.g. {@code blocks.3.hook_resid_pre}
 * @param layer the block index, or -1 for points outside the blocks
 * @param manager the forward pass's manager: arrays made here are closed when the forward pass ends
 */
public record HookContext(String name, int layer, NDManager manager) {}
