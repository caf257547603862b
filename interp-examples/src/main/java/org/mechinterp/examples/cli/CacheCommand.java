package org.mechinterp.examples.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.mechinterp.core.hooks.HookNames;
import org.mechinterp.core.io.SafetensorsWriter;
import org.mechinterp.core.model.ActivationCache;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code interp cache}: runs the model once and writes the requested activations to a safetensors file. */
@Command(name = "cache", mixinStandardHelpOptions = true,
        description = {"Run the model on a prompt and save activations at hook points to a safetensors file.",
                "Each tensor is F32 with the batch dimension first, in TransformerLens shapes (residual [1,T,D], "
                        + "blocks.L.attn.hook_pattern [1,H,T,T], ...); 'logits' [1,T,V] is always included."},
        footer = {"", "Examples:",
                "  interp cache --prompt \"Once upon a time\" --out acts.safetensors \\",
                "      --hooks blocks.0.hook_resid_post,blocks.1.attn.hook_pattern",
                "  interp cache --tokens 1,403,407 --hooks all --out all.safetensors"})
final class CacheCommand extends ModelCommand {
    /** The {@code --hooks} value that selects every hook point. */
    static final String ALL = "all";

    @Option(names = "--hooks", paramLabel = "NAME[,NAME...]", required = true,
            description = "Hook point names, comma-separated, or 'all' for every hook point.")
    String hooks;

    @Option(names = "--out", paramLabel = "FILE", required = true,
            description = "Output file (replaced atomically; missing parent folders are created).")
    Path out;

    @Override
    public Integer call() throws Exception {
        List<String> requested = splitList(hooks);
        if (requested.isEmpty()) {
            throw usage("--hooks names no hook point (give names or 'all')");
        }
        if (Files.isDirectory(out)) {
            throw usage("--out " + out + " is a folder; give a file name such as acts.safetensors");
        }
        Path dir = resolveModelDir();
        try (Tokenizer tokenizer = openTokenizer(dir); HookedTransformer model = loadModel(dir)) {
            List<String> names = resolveHooks(model, requested);
            int[] ids = tokens(tokenizer, model);
            // logits is written from the cache's own logits, so it is never cached twice
            List<String> activations = names.stream().filter(n -> !n.equals(HookNames.LOGITS)).toList();
            SafetensorsWriter writer = new SafetensorsWriter()
                    .metadata("model", dir.toString())
                    .metadata("tokens", Arrays.stream(ids).mapToObj(Integer::toString)
                            .collect(Collectors.joining(",")))
                    .metadata("hooks", String.join(",", names));
            Map<String, long[]> shapes = new LinkedHashMap<>();
            long bytes = 0;
            try (ActivationCache cache = model.runWithCache(TokenBatch.of(ids), activations)) {
                for (String name : activations) {
                    bytes += add(writer, shapes, name, cache.get(name));
                }
                bytes += add(writer, shapes, HookNames.LOGITS, cache.logits());
            }
            Path target = out.toAbsolutePath();
            if (target.getParent() != null) {
                Files.createDirectories(target.getParent());
            }
            writer.write(target);
            report(ids.length, shapes, bytes);
        }
        return 0;
    }

    /** The requested names, validated, in request order without repeats; 'all' gives every hook point. */
    private List<String> resolveHooks(HookedTransformer model, List<String> requested) {
        if (requested.contains(ALL)) {
            return new ArrayList<>(model.hookNames());
        }
        Set<String> names = new LinkedHashSet<>();
        for (String name : requested) {
            try {
                model.hooks().requireValid(name);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            names.add(name);
        }
        return new ArrayList<>(names);
    }

    private static long add(SafetensorsWriter writer, Map<String, long[]> shapes, String name, NDArray array) {
        NDArray f32 = array.getDataType() == DataType.FLOAT32 ? array : array.toType(DataType.FLOAT32, false);
        long[] shape = f32.getShape().getShape();
        float[] data = f32.toFloatArray();
        writer.addF32(name, data, shape);
        shapes.put(name, shape);
        return 4L * data.length;
    }

    private void report(int tokens, Map<String, long[]> shapes, long bytes) {
        PrintWriter w = out();
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("out", out.toAbsolutePath().toString());
            JsonObject tensors = new JsonObject();
            shapes.forEach((name, shape) -> {
                JsonArray s = new JsonArray();
                for (long d : shape) {
                    s.add(d);
                }
                tensors.add(name, s);
            });
            o.add("tensors", tensors);
            w.println(JsonOutput.toJson(o));
        } else {
            w.printf("wrote %d tensors (%d hook points + logits, %s) for %d tokens to %s%n", shapes.size(),
                    shapes.size() - 1, humanBytes(bytes), tokens, out.toAbsolutePath());
        }
        w.flush();
    }

    private static String humanBytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format("%.1f KiB", bytes / 1024.0);
        }
        return String.format("%.1f MiB", bytes / (1024.0 * 1024));
    }
}
