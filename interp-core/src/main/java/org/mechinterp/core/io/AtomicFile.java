package org.mechinterp.core.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file atomically: the content goes to a hidden sibling ({@code .NAME.RANDOM.tmp}), is forced to disk and
 * renamed over the target with {@link StandardCopyOption#ATOMIC_MOVE}, so a reader sees the old file or the whole
 * new one. The sibling is made with {@link Files#createFile}, not {@link Files#createTempFile}: the latter's mode
 * 0600 would survive the rename, and reports, plots and JSON meant to be read get the usual umask mode (0644 under
 * umask 022). A failure deletes the sibling, leaves the target as it was, and is reported as an
 * {@link IOException} naming the target ({@link #naming}), so "No space left on device" says where.
 */
public final class AtomicFile {
    private AtomicFile() {}

    /** Writes the content to an output stream (buffered; not closed by the callee). */
    @FunctionalInterface
    public interface Content {
        /**
         * Writes the file's bytes.
         *
         * @param out the stream to write to (buffered; closed by the caller)
         * @throws IOException when writing fails
         */
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes {@code text} as UTF-8.
     *
     * @param target the file to replace or create
     * @param text the content
     * @throws IOException naming {@code target}
     */
    public static void writeString(Path target, CharSequence text) throws IOException {
        writeBytes(target, text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes {@code bytes} (not modified).
     *
     * @param target the file to replace or create
     * @param bytes the content
     * @throws IOException naming {@code target}
     */
    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    /**
     * Writes what {@code content} produces; the target's folder must exist.
     *
     * @param target the file to replace or create
     * @param content what to write
     * @throws IOException naming {@code target} (e.g. "/out/report.html: No space left on device")
     */
    public static void write(Path target, Content content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path tmp = null;
        try {
            tmp = createSibling(abs);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
                content.writeTo(out);
                out.flush();
                ch.force(true);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
        } catch (IOException e) {
            throw naming(abs, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure matters more; a left-over hidden .tmp is harmless
                }
            }
        }
    }

    /**
     * {@code e} as an exception whose message names {@code path}: unchanged when it already does, otherwise a
     * {@link FileSystemException} for {@code path} with {@code e}'s message as the reason and {@code e} as the
     * cause. Many I/O failures (a full disk, a quota, an I/O error) carry only the operating system's reason.
     *
     * @param path the file the failure concerns
     * @param e the failure
     * @return an exception whose message names {@code path}
     */
    public static IOException naming(Path path, IOException e) {
        String message = e.getMessage();
        if (message != null && message.contains(path.toString())) {
            return e;
        }
        String reason = message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
        if (e instanceof FileSystemException fse && fse.getFile() != null && !fse.getFile().equals(path.toString())) {
            // about the hidden sibling: say what happened to the target instead
            reason = fse.getReason() != null ? fse.getReason()
                    : e instanceof java.nio.file.NoSuchFileException ? "its folder does not exist"
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e.getClass().getSimpleName();
        }
        FileSystemException named = new FileSystemException(path.toString(), null, "cannot write: " + reason);
        named.initCause(e);
        return named;
    }

    private static Path createSibling(Path abs) throws IOException {
        Path dir = abs.getParent();
        for (int attempt = 0;; attempt++) {
            String name = "." + abs.getFileName() + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(),
                    36) + ".tmp";
            try {
                return Files.createFile(dir.resolve(name));
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
            }
        }
    }
}
