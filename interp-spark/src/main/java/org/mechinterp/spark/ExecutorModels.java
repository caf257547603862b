package org.mechinterp.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.spark.SparkFiles;
import org.mechinterp.core.Interp;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.sae.io.SparsifyFormat;
import org.mechinterp.sae.model.Sae;
import org.mechinterp.sae.store.WeightsFingerprint;

/**
 * The models of this JVM (a Spark executor, or the driver in local mode), each loaded once and kept for the JVM's
 * life, keyed by the path given: tasks of one executor share one copy of the weights instead of loading them per
 * task. A path that is not a folder here is looked up among the files shipped with the job ({@code --files},
 * {@code --archives}: {@link SparkFiles#get}) by its last name. Thread-safe; the returned model is not, so
 * callers run it inside {@code synchronized (loaded)} (libtorch already spreads one pass over the executor's
 * cores, see the README on {@code spark.task.cpus}).
 */
final class ExecutorModels {
    private static final Map<String, Loaded> MODELS = new ConcurrentHashMap<>();
    private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();
    private static final Map<String, Sae> SAES = new ConcurrentHashMap<>();

    private ExecutorModels() {
    }

    /** A model loaded in this JVM and the folder it came from; lock it while running it. */
    static final class Loaded {
        final HookedTransformer model;
        final Path dir;
        private String fingerprint;

        Loaded(HookedTransformer model, Path dir) {
            this.model = model;
            this.dir = dir;
        }

        /** The weights fingerprint, computed once (one pass over the weights). */
        synchronized String fingerprint() {
            if (fingerprint == null) {
                fingerprint = WeightsFingerprint.of(model);
            }
            return fingerprint;
        }
    }

    /**
     * The model at {@code path}, loading it on first use in this JVM.
     *
     * @throws IllegalArgumentException if the folder is not there on this machine (naming path and host)
     */
    static Loaded model(String path) {
        return MODELS.computeIfAbsent(path, p -> {
            Path dir = resolve(p, "config.json");
            Interp.configureDjl();
            try {
                return new Loaded(HookedTransformer.load(dir), dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load the model in " + dir + " on " + host() + ": "
                        + e.getMessage(), e);
            }
        });
    }

    /** The tokenizer of the model at {@code path}, or null when its folder has no {@code tokenizer.json}. */
    static Tokenizer tokenizer(String path) {
        Path dir = resolve(path, "config.json");
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            return null;
        }
        return TOKENIZERS.computeIfAbsent(path, p -> {
            try {
                return Tokenizer.load(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load the tokenizer in " + dir + " on " + host() + ": "
                        + e.getMessage(), e);
            }
        });
    }

    /** The SAE in folder {@code path} (SAELens or sparsify layout), loading it on first use in this JVM. */
    static Sae sae(String path) {
        return SAES.computeIfAbsent(path, p -> {
            Path dir = resolve(p, null);
            try {
                return SparsifyFormat.loadAny(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load the SAE in " + dir + " on " + host() + ": "
                        + e.getMessage(), e);
            }
        });
    }

    /** The folder for {@code path} on this machine: as given, else shipped with the job under its last name. */
    static Path resolve(String path, String mustHold) {
        Path dir = Path.of(path);
        if (!Files.isDirectory(dir)) {
            Path shipped = shipped(dir.getFileName() == null ? path : dir.getFileName().toString());
            if (shipped == null) {
                throw new IllegalArgumentException("folder " + path + " does not exist on executor " + host()
                        + " (give a path every executor can read, or ship the folder with --archives)");
            }
            dir = shipped;
        }
        if (mustHold != null && !Files.isRegularFile(dir.resolve(mustHold))) {
            throw new IllegalArgumentException("folder " + dir + " on executor " + host() + " has no " + mustHold
                    + ": not a Hugging Face model folder");
        }
        return dir;
    }

    private static Path shipped(String name) {
        try {
            Path p = Path.of(SparkFiles.get(name));
            return Files.isDirectory(p) ? p : null;
        } catch (RuntimeException e) {
            return null; // no SparkContext in this JVM (plain library use): nothing shipped
        }
    }

    /** This machine's name, for messages. */
    static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "(unknown host)";
        }
    }
}
