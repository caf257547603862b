package org.mechinterp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaithfulnessCommandTest {
    @TempDir
    Path tmp;

    static final String TOKENS = ScopesCommandTest.TOKENS;

    @Test
    void faithfulnessPrintsAopcAndLooSpearmanPerMethod() throws Exception {
        Path prompts = tmp.resolve("prompts.txt");
        Files.writeString(prompts, "# test prompts\nOnce upon a time there was a little girl\n\n"
                + "tokens: " + TOKENS + "\nThe dog ran to the park and\n");
        InterpCliTest.Result r = InterpCliTest.run("faithfulness", "--prompts", prompts.toString(), "--json",
                "--ig-steps", "4", "--exclude-first");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(3, o.get("prompts").getAsInt());
        JsonObject methods = o.getAsJsonObject("methods");
        for (String m : List.of("semantic", "temperature", "fisher", "inputxgrad", "ig", "attention", "random")) {
            assertTrue(methods.has(m), m);
            assertTrue(methods.getAsJsonObject(m).has("aopc") && methods.getAsJsonObject(m).has("loo_spearman"), m);
        }
        assertEquals("lower", o.getAsJsonObject("better").get("aopc").getAsString());
        assertEquals("higher", o.getAsJsonObject("better").get("loo_spearman").getAsString());
        InterpCliTest.Result one = InterpCliTest.run("faithfulness", "--prompts", prompts.toString(), "--json",
                "--ig-steps", "4", "--exclude-first", "--methods", "semantic,fisher", "--batch", "1");
        assertEquals(0, one.code(), one.err());
        JsonObject single = JsonParser.parseString(one.out()).getAsJsonObject().getAsJsonObject("methods");
        for (String m : List.of("semantic", "fisher", "random")) {
            assertEquals(methods.getAsJsonObject(m).get("aopc").getAsDouble(),
                    single.getAsJsonObject(m).get("aopc").getAsDouble(), 1e-5, m + ": --batch 1 = one batch of 3");
        }
        assertEquals(2, InterpCliTest.run("faithfulness", "--prompts", prompts.toString(), "--batch", "0").code());
        InterpCliTest.Result missing = InterpCliTest.run("faithfulness", "--prompts", tmp.resolve("no.txt")
                .toString());
        assertEquals(2, missing.code());
        Files.writeString(tmp.resolve("empty.txt"), "# nothing\n");
        assertEquals(2, InterpCliTest.run("faithfulness", "--prompts", tmp.resolve("empty.txt").toString()).code());
        assertEquals(2, InterpCliTest.run("faithfulness", "--prompts", prompts.toString(), "--methods", "x").code());
    }

    /** The text table says which way each metric is better (lower AOPC, higher LOO Spearman). */
    @Test
    void tableSaysWhichDirectionIsBetter() throws Exception {
        Path prompts = tmp.resolve("p.txt");
        Files.writeString(prompts, "tokens: " + TOKENS + "\n");
        InterpCliTest.Result r = InterpCliTest.run("faithfulness", "--prompts", prompts.toString(), "--methods",
                "semantic");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("AOPC ↓") && r.out().contains("LOO Spearman ↑"), r.out());
        assertTrue(r.err().matches("faithfulness: 1/1 prompts in \\d+\\.\\d s\\R"), "one plain progress line: " + r.err());
        assertTrue(r.out().contains("lower (more negative) = more faithful") && r.out().contains("higher = better"),
                r.out());
    }
}
