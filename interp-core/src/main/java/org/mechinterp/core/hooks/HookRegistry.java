package org.mechinterp.core.hooks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The hooks registered on one model, by hook point name. Hooks at one point run in registration order, each seeing
 * the previous one's result. Not thread-safe: register hooks from the thread that runs the model.
 */
public final class HookRegistry {
    private final Set<String> validNames;
    private final Function<String, String> whyAbsent;
    private final Map<String, List<HookFunction>> hooks = new HashMap<>();
    private int count;

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
     * @throws IllegalArgumentException if {@code name} is not a hook point of this model (the message suggests
     *     the closest names)
     */
    public HookHandle add(String name, HookFunction function) {
        Objects.requireNonNull(function, "hook function");
        requireValid(name);
        hooks.computeIfAbsent(name, k -> new ArrayList<>()).add(function);
        count++;
        return new HookHandle(this, name, function);
    }

    /** Opens a scope whose hooks are all removed when it closes. */
    public HookScope scope() {
        return new HookScope(this);
    }

    /** Hooks registered at {@code name}, in order (an empty list when none). */
    public List<HookFunction> at(String name) {
        List<HookFunction> list = hooks.get(name);
        return list == null ? Collections.emptyList() : list;
    }

    /** Total number of registered hooks. */
    public int size() {
        return count;
    }

    public boolean isEmpty() {
        return count == 0;
    }

    /** Removes every hook. */
    public void clear() {
        hooks.clear();
        count = 0;
    }

    /** Every valid hook point name, in forward order. */
    public Set<String> names() {
        return validNames;
    }

    /**
     * Checks a hook point name.
     *
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

    void remove(String name, HookFunction function) {
        List<HookFunction> list = hooks.get(name);
        if (list != null && list.remove(function)) {
            count--;
            if (list.isEmpty()) {
                hooks.remove(name);
            }
        }
    }

    /** A message for an unknown hook name listing the nearest valid names by edit distance. */
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
