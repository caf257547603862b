package org.mechinterp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.model.Generation;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.examples.EmbeddedModel;

/** {@code interp generate} on the embedded stories260K: greedy equals full recomputation, sampling, errors. */
class GenerateCommandTest {
    private static JsonObject json(String... args) {
        InterpCliTest.Result r = InterpCliTest.run(args);
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.out().strip().lines().count(), "one JSON object on one line");
        return JsonParser.parseString(r.out()).getAsJsonObject();
    }

    @Test
    void greedyJsonIsFullRecomputationsContinuation() throws IOException {
        JsonObject o = json("generate", "--tokens", "1,403,407", "--max-new-tokens", "12", "--stop", "none",
                "--json");
        assertEquals(Set.of("model", "tokens", "new_tokens", "text", "new_text", "finish_reason"), o.keySet());
        int[] tokens = InterpCliTest.ints(o.getAsJsonArray("tokens"));
        int[] fresh = InterpCliTest.ints(o.getAsJsonArray("new_tokens"));
        try (HookedTransformer model = HookedTransformer.load(EmbeddedModel.path());
                Tokenizer tok = Tokenizer.load(EmbeddedModel.path())) {
            int[] want = Generation.greedy(model, new int[] {1, 403, 407}, 12);
            assertArrayEquals(want, tokens);
            assertArrayEquals(Arrays.copyOfRange(want, 3, want.length), fresh);
            assertEquals(tok.decode(want, true), o.get("text").getAsString());
        }
        assertEquals("max_new_tokens", o.get("finish_reason").getAsString());
        assertTrue(o.get("text").getAsString().startsWith("Once upon a time"), o.get("text").getAsString());
    }

    @Test
    void stopTokensAndSeededSampling() {
        JsonObject free = json("generate", "--prompt", "Once upon a time", "--max-new-tokens", "8", "--stop",
                "none", "--json");
        int[] fresh = InterpCliTest.ints(free.getAsJsonArray("new_tokens"));
        JsonObject stopped = json("generate", "--prompt", "Once upon a time", "--max-new-tokens", "8", "--stop",
                "2, " + fresh[2], "--json");
        assertEquals("stop_token", stopped.get("finish_reason").getAsString());
        int[] upTo = InterpCliTest.ints(stopped.getAsJsonArray("new_tokens"));
        assertEquals(fresh[2], upTo[upTo.length - 1]);
        String[] sampled = {"generate", "--tokens", "1,403,407", "--max-new-tokens", "16", "--temperature", "1.5",
                "--top-p", "0.98", "--seed", "11", "--stop", "none", "--json"};
        JsonObject a = json(sampled);
        JsonObject b = json(sampled);
        assertEquals(a.getAsJsonArray("tokens"), b.getAsJsonArray("tokens"), "same seed, same tokens");
        JsonObject greedy = json("generate", "--tokens", "1,403,407", "--max-new-tokens", "16", "--stop", "none",
                "--json");
        assertFalse(a.getAsJsonArray("tokens").equals(greedy.getAsJsonArray("tokens")), "sampling is not greedy");
        InterpCliTest.Result text = InterpCliTest.run("generate", "--prompt", "Once upon a time", "--max-new-tokens",
                "5");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().startsWith("Once upon a time"), text.out());
    }

    @Test
    void badInputExitsTwoWithOneErrorLine() {
        String[][] bad = {
            {"generate", "--tokens", "1,2", "--max-new-tokens", "0"},
            {"generate", "--tokens", "1,2", "--max-new-tokens", "4", "--top-p", "1.5"},
            {"generate", "--tokens", "1,2", "--max-new-tokens", "4", "--temperature", "-1"},
            {"generate", "--tokens", "1,2", "--max-new-tokens", "4", "--top-k", "-3"},
            {"generate", "--tokens", "1,2", "--max-new-tokens", "4", "--stop", "x"},
            {"generate", "--tokens", "1,2", "--max-new-tokens", "4", "--stop", "512"},
            {"generate", "--tokens", "1,2,600", "--max-new-tokens", "4"},
            {"generate", "--tokens", "1,2"},
            {"generate", "--prompt", "", "--max-new-tokens", "3"},
        };
        for (String[] args : bad) {
            InterpCliTest.Result r = InterpCliTest.run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("error: "), r.err());
            assertEquals("", r.out());
        }
        assertTrue(InterpCliTest.run("generate", "--tokens", "1", "--max-new-tokens", "2", "--stop", "512").err()
                .contains("stop token 512 is outside the vocabulary"));
    }
}
