package org.mechinterp.sae.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of files and strings, as lower-case hex. */
public final class Checksums {
    private Checksums() {
    }

    /**
     * A new SHA-256 digest (every JVM provides it).
     *
     * @return a fresh, unshared digest
     */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    /**
     * Streams the whole file through SHA-256 (1 MiB reads: no mapping, so a file truncated meanwhile is safe).
     *
     * @param file the file to hash
     * @return the SHA-256 of its bytes as lower-case hex
     * @throws IOException if the file cannot be read
     */
    public static String sha256(Path file) throws IOException {
        MessageDigest md = sha256();
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (ch.read(buf) >= 0) {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * SHA-256 of a string's UTF-8 bytes.
     *
     * @param text the text to hash
     * @return the digest as lower-case hex
     */
    public static String sha256(String text) {
        return HexFormat.of().formatHex(sha256().digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}
