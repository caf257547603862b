package org.mechinterp.nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mechinterp.core.model.ActivationCache;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An {@link ActivationCache} seen from ND4J: each cached activation as an {@code INDArray} view of the cache's own
 * memory (no copy for the contiguous arrays the forward pass records; see {@link Nd4jArrays#toINDArrayView}), and
 * the whole cache exported as {@code .npy} files.
 *
 * <p>Views are valid until the cache is closed; copy what must outlive it ({@code view.dup()}). Writing through a
 * view changes the cached activation. The cache is not modified otherwise.
 */
public final class Nd4jCaches {
    /** File name (without {@code .npy}) the logits are exported under. */
    public static final String LOGITS = "logits";

    private Nd4jCaches() {}

    /**
     * The activation cached under {@code name}, as a view.
     *
     * @param cache an open cache
     * @param name a cached hook point (or {@code NAME_grad} for a gradient)
     * @return an {@code INDArray} of the activation's shape and type, valid until the cache is closed
     * @throws IllegalArgumentException if nothing is cached under that name (the message lists what is)
     */
    public static INDArray view(ActivationCache cache, String name) {
        return Nd4jArrays.toINDArrayView(cache.get(name));
    }

    /**
     * Every cached activation as a view, in recording order.
     *
     * @param cache an open cache
     * @return name → view, valid until the cache is closed
     */
    public static Map<String, INDArray> views(ActivationCache cache) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (String name : cache.names()) {
            out.put(name, view(cache, name));
        }
        return out;
    }

    /**
     * Writes each cached activation to {@code dir/NAME.npy} and the logits, when the cache has them, to
     * {@code dir/logits.npy} (each file atomically, through ND4J, in the cache's types and shapes).
     *
     * @param cache an open cache
     * @param dir the folder, created if missing
     * @return the number of files written
     * @throws IllegalArgumentException if a cached name cannot be a file name (a path separator, or {@value #LOGITS})
     * @throws IOException on I/O errors
     */
    public static int exportNpy(ActivationCache cache, Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String name : cache.names()) {
            if (name.contains("/") || name.contains("\\") || name.equals(LOGITS) || name.startsWith(".")) {
                throw new IllegalArgumentException("cached name '" + name + "' cannot be exported as a file name");
            }
        }
        int files = 0;
        for (String name : cache.names()) {
            Nd4jNpy.write(cache.get(name), dir.resolve(name + ".npy"));
            files++;
        }
        if (cache.logits() != null) {
            Nd4jNpy.write(cache.logits(), dir.resolve(LOGITS + ".npy"));
            files++;
        }
        return files;
    }
}
