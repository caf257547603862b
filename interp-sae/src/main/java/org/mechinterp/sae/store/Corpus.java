package org.mechinterp.sae.store;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import org.mechinterp.core.tokenizer.Tokenizer;

/**
 * A corpus of prompts to capture, read line by line from a file.
 *
 * <ul>
 *   <li>{@code .txt}: one text prompt per line, tokenized with the model's tokenizer (with its special tokens,
 *   e.g. a leading BOS for Llama); blank lines are skipped.</li>
 *   <li>{@code .jsonl}: one JSON object per non-blank line with either {@code "text"} (a string) or
 *   {@code "tokens"} (an array of token ids, used as given), and optionally {@code "labels"}: an object mapping
 *   label names to arrays of numbers, one per token ({@code null} for a missing value, stored as NaN). A label
 *   array's length must equal the prompt's token count, either before or after {@code context} truncation.
 *   The first prompt fixes the label names; every prompt must then carry exactly those names (in any order).</li>
 * </ul>
 *
 * <p>Prompt ids count prompts (not lines) from 0. Prompts longer than {@code context} tokens (when context &gt; 0)
 * keep their first {@code context} tokens and labels. Every problem is an {@link IllegalArgumentException} naming
 * the file and line. Immutable; {@link #open()} returns an independent cursor.
 */
public final class Corpus {
    private final Path file;
    private final boolean jsonl;
    private final Tokenizer tokenizer;
    private final int vocabSize;
    private final int context;
    private final List<String> labelNames;

    private Corpus(Path file, boolean jsonl, Tokenizer tokenizer, int vocabSize, int context, List<String> labels) {
        this.file = file;
        this.jsonl = jsonl;
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
        this.context = context;
        this.labelNames = labels;
    }

    /** One prompt: its id, the line it came from (1-based), its tokens and labels [T, nLabels] row-major. */
    public record Prompt(long id, long line, int[] tokens, float[] labels) {
        /**
         * Number of tokens T.
         *
         * @return T, the number of token ids after truncation to the context
         */
        public int length() {
            return tokens.length;
        }
    }

    /**
     * Opens a corpus, reading its first prompt to learn the label names.
     *
     * @param file a {@code .txt} or {@code .jsonl} file
     * @param tokenizer encodes text prompts; may be null when every prompt gives token ids
     * @param vocabSize token ids must lie in [0, vocabSize)
     * @param context tokens kept per prompt; 0 keeps all
     * @return the open corpus (it holds no open file; each {@link #open()} cursor does)
     * @throws IllegalArgumentException for another extension, a negative context, an empty corpus, or a bad first
     *     prompt (the message names the line)
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     */
    public static Corpus open(Path file, Tokenizer tokenizer, int vocabSize, int context) throws IOException {
        Objects.requireNonNull(file, "file");
        boolean jsonl = isJsonl(file.getFileName().toString());
        if (context < 0) {
            throw new IllegalArgumentException("context must be ≥ 0 (0 = no truncation), got " + context);
        }
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "corpus file does not exist");
        }
        Corpus probe = new Corpus(file, jsonl, tokenizer, vocabSize, context, null);
        try (Cursor c = probe.open()) {
            Prompt first = c.next();
            if (first == null) {
                throw new IllegalArgumentException("corpus " + file + " has no prompts (only blank lines)");
            }
            return new Corpus(file, jsonl, tokenizer, vocabSize, context, List.copyOf(c.labelNames));
        }
    }

    /**
     * Whether a corpus file name means JSON lines ({@code .jsonl}) rather than text ({@code .txt}).
     *
     * @param fileName the corpus file's name
     * @return true for {@code .jsonl}, false for {@code .txt} (case-insensitive)
     * @throws IllegalArgumentException for another extension
     */
    public static boolean isJsonl(String fileName) {
        String name = fileName.toLowerCase(Locale.ROOT);
        if (name.endsWith(".jsonl")) {
            return true;
        }
        if (name.endsWith(".txt")) {
            return false;
        }
        throw new IllegalArgumentException("corpus " + fileName + ": unknown format; use .txt (one prompt per line) "
                + "or .jsonl (objects with \"text\" or \"tokens\" and optional \"labels\")");
    }

    /**
     * The label names of one {@code .jsonl} line (the keys of its {@code "labels"} object, in order; empty when it
     * has none): the first prompt's names fix a corpus's label columns.
     *
     * @param fileName the corpus as named in error messages
     * @param line 1-based line number, for messages
     * @param text the line's text
     * @return the label names in key order, possibly empty
     * @throws IllegalArgumentException if the line is not a JSON object or its labels are not an object
     */
    public static List<String> labelNamesOf(String fileName, long line, String text) {
        try {
            JsonElement el = JsonParser.parseString(text);
            if (el.isJsonObject()) {
                JsonElement labels = el.getAsJsonObject().get("labels");
                if (labels == null || labels.isJsonNull()) {
                    return List.of();
                }
                if (labels.isJsonObject()) {
                    return List.copyOf(labels.getAsJsonObject().keySet());
                }
            }
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("corpus " + fileName + " line " + line + ": not valid JSON: "
                    + e.getMessage());
        }
        throw new IllegalArgumentException("corpus " + fileName + " line " + line
                + ": expected a JSON object whose \"labels\" is an object {name: [number per token]}");
    }

    /**
     * The corpus file.
     *
     * @return the corpus file path as opened
     */
    public Path file() {
        return file;
    }

    /**
     * Label column names fixed by the first prompt (empty when it has no labels).
     *
     * @return the label names, unmodifiable
     */
    public List<String> labelNames() {
        return labelNames;
    }

    /**
     * Tokens kept per prompt (0 = all).
     *
     * @return the context in tokens, or 0
     */
    public int context() {
        return context;
    }

    /**
     * A new cursor at the first prompt; close it.
     *
     * @return a cursor reading the file from its start
     * @throws IOException if the file cannot be opened
     */
    public Cursor open() throws IOException {
        return new Cursor(Files.newBufferedReader(file, StandardCharsets.UTF_8));
    }

    /** Reads prompts in order. Not thread-safe. */
    public final class Cursor implements Closeable {
        private final BufferedReader in;
        private long line;
        private long nextId;
        private List<String> labelNames = Corpus.this.labelNames;
        private LineParser parser;

        private Cursor(BufferedReader in) {
            this.in = in;
        }

        /**
         * The next prompt, or null at the end.
         *
         * @return the next prompt with its id and tokens, or null when the corpus is exhausted
         * @throws IllegalArgumentException for a malformed prompt (naming file and line)
         * @throws IOException if reading the file fails
         */
        public Prompt next() throws IOException {
            String text = nextLine();
            return text == null ? null : parse(text);
        }

        /**
         * Skips {@code count} prompts without tokenizing them (for resuming).
         *
         * @param count number of prompts to skip, ≥ 0
         * @throws IOException if reading the file fails
         * @throws IllegalArgumentException if the corpus has fewer than {@code count} prompts left
         */
        public void skip(long count) throws IOException {
            for (long i = 0; i < count; i++) {
                if (nextLine() == null) {
                    throw new IllegalArgumentException("corpus " + file + " has only " + nextId
                            + " prompts, fewer than the " + count + " to skip");
                }
                nextId++;
            }
        }

        private String nextLine() throws IOException {
            String s;
            while ((s = in.readLine()) != null) {
                line++;
                if (!s.isBlank()) {
                    return s;
                }
            }
            return null;
        }

        private Prompt parse(String text) {
            if (parser == null) {
                parser = new LineParser(file.toString(), jsonl, tokenizer, vocabSize, context, labelNames);
            }
            Prompt p = parser.parse(text, nextId++, line);
            labelNames = parser.labelNames;
            return p;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /**
     * Parses single corpus lines by the rules above, for readers that split a corpus among workers: each worker
     * parses its own lines given their prompt ids and line numbers, with the label columns fixed up front (or by
     * the first line it parses, when given null). Errors name {@code fileName} and the line. Not thread-safe.
     */
    public static final class LineParser {
        private final String file;
        private final boolean jsonl;
        private final Tokenizer tokenizer;
        private final int vocabSize;
        private final int context;
        private List<String> labelNames;
        private long line;

        /**
         * @param fileName the corpus as named in error messages
         * @param jsonl whether lines are JSON objects (else text prompts)
         * @param tokenizer encodes text prompts; may be null when every prompt gives token ids (borrowed)
         * @param labelNames the label columns every prompt must carry, or null to let the first parsed line fix them
         * @param vocabSize token ids must lie in [0, vocabSize)
         * @param context tokens kept per prompt; 0 keeps all
         */
        public LineParser(String fileName, boolean jsonl, Tokenizer tokenizer, int vocabSize, int context,
                List<String> labelNames) {
            this.file = fileName;
            this.jsonl = jsonl;
            this.tokenizer = tokenizer;
            this.vocabSize = vocabSize;
            this.context = context;
            this.labelNames = labelNames == null ? null : List.copyOf(labelNames);
        }

        /**
         * The label columns (null before the first line when not given).
         *
         * @return the label names fixed so far, or null before the first line when none were given
         */
        public List<String> labelNames() {
            return labelNames;
        }

        /**
         * Parses one non-blank line.
         *
         * @param id the prompt id to give it
         * @param text the line's text
         * @param line its 1-based line number (for messages)
         * @return the prompt, its tokens truncated to the context
         * @throws IllegalArgumentException for a malformed prompt, naming the file and line
         */
        public Prompt parse(String text, long id, long line) {
            this.line = line;
            int[] tokens;
            JsonObject labelsJson = null;
            if (!jsonl) {
                tokens = encode(text);
            } else {
                JsonObject obj;
                try {
                    JsonElement el = JsonParser.parseString(text);
                    if (!el.isJsonObject()) {
                        throw bad("expected a JSON object");
                    }
                    obj = el.getAsJsonObject();
                } catch (JsonParseException e) {
                    throw bad("not valid JSON: " + e.getMessage());
                }
                boolean hasText = obj.has("text");
                boolean hasTokens = obj.has("tokens");
                if (hasText == hasTokens) {
                    throw bad("give exactly one of \"text\" or \"tokens\"");
                }
                if (hasText) {
                    JsonElement t = obj.get("text");
                    if (!t.isJsonPrimitive() || !t.getAsJsonPrimitive().isString() || t.getAsString().isEmpty()) {
                        throw bad("\"text\" must be a non-empty string");
                    }
                    tokens = encode(t.getAsString());
                } else {
                    tokens = tokenArray(obj.get("tokens"));
                }
                if (obj.has("labels") && !obj.get("labels").isJsonNull()) {
                    if (!obj.get("labels").isJsonObject()) {
                        throw bad("\"labels\" must be an object {name: [number per token]}");
                    }
                    labelsJson = obj.getAsJsonObject("labels");
                }
            }
            for (int i = 0; i < tokens.length; i++) {
                if (tokens[i] < 0 || tokens[i] >= vocabSize) {
                    throw bad("token id " + tokens[i] + " at position " + i + " is outside the vocabulary [0, "
                            + vocabSize + ")");
                }
            }
            int full = tokens.length;
            int kept = context > 0 ? Math.min(context, full) : full;
            float[] labels = labels(labelsJson, full, kept);
            return new Prompt(id, line, kept == full ? tokens : Arrays.copyOf(tokens, kept), labels);
        }

        private int[] encode(String text) {
            if (tokenizer == null) {
                throw bad("text prompt, but the model folder has no tokenizer.json: give \"tokens\" in a .jsonl corpus");
            }
            int[] ids = tokenizer.encode(text);
            if (ids.length == 0) {
                throw bad("text encodes to no tokens");
            }
            return ids;
        }

        private int[] tokenArray(JsonElement el) {
            if (!el.isJsonArray() || el.getAsJsonArray().isEmpty()) {
                throw bad("\"tokens\" must be a non-empty array of token ids");
            }
            JsonArray a = el.getAsJsonArray();
            int[] out = new int[a.size()];
            for (int i = 0; i < out.length; i++) {
                JsonElement v = a.get(i);
                try {
                    if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
                        throw new NumberFormatException();
                    }
                    out[i] = Integer.parseInt(v.getAsString());
                } catch (NumberFormatException e) {
                    throw bad("\"tokens\"[" + i + "] = " + v + " is not an integer token id");
                }
            }
            return out;
        }

        private float[] labels(JsonObject json, int full, int kept) {
            List<String> names = new ArrayList<>();
            if (json != null) {
                json.keySet().forEach(names::add);
            }
            if (labelNames == null) {
                labelNames = names; // the first prompt fixes the label columns
            } else if (!(names.size() == labelNames.size() && names.containsAll(labelNames))) {
                throw bad("labels " + names + " differ from the corpus's label columns " + labelNames
                        + " (fixed by its first prompt)");
            }
            int nl = labelNames.size();
            float[] out = new float[kept * nl];
            for (int c = 0; c < nl; c++) {
                String name = labelNames.get(c);
                JsonElement el = json.get(name);
                if (!el.isJsonArray()) {
                    throw bad("label \"" + name + "\" must be an array of numbers, one per token");
                }
                JsonArray a = el.getAsJsonArray();
                if (a.size() != full && a.size() != kept) {
                    throw bad("label \"" + name + "\" has " + a.size() + " values but the prompt has " + full
                            + " tokens" + (kept != full ? " (" + kept + " after truncation to --context " + context
                            + ")" : "") + "; give one value per token");
                }
                for (int t = 0; t < kept; t++) {
                    JsonElement v = a.get(t);
                    float f;
                    if (v.isJsonNull()) {
                        f = Float.NaN;
                    } else if (v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()) {
                        f = v.getAsFloat();
                    } else {
                        throw bad("label \"" + name + "\"[" + t + "] = " + v + " is not a number or null");
                    }
                    out[t * nl + c] = f;
                }
            }
            return out;
        }

        private IllegalArgumentException bad(String message) {
            return new IllegalArgumentException("corpus " + file + " line " + line + ": " + message);
        }
    }

    /** Counts prompts and tokens (after truncation), validating every line; used for progress and early errors. */
    Totals scan() throws IOException {
        long prompts = 0;
        long tokens = 0;
        int longest = 0;
        long longestLine = 0;
        try (Cursor c = open()) {
            Prompt p;
            while ((p = c.next()) != null) {
                prompts++;
                tokens += p.length();
                if (p.length() > longest) {
                    longest = p.length();
                    longestLine = p.line();
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return new Totals(prompts, tokens, longest, longestLine);
    }

    /** Prompt and token counts after truncation, and the longest prompt with its line. */
    record Totals(long prompts, long tokens, int longest, long longestLine) {
    }
}
