package org.mechinterp.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {
    @TempDir
    Path tmp;

    /** Published files get a new file's usual (umask) mode, not createTempFile's owner-only 0600. */
    @Test
    void writtenFilesHaveTheModeOfAnyNewFile() throws IOException {
        Path reference = Files.createFile(tmp.resolve("reference"));
        Set<PosixFilePermission> usual = Files.getPosixFilePermissions(reference);
        assertTrue(usual.contains(PosixFilePermission.OTHERS_READ) || usual.contains(PosixFilePermission.GROUP_READ)
                || !usual.contains(PosixFilePermission.OWNER_READ), "test premise: the umask lets others read "
                + usual);
        Path report = tmp.resolve("report.html");
        AtomicFile.writeString(report, "<html></html>");
        assertEquals(usual, Files.getPosixFilePermissions(report));
        assertEquals("<html></html>", Files.readString(report));
        Path tensors = tmp.resolve("t.safetensors");
        new SafetensorsWriter().addF32("x", new float[] {1, 2}, 2).write(tensors);
        assertEquals(usual, Files.getPosixFilePermissions(tensors));
    }

    /** A failed write (here: the disk fills mid-way) names the file, keeps the old content, leaves no temp file. */
    @Test
    void aFailedWriteNamesTheFileAndKeepsTheOldOne() throws IOException {
        Path target = tmp.resolve("results.json");
        AtomicFile.writeString(target, "old");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(target, out -> {
            out.write(new byte[100_000]);
            throw new IOException("No space left on device");
        }));
        assertTrue(e.getMessage().contains(target.toString()) && e.getMessage().contains("No space left on device"),
                e.getMessage());
        assertTrue(e instanceof FileSystemException);
        assertEquals("old", Files.readString(target));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(1, s.count(), "no .tmp sibling left");
        }
    }

    /** A missing folder is reported for the target, not for the hidden temporary sibling. */
    @Test
    void aMissingFolderNamesTheTarget() {
        Path target = tmp.resolve("no-such-folder").resolve("report.html");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.writeString(target, "x"));
        assertEquals(target + ": cannot write: its folder does not exist", e.getMessage());
    }

    /** Messages that already name the path are kept. */
    @Test
    void namingKeepsAMessageThatNamesThePath() {
        Path p = tmp.resolve("a");
        IOException named = new IOException("cannot open " + p);
        assertEquals(named, AtomicFile.naming(p, named));
        assertEquals(p + ": cannot write: Input/output error",
                AtomicFile.naming(p, new IOException("Input/output error")).getMessage());
    }
}
