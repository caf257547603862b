package org.mechinterp.core.family;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mechinterp.core.io.ShardedCheckpoint;

/**
 * Compares a checkpoint's tensors with those a family read, as HF does with its "weights not used" warning.
 *
 * <p>Why: a {@code config.json} with fewer layers than the weights (or one naming another variant) loads without a
 * missing tensor and runs a different network. Whole unused layers are therefore an error; other stray tensors
 * are a warning listing them. Known non-weight buffers (GPT-2's causal-mask {@code attn.bias} and
 * {@code attn.masked_bias}, rotary {@code inv_freq}) are expected and ignored.
 */
final class UnusedTensors {
    /** A block's tensors: a prefix ending in layers/h/blocks, the layer index, and the rest of the name. */
    private static final Pattern LAYER = Pattern.compile("^(.*?\\b(?:layers|h|blocks))\\.(\\d+)\\.");
    private static final Pattern BUFFER = Pattern.compile(".*(\\.attn\\.bias|\\.attn\\.masked_bias|\\.inv_freq)$");
    /** Names listed in a warning before "and N more". */
    private static final int LISTED = 10;

    private UnusedTensors() {}

    /**
     * @param requested the names the family read
     * @param layers the number of layers the config declares
     * @throws CheckpointException when every tensor of some layer went unused (naming the layers and the fix)
     */
    static void check(ShardedCheckpoint checkpoint, Set<String> requested, int layers, Consumer<String> warnings)
            throws CheckpointException {
        List<String> unused = new ArrayList<>();
        for (String name : new TreeSet<>(checkpoint.names())) {
            if (!requested.contains(name) && !BUFFER.matcher(name).matches()) {
                unused.add(name);
            }
        }
        if (unused.isEmpty()) {
            return;
        }
        TreeMap<Integer, String> unusedLayers = wholeLayersUnused(checkpoint.names(), requested);
        if (!unusedLayers.isEmpty()) {
            int top = unusedLayers.lastKey();
            throw new CheckpointException("the checkpoint in " + checkpoint.location() + " has weights for "
                    + unusedLayers.size() + " layer(s) the config leaves out (" + describe(unusedLayers)
                    + "): config.json declares " + layers + " layers (num_hidden_layers or n_layer) but the "
                    + "weights go up to layer " + top + ", so the model would run a different network; fix the "
                    + "layer count in config.json" + (top >= layers ? " (" + (top + 1) + " here)" : ""));
        }
        String listed = String.join(", ", unused.subList(0, Math.min(LISTED, unused.size())))
                + (unused.size() > LISTED ? " and " + (unused.size() - LISTED) + " more" : "");
        warnings.accept(unused.size() + " tensor(s) in " + checkpoint.location() + " are not used by the model: "
                + listed + " (check that config.json matches the weights)");
    }

    /** Layer index to a name pattern such as "model.layers.4.*", for layers none of whose tensors were read. */
    private static TreeMap<Integer, String> wholeLayersUnused(Set<String> names, Set<String> requested) {
        TreeMap<Integer, String> unused = new TreeMap<>();
        TreeSet<Integer> used = new TreeSet<>();
        for (String name : names) {
            Matcher m = LAYER.matcher(name);
            if (!m.find() || BUFFER.matcher(name).matches()) {
                continue;
            }
            int layer = Integer.parseInt(m.group(2));
            if (requested.contains(name)) {
                used.add(layer);
            } else {
                unused.putIfAbsent(layer, m.group(1) + "." + layer + ".*");
            }
        }
        unused.keySet().removeAll(used);
        return unused;
    }

    private static String describe(TreeMap<Integer, String> layers) {
        List<String> patterns = new ArrayList<>(layers.values());
        return patterns.size() <= 3 ? String.join(", ", patterns)
                : patterns.get(0) + " … " + patterns.get(patterns.size() - 1);
    }
}
