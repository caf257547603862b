package org.mechinterp.examples.physics.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Text and byte files written atomically: a temporary sibling, then an atomic rename over the target. */
final class AtomicText {
    private AtomicText() {}

    static void write(Path file, String text) throws IOException {
        write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    static void write(Path file, byte[] bytes) throws IOException {
        org.mechinterp.core.io.AtomicFile.writeBytes(file, bytes);   // mode by umask, named errors
    }
}
