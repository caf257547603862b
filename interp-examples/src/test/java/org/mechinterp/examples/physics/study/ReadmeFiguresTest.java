package org.mechinterp.examples.physics.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

/**
 * The README's physics figures are the rendering of the committed main-job run (docs/physics-study/results.json,
 * written by tools/physics-readme.sh from {@code ./interp physics --out physics-study}), not hand-copied numbers.
 */
class ReadmeFiguresTest {
    static Path root() {
        for (Path p : new Path[] {Path.of(".."), Path.of(".")}) {
            if (Files.isRegularFile(p.resolve("README.md")) && Files.isDirectory(p.resolve("interp-examples"))) {
                return p;
            }
        }
        throw new IllegalStateException("repository root not found from " + Path.of("").toAbsolutePath());
    }

    static JsonObject committedRun() throws IOException {
        return JsonParser.parseString(Files.readString(root().resolve("docs/physics-study/results.json")))
                .getAsJsonObject();
    }

    @Test
    void readmeQuotesTheCommittedRun() throws IOException {
        String readme = Files.readString(root().resolve("README.md"));
        assertEquals(ReadmeFigures.render(committedRun()), ReadmeFigures.block(readme),
                "README physics figures differ from docs/physics-study/results.json: run tools/physics-readme.sh");
    }

    /** The check can fail: another |r| gives another block, and the quoted numbers are the run's, rounded. */
    @Test
    void theBlockFollowsTheNumbers() throws IOException {
        JsonObject run = committedRun();
        String block = ReadmeFigures.render(run);
        String text = block.replaceAll("\\s+", " ");   // as read, without the line wrapping
        JsonObject e = run.getAsJsonObject("quantities").getAsJsonObject("E");
        double r = e.get("sae_best_heldout_abs_r").getAsDouble();
        assertTrue(text.contains(String.format(java.util.Locale.ROOT, "held-out |r| %.2f per token", r)), block);
        double tl = e.getAsJsonObject("trajectory_level").get("sae_best_heldout_abs_r").getAsDouble();
        assertTrue(text.contains(String.format(java.util.Locale.ROOT, "SAE %.2f, raw dimensions", tl)), block);
        e.addProperty("sae_best_heldout_abs_r", r + 0.05);
        assertNotEquals(block, ReadmeFigures.render(run));
    }

    @Test
    void replaceBlockKeepsTheRest() {
        String readme = "intro\n" + ReadmeFigures.BEGIN + "\nold\n" + ReadmeFigures.END + "\noutro\n";
        assertEquals("intro\n" + ReadmeFigures.BEGIN + "\nnew\n" + ReadmeFigures.END + "\noutro\n",
                ReadmeFigures.replaceBlock(readme, "new\n"));
        assertEquals("new\n", ReadmeFigures.block(ReadmeFigures.replaceBlock(readme, "new\n")));
    }
}
