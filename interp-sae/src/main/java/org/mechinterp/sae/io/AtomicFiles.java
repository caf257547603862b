package org.mechinterp.sae.io;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Atomic file and folder publication: content is written to a hidden temporary sibling, forced to disk and renamed
 * with {@link StandardCopyOption#ATOMIC_MOVE}, so a reader (or a resumed run after a crash) sees the old state or
 * the complete new one, never a partial write.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes {@code text} (UTF-8) to {@code target} atomically; the parent folder must exist. */
    public static void writeString(Path target, String text) throws IOException {
        org.mechinterp.core.io.AtomicFile.writeString(target, text);
    }

    /**
     * Creates a hidden, empty temporary folder beside {@code target} (same file system, so it can be renamed onto
     * it with {@link #publishDirectory}).
     */
    public static Path tempDirectoryFor(Path target) throws IOException {
        return tempSibling(target.toAbsolutePath(), true);
    }

    /**
     * Renames a fully written folder {@code tmp} to {@code target} atomically. {@code target} must not exist (a
     * folder cannot atomically replace a non-empty folder).
     *
     * @throws FileAlreadyExistsException if {@code target} exists
     */
    public static void publishDirectory(Path tmp, Path target) throws IOException {
        if (Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString());
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Deletes a folder tree (best effort for what cannot be deleted is not attempted: errors propagate). */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static Path tempSibling(Path abs, boolean directory) throws IOException {
        Path dir = abs.getParent();
        for (int attempt = 0;; attempt++) {
            String name = "." + abs.getFileName() + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(),
                    36) + ".tmp";
            try {
                return directory ? Files.createDirectory(dir.resolve(name)) : Files.createFile(dir.resolve(name));
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
            }
        }
    }
}
