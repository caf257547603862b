package org.mechinterp.examples.physics.model;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The digit-level vocabulary of the physics model: one token per character of a serialised series.
 *
 * <pre>
 *   id  0 &lt;pad&gt;   1 &lt;bos&gt;   2 &lt;eos&gt;        (special)
 *   id  3..12  "0".."9"
 *   id 13 ","   (between the components of one time step)
 *   id 14 ";"   (closing a time step)
 * </pre>
 *
 * {@link #writeTokenizerJson} writes it as a Hugging Face {@code tokenizer.json} (WordLevel model, a pre-tokenizer
 * that isolates every character, a post-processor that prepends {@code <bos>}, and a Fuse decoder that joins tokens
 * without spaces), so {@code org.mechinterp.core.tokenizer.Tokenizer} (and HF {@code AutoTokenizer}) encode
 * {@code "512,488;"} as {@code <bos> 5 1 2 , 4 8 8 ;} and any other character is an error. {@link #encode} is the
 * same map in plain Java, for the training loop.
 */
public final class DigitVocabulary {
    /** Id of {@code <pad>}: the model config's {@code pad_token_id}; training sequences are cut, never padded. */
    public static final int PAD = 0;
    /** Id of {@code <bos>}, prepended to every prompt. */
    public static final int BOS = 1;
    /** Id of {@code <eos>}: the model config's end-of-sequence id; the data recipe never writes it. */
    public static final int EOS = 2;
    /** Id of the digit "0"; digit d has id {@code DIGIT0 + d}. */
    public static final int DIGIT0 = 3;
    /** Id of {@code ","}, separating the components of one time step. */
    public static final int COMMA = 13;
    /** Id of {@code ";"}, closing a time step. */
    public static final int SEMICOLON = 14;
    /** Number of ids. */
    public static final int SIZE = 15;

    private static final String[] SPECIALS = {"<pad>", "<bos>", "<eos>"};

    private DigitVocabulary() {}

    /**
     * The id of one series character.
     *
     * @param c a digit {@code '0'..'9'}, {@code ','} or {@code ';'}
     * @return its id: {@code DIGIT0 + d} for digit d, {@link #COMMA} or {@link #SEMICOLON}
     * @throws IllegalArgumentException naming the character (and its code point) if it is outside the vocabulary
     */
    public static int id(char c) {
        if (c >= '0' && c <= '9') {
            return DIGIT0 + (c - '0');
        }
        if (c == ',') {
            return COMMA;
        }
        if (c == ';') {
            return SEMICOLON;
        }
        throw new IllegalArgumentException("character '" + c + "' (U+" + String.format("%04X", (int) c)
                + ") is not in the digit vocabulary (0-9 , ;)");
    }

    /**
     * @param text series text (digits and separators only)
     * @param bos whether to prepend {@code <bos>}
     * @return the ids, one per character, after {@link #BOS} when {@code bos}; length
     *     {@code text.length() + (bos ? 1 : 0)}
     * @throws IllegalArgumentException naming the first character outside the vocabulary
     */
    public static int[] encode(String text, boolean bos) {
        int off = bos ? 1 : 0;
        int[] ids = new int[text.length() + off];
        if (bos) {
            ids[0] = BOS;
        }
        for (int i = 0; i < text.length(); i++) {
            ids[i + off] = id(text.charAt(i));
        }
        return ids;
    }

    /**
     * Text of an id: the character, or the special token's name.
     *
     * @param id a token id in {@code [0, SIZE)}
     * @return the one-character string for a digit or separator, or e.g. {@code "<bos>"} for a special token
     * @throws IllegalArgumentException if {@code id} is outside the vocabulary
     */
    public static String text(int id) {
        if (id >= 0 && id < DIGIT0) {
            return SPECIALS[id];
        }
        if (id >= DIGIT0 && id < DIGIT0 + 10) {
            return String.valueOf((char) ('0' + id - DIGIT0));
        }
        if (id == COMMA) {
            return ",";
        }
        if (id == SEMICOLON) {
            return ";";
        }
        throw new IllegalArgumentException("token id " + id + " is outside the digit vocabulary [0, " + SIZE + ")");
    }

    /**
     * Tests for a digit token.
     *
     * @param id any token id
     * @return whether {@code id} is one of the ten digit ids {@code [DIGIT0, DIGIT0 + 10)}
     */
    public static boolean isDigit(int id) {
        return id >= DIGIT0 && id < DIGIT0 + 10;
    }

    /**
     * The HF {@code tokenizer.json} content.
     *
     * @return a new JSON object (WordLevel model, per-character pre-tokenizer, {@code <bos>} post-processor, Fuse
     *     decoder) describing this vocabulary
     */
    public static JsonObject tokenizerJson() {
        JsonObject root = new JsonObject();
        root.addProperty("version", "1.0");
        root.add("truncation", JsonNull.INSTANCE);
        root.add("padding", JsonNull.INSTANCE);
        JsonArray added = new JsonArray();
        for (int i = 0; i < SPECIALS.length; i++) {
            JsonObject t = new JsonObject();
            t.addProperty("id", i);
            t.addProperty("content", SPECIALS[i]);
            t.addProperty("single_word", false);
            t.addProperty("lstrip", false);
            t.addProperty("rstrip", false);
            t.addProperty("normalized", false);
            t.addProperty("special", true);
            added.add(t);
        }
        root.add("added_tokens", added);
        root.add("normalizer", JsonNull.INSTANCE);
        JsonObject pre = new JsonObject();
        pre.addProperty("type", "Split");
        JsonObject pattern = new JsonObject();
        pattern.addProperty("Regex", ".");
        pre.add("pattern", pattern);
        pre.addProperty("behavior", "Isolated");
        pre.addProperty("invert", false);
        root.add("pre_tokenizer", pre);
        root.add("post_processor", bosTemplate());
        JsonObject decoder = new JsonObject();
        decoder.addProperty("type", "Fuse");
        root.add("decoder", decoder);
        JsonObject model = new JsonObject();
        model.addProperty("type", "WordLevel");
        JsonObject vocab = new JsonObject();
        for (int i = 0; i < SIZE; i++) {
            vocab.addProperty(text(i), i);
        }
        model.add("vocab", vocab);
        // Not in the vocabulary on purpose: an unknown character is an encoding error, never a silent <unk>.
        model.addProperty("unk_token", "<unk>");
        root.add("model", model);
        return root;
    }

    private static JsonObject bosTemplate() {
        JsonObject p = new JsonObject();
        p.addProperty("type", "TemplateProcessing");
        JsonArray single = new JsonArray();
        single.add(special("<bos>"));
        single.add(sequence("A"));
        JsonArray pair = new JsonArray();
        pair.add(special("<bos>"));
        pair.add(sequence("A"));
        pair.add(special("<bos>"));
        pair.add(sequence("B"));
        p.add("single", single);
        p.add("pair", pair);
        JsonObject specials = new JsonObject();
        JsonObject bos = new JsonObject();
        bos.addProperty("id", "<bos>");
        JsonArray ids = new JsonArray();
        ids.add(BOS);
        bos.add("ids", ids);
        JsonArray tokens = new JsonArray();
        tokens.add("<bos>");
        bos.add("tokens", tokens);
        specials.add("<bos>", bos);
        p.add("special_tokens", specials);
        return p;
    }

    private static JsonObject special(String id) {
        JsonObject inner = new JsonObject();
        inner.addProperty("id", id);
        inner.addProperty("type_id", 0);
        JsonObject o = new JsonObject();
        o.add("SpecialToken", inner);
        return o;
    }

    private static JsonObject sequence(String id) {
        JsonObject inner = new JsonObject();
        inner.addProperty("id", id);
        inner.addProperty("type_id", 0);
        JsonObject o = new JsonObject();
        o.add("Sequence", inner);
        return o;
    }

    /**
     * Writes {@code dir/tokenizer.json} atomically (write-then-rename), creating {@code dir} if needed.
     *
     * @param dir the model directory
     * @return the written file, {@code dir/tokenizer.json}
     * @throws IOException if the directory or file cannot be written
     */
    public static Path writeTokenizerJson(Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.createDirectories(dir);
        AtomicText.write(file, new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create()
                .toJson(tokenizerJson()) + "\n");
        return file;
    }
}
