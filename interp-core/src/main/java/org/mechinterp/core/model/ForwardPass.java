package org.mechinterp.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.mechinterp.core.hooks.HookContext;
import org.mechinterp.core.hooks.HookFunction;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.hooks.HookRegistry;

/**
 * The state of one forward pass: its manager (every intermediate lands here and is freed when the pass closes), the
 * hooks to run, what to cache and where to collect gradients.
 */
final class ForwardPass implements AutoCloseable {
    private static final Predicate<String> NOTHING = name -> false;

    /** The pass's own manager: hook contexts, gradient leaves; closed when the pass ends. */
    final NDManager passManager;
    /**
     * Where this step's intermediates land: the pass's manager, or while a block runs without autograd, a
     * sub-manager closed when the block ends (see {@code HookedTransformer.scopedBlock}).
     */
    NDManager manager;
    private final HookRegistry hooks;
    private final Predicate<String> cacheFilter;
    private final Predicate<String> gradFilter;
    private final ActivationCache cache;
    private final Map<String, NDArray> gradLeaves = new LinkedHashMap<>();
    /** True when no hook, cache or gradient can fire: {@link #point} then returns at once. */
    private final boolean passive;

    /** Per layer: rotary tables [B,Tq,1,R] of the new positions, and the additive mask [B or 1,1,Tq,K]. */
    NDArray[] cos;
    NDArray[] sin;
    NDArray[] attentionMasks;
    /** Where this pass's tokens sit (padding, cached slots, new slots). */
    SlotLayout layout;
    /** The key/value cache this pass reads and extends, or null for a self-contained pass. */
    KvCache kv;
    /** True when the caller back-propagates through the logits (training): weights must then outlive each block. */
    boolean differentiable;

    ForwardPass(NDManager manager, HookRegistry hooks, ActivationCache cache, Predicate<String> cacheFilter,
            Predicate<String> gradFilter) {
        this.manager = manager;
        this.passManager = manager;
        this.hooks = hooks;
        this.cache = cache;
        this.cacheFilter = cache == null ? NOTHING : cacheFilter;
        this.gradFilter = gradFilter == null ? NOTHING : gradFilter;
        this.passive = hooks.isEmpty() && cache == null && gradFilter == null;
    }

    /**
     * A hook point: runs the registered hooks, then records the value and/or prepares its gradient.
     *
     * @return the activation to continue with
     */
    NDArray point(String name, int layer, NDArray x) {
        if (passive) {
            return x;
        }
        List<HookFunction> functions = hooks.at(name);
        if (!functions.isEmpty()) {
            HookContext context = new HookContext(name, layer, passManager);
            for (HookFunction function : functions) {
                x = adopt(name, x, function.apply(x, context));
            }
        }
        if (gradFilter.test(name)) {
            // Gradients only reach leaves: route the activation through x + 0 with a fresh zero leaf, whose
            // gradient equals the gradient at this point (values are unchanged bit for bit).
            NDArray leaf = passManager.zeros(x.getShape(), x.getDataType());
            leaf.setRequiresGradient(true);
            gradLeaves.put(name, leaf);
            x = x.add(leaf);
        }
        if (cacheFilter.test(name)) {
            cache.put(name, handOut(x, cache.manager()));
        }
        return x;
    }

    /**
     * Whether anything observes point {@code name} in this pass (a hook, the cache filter or the gradient filter):
     * optional points such as {@code attn.hook_result} are computed only then.
     */
    boolean wants(String name) {
        return !passive && (!hooks.at(name).isEmpty() || cacheFilter.test(name) || gradFilter.test(name));
    }

    /** Copies gradients of the leaves into the cache as {@code NAME_grad}; call after backward. */
    void collectGradients() {
        for (Map.Entry<String, NDArray> e : gradLeaves.entrySet()) {
            cache.put(HookNames.grad(e.getKey()), handOut(e.getValue().getGradient(), cache.manager()));
        }
    }

    /**
     * Whether an autograd graph may keep this pass's operands: then weights upcast for one block must not be
     * overwritten by the next (see {@link WeightSource#block}).
     */
    boolean mayBackpropagate() {
        return differentiable || gradFilter != NOTHING;
    }

    /** Names of the points whose gradients are being collected. */
    boolean collectsGradients() {
        return !gradLeaves.isEmpty();
    }

    /**
     * A new array sharing {@code x}'s storage, detached from autograd and owned by {@code owner}: {@code x} itself
     * stays in this pass, so later results computed from it keep landing here.
     */
    static NDArray handOut(NDArray x, NDManager owner) {
        NDArray detached = x.stopGradient();
        detached.attach(owner);
        return detached;
    }

    /**
     * A float32 scalar [] in memory libtorch allocated, owned by this pass. Use it instead of DJL's
     * {@code mul(Number)}, {@code div(Number)} and {@code pow(Number)} on arrays that may be part of an autograd
     * graph: those wrap the number in an array backed by a Java direct buffer and close it at once, but autograd keeps
     * the operand for backward (the gradient of a·c needs c), so after a GC the backward pass reads freed memory and
     * returns garbage gradients. The value and type are those DJL would use (bit-identical forward results).
     */
    NDArray scalar(float value) {
        return manager.full(new Shape(), value, DataType.FLOAT32);
    }

    /**
     * {@code javaBacked} (made by {@code NDManager.create} from Java data: libtorch uses the Java direct buffer's
     * memory without copying, and that memory is freed once the array is closed and collected) copied into memory
     * libtorch allocated, which the autograd graph can keep after this pass closes (as
     * {@code HookedTransformer.forwardDifferentiable} needs); {@code javaBacked} is closed. Owned by this pass.
     */
    NDArray torchOwned(NDArray javaBacked) {
        NDArray copy = javaBacked.duplicate();
        copy.attach(manager);
        javaBacked.close();
        return copy;
    }

    private NDArray adopt(String name, NDArray original, NDArray replacement) {
        if (replacement == null) {
            throw new IllegalStateException("hook at '" + name + "' returned null; return the activation itself "
                    + "to leave it unchanged");
        }
        if (replacement == original) {
            return original;
        }
        if (!replacement.getShape().equals(original.getShape())) {
            throw new IllegalStateException("hook at '" + name + "' returned shape " + replacement.getShape()
                    + " but the activation has shape " + original.getShape());
        }
        if (replacement.getManager() != manager) {
            // Never adopt an array owned elsewhere: results computed from it would land in its manager.
            NDArray copy = replacement.duplicate();
            copy.attach(manager);
            replacement = copy;
        }
        if (replacement.getDataType() != original.getDataType()) {
            replacement = replacement.toType(original.getDataType(), false);
        }
        return replacement;
    }

    @Override
    public void close() {
        passManager.close();
    }
}
