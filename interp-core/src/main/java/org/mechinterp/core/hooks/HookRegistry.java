package org.mechinterp.core.hooks;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The hooks registered on one model, by hook point name. Hooks at one point run in registration order, each seeing
 * the previous one's result.
 *
 * <p>Threads: hooks belong to the thread that registered them, and only that thread may run forward passes while
 * they are registered. A forward pass or a registration in another thread fails with an
 * {@link IllegalStateException} naming both threads, instead of silently running with (or changing) hooks meant
 * for someone else's pass. Forward passes without hooks may run in any number of threads at once. When the owning
 * thread has ended (JShell runs each snippet in a fresh thread), its hooks pass to the next thread that uses them,
 * so a hook registered in one notebook cell applies in the next.
 */
public final class HookRegistry {
    private final Set<String> validNames;
    private final Function<String, String> whyAbsent;
    private final Map<String, List<HookFunction>> hooks = new ConcurrentHashMap<>();
    private volatile int count;
    /** The thread that registered the current hooks; null when there are none. */
    private Thread owner;

    /** @param validNames every hook point name of the model, in forward order (copied, order kept) */
    public HookRegistry(Set<String> validNames) {
        this(validNames, name -> null);
    }

    /**
     * @param validNames every hook point name of the model, in forward order (copied, order kept)
     * @param whyAbsent for a TransformerLens name this architecture does not have (e.g. {@code hook_resid_mid} with
     *     a parallel residual), the reason, used in the error message; null for names that are simply unknown
     */
    public HookRegistry(Set<String> validNames, Function<String, String> whyAbsent) {
        this.validNames = Collections.unmodifiableSet(new LinkedHashSet<>(validNames));
        this.whyAbsent = Objects.requireNonNull(whyAbsent);
    }

    /**
     * Registers a hook until the returned handle is closed.
     *
     * @param name the name
     * @param function the function
     * @return the hook handle
     * @throws IllegalArgumentException if {@code name} is not a hook point of this model (the message suggests
     *     the closest names)
     */
    public HookHandle add(String name, HookFunction function) {
        Objects.requireNonNull(function, "hook function");
        requireValid(name);
        synchronized (this) {
            requireOwner("register a hook at '" + name + "'");
            owner = Thread.currentThread();
            hooks.computeIfAbsent(name, k -> new CopyOnWriteArrayList<>()).add(function);
            count++;
        }
        return new HookHandle(this, name, function);
    }

    /**
     * Opens a scope whose hooks are all removed when it closes.
     *
     * @return the hook scope
     */
    public HookScope scope() {
        return new HookScope(this);
    }

    /**
     * Hooks registered at {@code name}, in order (an empty list when none); the forward pass asks for them at every
     * hook point.
     *
     * @param name the name
     * @return hooks registered at {@code name}, in order (an empty list when none); the forward pass asks for them
     *     at every hook point
     * @throws IllegalStateException when hooks registered by another thread that is still running are present
     */
    public List<HookFunction> at(String name) {
        if (count > 0) {
            synchronized (this) {
                if (count > 0) {
                    requireOwner("run a forward pass");
                    owner = Thread.currentThread();
                }
            }
        }
        List<HookFunction> list = hooks.get(name);
        return list == null ? Collections.emptyList() : list;
    }

    /**
     * Total number of registered hooks.
     *
     * @return total number of registered hooks
     */
    public synchronized int size() {
        return count;
    }

    /**
     * Whether no hook is registered.
     *
     * @return true when no hook is registered
     */
    public synchronized boolean isEmpty() {
        return count == 0;
    }

    /** Removes every hook (from any thread). */
    public synchronized void clear() {
        hooks.clear();
        count = 0;
        owner = null;
    }

    /** Refuses {@code action} in this thread while another live thread's hooks are registered. */
    private void requireOwner(String action) {
        Thread me = Thread.currentThread();
        if (count > 0 && owner != null && owner != me && owner.isAlive()) {
            throw new IllegalStateException("cannot " + action + " in thread '" + me.getName() + "': " + count
                    + " hook(s) registered by thread '" + owner.getName() + "' are active, and hooks belong to "
                    + "the thread that registers them (so another thread's concurrent forward pass does not run "
                    + "them); register hooks in the thread that runs the forward pass, or close that thread's "
                    + "hook scope first");
        }
    }

    /**
     * Every valid hook point name, in forward order.
     *
     * @return every valid hook point name, in forward order
     */
    public Set<String> names() {
        return validNames;
    }

    /**
     * Checks a hook point name.
     *
     * @param name the name
     * @throws IllegalArgumentException naming the unknown point and suggesting close matches
     */
    public void requireValid(String name) {
        if (!validNames.contains(name)) {
            String reason = whyAbsent.apply(name);
            if (reason != null) {
                throw new IllegalArgumentException("hook point '" + name + "' does not exist in this model: " + reason);
            }
            throw new IllegalArgumentException(unknownNameMessage(name, validNames));
        }
    }

    synchronized void remove(String name, HookFunction function) {
        List<HookFunction> list = hooks.get(name);
        if (list != null && list.remove(function)) {
            count--;
            if (list.isEmpty()) {
                hooks.remove(name);
            }
            if (count == 0) {
                owner = null;
            }
        }
    }

    /**
     * A message for an unknown hook name listing the nearest valid names by edit distance.
     *
     * @param name the name
     * @param validNames every hook point name of the model, in forward order (copied, order kept)
     * @return a message for an unknown hook name listing the nearest valid names by edit distance
     */
    public static String unknownNameMessage(String name, Set<String> validNames) {
        List<String> nearest = validNames.stream()
                .sorted((a, b) -> Integer.compare(editDistance(name, a), editDistance(name, b)))
                .limit(3)
                .collect(Collectors.toList());
        return "unknown hook point '" + name + "' (did you mean " + String.join(", ", nearest) + "?)";
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
