package org.mechinterp.models;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Copies a model folder shipped on the class path (in the jar or in {@code target/classes}) once into a cache
 * folder named after a hash of its content, so a changed model never reuses a stale copy. The copy is written to a
 * temporary sibling folder and renamed into place, so a concurrent or interrupted extraction never leaves a
 * half-written model behind. Shared by {@link EmbeddedModel} and {@link EmbeddedPhysicsModel}.
 *
 * <p>Cache location: {@code $interp.cache.dir/models} if that system property is set, else
 * {@code $XDG_CACHE_HOME/interp/models}, else {@code ~/.cache/interp/models}; if none of these can be created, a
 * folder under {@code java.io.tmpdir}.
 */
final class EmbeddedResources {
    private EmbeddedResources() {}

    /**
     * Extracts {@code files} of the class-path folder {@code resourceDir} (relative to {@code anchor}'s package)
     * into a cache folder named {@code name-HASH}.
     *
     * @param anchor the class whose package the resource folder is relative to
     * @param name the model's name (the cache folder's prefix)
     * @param resourceDir the class-path folder, relative to {@code anchor}'s package, ending in {@code /}
     * @param fileNames the files to copy
     * @return the absolute folder holding every file
     * @throws IOException if a resource is missing or no cache folder can be written
     */
    static Path extract(Class<?> anchor, String name, String resourceDir, List<String> fileNames) throws IOException {
        Map<String, byte[]> files = readResources(anchor, resourceDir, fileNames);
        String hash = contentHash(files);
        IOException firstFailure = null;
        for (Path root : candidateRoots()) {
            try {
                return extractInto(root, name + "-" + hash, files);
            } catch (IOException e) {
                if (firstFailure == null) {
                    firstFailure = e;
                } else {
                    firstFailure.addSuppressed(e);
                }
            }
        }
        throw firstFailure != null ? firstFailure : new IOException("no cache folder available");
    }

    private static Map<String, byte[]> readResources(Class<?> anchor, String resourceDir, List<String> fileNames)
            throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : fileNames) {
            try (InputStream in = anchor.getResourceAsStream(resourceDir + name)) {
                if (in == null) {
                    throw new IOException("resource " + resourceDir + name + " is not on the class path (next to "
                            + anchor.getName() + ")");
                }
                files.put(name, in.readAllBytes());
            }
        }
        return files;
    }

    /** First 16 hex digits of SHA-256 over every file's name, length and bytes. */
    private static String contentHash(Map<String, byte[]> files) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(Long.toString(e.getValue().length).getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(e.getValue());
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    private static List<Path> candidateRoots() {
        String configured = System.getProperty("interp.cache.dir");
        if (configured != null && !configured.isBlank()) {
            return List.of(Paths.get(configured).resolve("models"));
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path userCache = xdg != null && !xdg.isBlank() ? Paths.get(xdg).resolve("interp")
                : Paths.get(System.getProperty("user.home", "."), ".cache", "interp");
        Path tmp = Paths.get(System.getProperty("java.io.tmpdir"),
                "interp-" + System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_"));
        return List.of(userCache.resolve("models"), tmp.resolve("models"));
    }

    private static Path extractInto(Path root, String folderName, Map<String, byte[]> files) throws IOException {
        Path target = root.resolve(folderName).toAbsolutePath();
        if (isComplete(target, files)) {
            return target;
        }
        Files.createDirectories(root);
        Path tmp = Files.createTempDirectory(root, "." + folderName + ".tmp");
        try {
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                Files.write(tmp.resolve(e.getKey()), e.getValue());
            }
            if (Files.exists(target) && !isComplete(target, files)) {
                deleteTree(target); // damaged by hand: replace it
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target);
            }
        } catch (IOException e) {
            // Another process renamed its copy into place first (rename onto a non-empty folder fails with
            // "Directory not empty"): that copy is complete, use it.
            if (!isComplete(target, files)) {
                throw e;
            }
        } finally {
            deleteTree(tmp);
        }
        return target;
    }

    /** Whether {@code dir} holds every file with the expected size (the folder name already pins the content). */
    private static boolean isComplete(Path dir, Map<String, byte[]> files) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try {
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                Path f = dir.resolve(e.getKey());
                if (!Files.isRegularFile(f) || Files.size(f) != e.getValue().length) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
