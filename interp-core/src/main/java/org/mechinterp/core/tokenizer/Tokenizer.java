package org.mechinterp.core.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * A Hugging Face fast tokenizer ({@code tokenizer.json}) loaded strictly from local files, via DJL's binding
 * of the Rust {@code tokenizers} library.
 *
 * <p>Encoding follows {@code tokenizer.json} exactly, as {@code AutoTokenizer} in transformers (Python or
 * JS) does: the post-processor decides which special tokens {@link #encode(String)} adds (Llama-style files
 * prepend BOS, GPT-2 and Qwen files add nothing), special-token text in the input (e.g. {@code "<s>"}) is
 * recognised as that special token, and nothing is ever truncated or padded (DJL would otherwise truncate to
 * a default of 512 tokens). The only use of {@code tokenizer_config.json} is a safety net: if it says
 * {@code add_bos_token}/{@code add_eos_token} is true but the post-processor does not add that token, this
 * class adds it, as transformers' Llama tokenizer would.
 *
 * <p>Decoding does not apply transformers' {@code clean_up_tokenization_spaces} (which would turn
 * {@code "a ."} into {@code "a."}), so decoding is faithful to the tokens.
 *
 * <p>The caller owns the instance and must {@link #close()} it to free the native tokenizer.
 */
public final class Tokenizer implements AutoCloseable {

    static final String TOKENIZER_FILE = "tokenizer.json";
    static final String CONFIG_FILE = "tokenizer_config.json";

    /** Any ordinary text works: it is only used to see which special tokens the post-processor adds. */
    private static final String PROBE = "a";

    private final Path file;
    private final HuggingFaceTokenizer hf;
    /** BOS id this class must prepend itself, or -1 when the post-processor already does (or none wanted). */
    private final int extraBos;
    /** EOS id this class must append itself, or -1. */
    private final int extraEos;
    private volatile int vocabSize = -1;

    private Tokenizer(Path file, HuggingFaceTokenizer hf, int extraBos, int extraEos) {
        this.file = file;
        this.hf = hf;
        this.extraBos = extraBos;
        this.extraEos = extraEos;
    }

    /**
     * Loads a tokenizer from a local folder containing {@code tokenizer.json}, or from the path of a
     * {@code tokenizer.json} file. Never contacts the network: hub names are not accepted.
     *
     * @param dirOrFile a model folder or a {@code tokenizer.json} path
     * @return the tokenizer, to be closed by the caller
     * @throws NoSuchFileException if there is no such file; the message names the path looked at
     * @throws IOException if the file cannot be read or parsed
     */
    public static Tokenizer load(Path dirOrFile) throws IOException {
        Objects.requireNonNull(dirOrFile, "dirOrFile");
        Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve(TOKENIZER_FILE) : dirOrFile;
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toAbsolutePath().toString(), null,
                    "no tokenizer.json found (only local files are loaded, never hub model names)");
        }
        org.mechinterp.core.Interp.configureDjl();
        // Explicit options: truncation and padding off (DJL defaults to truncating at 512 tokens), special
        // tokens on. The config-free overload keeps DJL from applying tokenizer_config.json tweaks
        // (clean-up on decode, prefix space) that tokenizer.json-based tokenizers do not perform.
        Map<String, String> options = Map.of(
                "addSpecialTokens", "true",
                "truncation", "false",
                "padding", "false");
        HuggingFaceTokenizer hf;
        try {
            hf = HuggingFaceTokenizer.newInstance(file, options);
        } catch (RuntimeException e) {
            // The native library reports parse errors as unchecked exceptions without the path.
            throw new IOException("cannot load tokenizer " + file + ": " + e.getMessage(), e);
        }
        try {
            JsonObject config = readConfig(file.toAbsolutePath().getParent().resolve(CONFIG_FILE));
            int extraBos = missingSpecial(hf, config, "add_bos_token", "bos_token", true);
            int extraEos = missingSpecial(hf, config, "add_eos_token", "eos_token", false);
            return new Tokenizer(file, hf, extraBos, extraEos);
        } catch (IOException | RuntimeException e) {
            hf.close();
            throw e;
        }
    }

    private static JsonObject readConfig(Path configFile) throws IOException {
        if (!Files.isRegularFile(configFile)) {
            return new JsonObject();
        }
        try (Reader r = Files.newBufferedReader(configFile, StandardCharsets.UTF_8)) {
            JsonElement e = JsonParser.parseReader(r);
            return e.isJsonObject() ? e.getAsJsonObject() : new JsonObject();
        } catch (JsonParseException e) {
            throw new IOException("cannot parse " + configFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * Returns the id of a BOS/EOS token that the config asks for but the post-processor does not add, or -1.
     */
    private static int missingSpecial(HuggingFaceTokenizer hf, JsonObject config, String flag, String tokenKey,
            boolean atStart) {
        JsonElement wanted = config.get(flag);
        if (wanted == null || !wanted.isJsonPrimitive() || !wanted.getAsJsonPrimitive().isBoolean()
                || !wanted.getAsBoolean()) {
            return -1;
        }
        String token = tokenContent(config.get(tokenKey));
        if (token == null) {
            return -1;
        }
        long[] tokenIds = hf.encode(token, false, false).getIds();
        if (tokenIds.length != 1) {
            return -1; // not a single (special) token in this vocabulary: nothing sensible to add
        }
        int id = (int) tokenIds[0];
        long[] probe = hf.encode(PROBE, true, false).getIds();
        boolean present = probe.length > 0 && (atStart ? probe[0] : probe[probe.length - 1]) == id;
        return present ? -1 : id;
    }

    /** A special token in tokenizer_config.json is either a string or an AddedToken object with "content". */
    private static String tokenContent(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (e.isJsonPrimitive()) {
            return e.getAsString();
        }
        if (e.isJsonObject() && e.getAsJsonObject().has("content")) {
            return e.getAsJsonObject().get("content").getAsString();
        }
        return null;
    }

    /** @return the {@code tokenizer.json} this tokenizer was loaded from */
    public Path path() {
        return file;
    }

    /**
     * Encodes text as {@code tokenizer(text)["input_ids"]} does in transformers: with the tokenizer's own
     * special tokens (e.g. a leading BOS for Llama tokenizers, nothing for GPT-2).
     *
     * @param text the prompt; must be non-empty
     * @return token ids, never truncated
     * @throws IllegalArgumentException if {@code text} is empty ("empty prompt")
     */
    public int[] encode(String text) {
        return encode(text, true);
    }

    /**
     * Encodes text.
     *
     * @param text the prompt; must be non-empty
     * @param addSpecialTokens whether to add the tokenizer's special tokens (BOS etc.); special-token text
     *     inside {@code text} is recognised either way
     * @return token ids, never truncated
     * @throws IllegalArgumentException if {@code text} is empty ("empty prompt")
     */
    public int[] encode(String text, boolean addSpecialTokens) {
        Objects.requireNonNull(text, "text");
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty prompt");
        }
        long[] ids = hf.encode(text, addSpecialTokens, false).getIds();
        boolean bos = addSpecialTokens && extraBos >= 0;
        boolean eos = addSpecialTokens && extraEos >= 0;
        int[] out = new int[ids.length + (bos ? 1 : 0) + (eos ? 1 : 0)];
        int k = 0;
        if (bos) {
            out[k++] = extraBos;
        }
        for (long id : ids) {
            out[k++] = Math.toIntExact(id);
        }
        if (eos) {
            out[k] = extraEos;
        }
        return out;
    }

    /**
     * Decodes ids to text, keeping special tokens (as transformers' {@code decode} does by default).
     *
     * @param ids token ids; ids unknown to the vocabulary decode to nothing
     * @return the text
     */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * Decodes ids to text.
     *
     * @param ids token ids; ids unknown to the vocabulary decode to nothing
     * @param skipSpecialTokens whether to drop special tokens such as {@code <s>}
     * @return the text
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        Objects.requireNonNull(ids, "ids");
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0) {
                throw new IllegalArgumentException("negative token id " + ids[i] + " at position " + i);
            }
            longs[i] = ids[i];
        }
        return hf.decode(longs, skipSpecialTokens);
    }

    /**
     * Returns the text of one token: the decode of just that id, special tokens kept. Note that decoders strip
     * or keep a leading space by their own rules (a SentencePiece-style Llama decoder drops the leading space
     * of a lone token, byte-level GPT-2 keeps it), and a token holding part of a multi-byte UTF-8 character
     * decodes to U+FFFD.
     *
     * @param id a token id
     * @return its text
     */
    public String tokenText(int id) {
        return decode(new int[] {id}, false);
    }

    /**
     * Returns one more than the largest token id of the vocabulary, added tokens included (the size an
     * embedding table needs). Computed on first call by stream-parsing {@code tokenizer.json}, then cached.
     *
     * @return the vocabulary size
     * @throws UncheckedIOException if the file cannot be re-read
     */
    public int vocabSize() {
        int v = vocabSize;
        if (v < 0) {
            try {
                v = countVocab(file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read vocabulary of " + file, e);
            }
            vocabSize = v;
        }
        return v;
    }

    /** Max id + 1 over {@code model.vocab} (object of ids, or Unigram list) and {@code added_tokens}. */
    static int countVocab(Path file) throws IOException {
        long maxId = -1;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8); JsonReader in = new JsonReader(r)) {
            in.beginObject();
            while (in.hasNext()) {
                String key = in.nextName();
                if ("added_tokens".equals(key) && in.peek() == JsonToken.BEGIN_ARRAY) {
                    in.beginArray();
                    while (in.hasNext()) {
                        in.beginObject();
                        while (in.hasNext()) {
                            if ("id".equals(in.nextName())) {
                                maxId = Math.max(maxId, in.nextLong());
                            } else {
                                in.skipValue();
                            }
                        }
                        in.endObject();
                    }
                    in.endArray();
                } else if ("model".equals(key) && in.peek() == JsonToken.BEGIN_OBJECT) {
                    in.beginObject();
                    while (in.hasNext()) {
                        if (!"vocab".equals(in.nextName())) {
                            in.skipValue();
                        } else if (in.peek() == JsonToken.BEGIN_OBJECT) {
                            // BPE, WordPiece, WordLevel: {"token": id, ...}
                            in.beginObject();
                            while (in.hasNext()) {
                                in.nextName();
                                maxId = Math.max(maxId, in.nextLong());
                            }
                            in.endObject();
                        } else if (in.peek() == JsonToken.BEGIN_ARRAY) {
                            // Unigram: [["piece", score], ...], the id is the index.
                            long count = 0;
                            in.beginArray();
                            while (in.hasNext()) {
                                in.skipValue();
                                count++;
                            }
                            in.endArray();
                            maxId = Math.max(maxId, count - 1);
                        } else {
                            in.skipValue();
                        }
                    }
                    in.endObject();
                } else {
                    in.skipValue();
                }
            }
            in.endObject();
        } catch (IllegalStateException | NumberFormatException e) {
            throw new IOException("unexpected structure in " + file + ": " + e.getMessage(), e);
        }
        return Math.toIntExact(maxId + 1);
    }

    /** Frees the native tokenizer. Idempotent. */
    @Override
    public void close() {
        hf.close();
    }

    @Override
    public String toString() {
        return "Tokenizer[" + file + "]";
    }
}
