package org.mechinterp.examples.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSON-lines output that survives interruption: each record is one line ending in '\n', flushed by the caller
 * after each batch. Opening an existing file keeps its complete lines (each must parse as a JSON object) and cuts
 * off a partial last line, the only damage a kill in the middle of a write leaves; the caller then skips the
 * records already there and appends the rest.
 */
final class ResumableJsonl implements Closeable {
    private final List<JsonObject> existing;
    private final BufferedWriter writer;

    private ResumableJsonl(List<JsonObject> existing, BufferedWriter writer) {
        this.existing = existing;
        this.writer = writer;
    }

    /**
     * Opens {@code file} for appending, creating it if absent.
     *
     * @throws IllegalArgumentException if a complete line is not a JSON object (not an output of this command)
     */
    static ResumableJsonl open(Path file) throws IOException {
        List<JsonObject> kept = new ArrayList<>();
        if (Files.exists(file)) {
            long end = endOfLastCompleteLine(file);
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(end);
            }
            try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                String line;
                int number = 0;
                while ((line = r.readLine()) != null) {
                    number++;
                    kept.add(parse(line, number, file));
                }
            }
        }
        BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        return new ResumableJsonl(kept, w);
    }

    /** The records already in the file when it was opened (complete lines only), in order. */
    List<JsonObject> existing() {
        return existing;
    }

    /** Appends one record as one line (buffered until {@link #flush()}). */
    void append(JsonObject record) throws IOException {
        writer.write(JsonOutput.toJson(record));
        writer.write('\n');
    }

    void flush() throws IOException {
        writer.flush();
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }

    /** Byte offset just after the last '\n' (0 when there is none), scanning back from the end. */
    static long endOfLastCompleteLine(Path file) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long pos = raf.length();
            byte[] buf = new byte[8192];
            while (pos > 0) {
                int n = (int) Math.min(buf.length, pos);
                pos -= n;
                raf.seek(pos);
                raf.readFully(buf, 0, n);
                for (int i = n - 1; i >= 0; i--) {
                    if (buf[i] == '\n') {
                        return pos + i + 1;
                    }
                }
            }
            return 0;
        }
    }

    private static JsonObject parse(String line, int number, Path file) {
        try {
            JsonElement e = JsonParser.parseString(line);
            if (e.isJsonObject()) {
                return e.getAsJsonObject();
            }
        } catch (JsonParseException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(file + " line " + number + " is not a JSON object: not an output of "
                + "this command, so it is not resumed (give another --out or remove it)");
    }
}
