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

    /**
     * Writes {@code text} (UTF-8) to {@code target} atomically; the parent folder must exist.
     *
     * @param target the file to create or replace
     * @param text the content, written as UTF-8
     * @throws IOException if writing or renaming fails
     */
    public static void writeString(Path target, String text) throws IOException {
        org.mechinterp.core.io.AtomicFile.writeString(target, text);
    }

    /**
     * Creates a hidden, empty temporary folder beside {@code target} (same file system, so it can be renamed onto
     * it with {@link #publishDirectory}).
     *
     * @param target the folder that will be published
     * @return the new temporary folder (absolute)
     * @throws IOException if the folder cannot be created
     */
    public static Path tempDirectoryFor(Path target) throws IOException {
        return tempSibling(target.toAbsolutePath(), true);
    }

    /**
     * Renames a fully written folder {@code tmp} to {@code target} atomically. {@code target} must not exist (a
     * folder cannot atomically replace a non-empty folder).
     *
     * @param tmp the fully written temporary folder, normally from {@link #tempDirectoryFor}
     * @param target the final folder name, which must not exist yet
     * @throws FileAlreadyExistsException if {@code target} exists
     */
    public static void publishDirectory(Path tmp, Path target) throws IOException {
        if (Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString());
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Deletes a folder tree (best effort for what cannot be deleted is not attempted: errors propagate).
     *
     * @param dir the folder to delete with everything under it; nothing happens if it does not exist
     * @throws IOException if a file or folder cannot be deleted
     */
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
