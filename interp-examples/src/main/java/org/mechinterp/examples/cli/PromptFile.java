package org.mechinterp.examples.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The prompts of {@code scopes --prompts FILE}: a {@code .txt} file with one prompt per line, or a {@code .jsonl}
 * file with one object per line: {@code text} (or {@code tokens}, an array of ids), optional {@code position}
 * (negative counts from the end) and optional {@code target} (a token id). Blank lines are skipped; a prompt's
 * index counts the prompts before it, not the lines.
 */
final class PromptFile {
    /** One prompt: its text or ids (exactly one non-null), position and target (null for the defaults). */
    record Entry(int line, String text, int[] tokens, Integer position, Integer target) {}

    private PromptFile() {}

    /**
     * @throws IllegalArgumentException naming the line of the first malformed entry, or for a file without prompts
     *     or with an extension other than .txt / .jsonl
     */
    static List<Entry> read(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean jsonl = name.endsWith(".jsonl");
        if (!jsonl && !name.endsWith(".txt")) {
            throw new IllegalArgumentException("--prompts must be a .txt (one prompt a line) or .jsonl file, got "
                    + file);
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            out.add(jsonl ? parseJson(line, i + 1, file) : new Entry(i + 1, line, null, null, null));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no prompts in " + file);
        }
        return out;
    }

    private static Entry parseJson(String line, int number, Path file) {
        String where = file.getFileName() + " line " + number;
        JsonObject o;
        try {
            JsonElement e = JsonParser.parseString(line);
            if (!e.isJsonObject()) {
                throw new IllegalArgumentException(where + ": expected a JSON object");
            }
            o = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(where + ": invalid JSON (" + e.getMessage() + ")");
        }
        boolean hasText = o.has("text") && !o.get("text").isJsonNull();
        boolean hasTokens = o.has("tokens") && !o.get("tokens").isJsonNull();
        if (hasText == hasTokens) {
            throw new IllegalArgumentException(where + ": give exactly one of \"text\" or \"tokens\"");
        }
        try {
            String text = hasText ? o.get("text").getAsString() : null;
            if (text != null && text.isEmpty()) {
                throw new IllegalArgumentException(where + ": empty \"text\"");
            }
            int[] tokens = hasTokens ? ids(o.getAsJsonArray("tokens"), where) : null;
            return new Entry(number, text, tokens, integer(o, "position"), integer(o, "target"));
        } catch (ClassCastException | IllegalStateException | NumberFormatException e) {
            throw new IllegalArgumentException(where + ": wrong field type (" + e.getMessage() + ")");
        }
    }

    private static int[] ids(JsonArray a, String where) {
        if (a.isEmpty()) {
            throw new IllegalArgumentException(where + ": empty \"tokens\"");
        }
        int[] ids = new int[a.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = a.get(i).getAsInt();
        }
        return ids;
    }

    private static Integer integer(JsonObject o, String field) {
        return o.has(field) && !o.get(field).isJsonNull() ? o.get(field).getAsInt() : null;
    }
}
