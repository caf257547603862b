package org.mechinterp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.tokenizer.Tokenizer;

/** {@code interp train-physics-model}: output folder contract, reproducibility, input errors. */
class TrainPhysicsModelCommandTest {
    @TempDir
    Path tmp;

    /** A tiny, fast run; {@code overrides} are option/value pairs (or lone flags) replacing the defaults. */
    static String[] tiny(Path out, String... overrides) {
        java.util.LinkedHashMap<String, String> o = new java.util.LinkedHashMap<>();
        String[] base = {"--out", out.toString(), "--steps", "4", "--d-model", "16", "--layers", "1", "--heads", "2",
                "--d-mlp", "32", "--context", "64", "--batch", "2", "--warmup", "1", "--eval-every", "2",
                "--eval-sequences", "2", "--forecast-trajectories", "2", "--seed", "5"};
        for (int i = 0; i < base.length; i += 2) {
            o.put(base[i], base[i + 1]);
        }
        java.util.List<String> flags = new java.util.ArrayList<>(java.util.List.of("--quiet"));
        for (int i = 0; i < overrides.length; i++) {
            if (i + 1 < overrides.length && !overrides[i + 1].startsWith("--")) {
                o.put(overrides[i], overrides[++i]);
            } else {
                flags.add(overrides[i]);
            }
        }
        java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of("train-physics-model"));
        o.forEach((k, v) -> {
            all.add(k);
            all.add(v);
        });
        all.addAll(flags);
        return all.toArray(new String[0]);
    }

    @Test
    void writesALoadableModelFolderWithProvenanceAndCurve() throws IOException {
        Path out = tmp.resolve("m");
        InterpCliTest.Result r = InterpCliTest.run(tiny(out, "--json"));
        assertEquals(0, r.code(), r.err());
        JsonObject summary = JsonParser.parseString(r.out()).getAsJsonObject();
        assertTrue(summary.getAsJsonObject("final").has("held_out_loss_digit"), r.out());
        // contexts 4 and 7 steps: the longest that fits 64 tokens with room for the forecast step
        assertEquals(2, summary.getAsJsonObject("forecast_check").getAsJsonArray("rows").size(), r.out());
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json", "provenance.json",
                "training_curve.json", "training_curve.png"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        try (HookedTransformer model = HookedTransformer.load(out); Tokenizer tok = Tokenizer.load(out)) {
            assertEquals("qwen3", model.config().modelType());
            assertTrue(model.config().qkNorm());
            assertEquals(15, model.config().vocabSize());
            assertEquals(64, model.config().maxPositions());
            assertArrayEquals(new int[] {1, 8, 3, 3, 13, 7, 12, 12, 14}, tok.encode("500,499;"));
        }
        JsonObject p = JsonParser.parseString(Files.readString(out.resolve("provenance.json"))).getAsJsonObject();
        assertTrue(p.get("command_line").getAsString().startsWith("interp train-physics-model --out "), p.toString());
        assertEquals(5, p.get("seed").getAsLong());
        assertEquals(4, p.getAsJsonObject("training").get("steps").getAsInt());
        assertEquals(4, p.getAsJsonObject("data").getAsJsonArray("systems").size());
        assertTrue(p.getAsJsonObject("environment").has("java"));
        assertTrue(p.has("git") && p.has("wall_seconds"));
        JsonObject curve = JsonParser.parseString(Files.readString(out.resolve("training_curve.json")))
                .getAsJsonObject();
        assertEquals(4, curve.getAsJsonArray("steps").size());
        assertEquals(3, curve.getAsJsonArray("evals").size()); // before step 1, after steps 2 and 4
        byte[] png = Files.readAllBytes(out.resolve("training_curve.png"));
        assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G');
    }

    @Test
    void sameSeedGivesTheSameWeightsAndExistingModelsNeedForce() throws IOException {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        assertEquals(0, InterpCliTest.run(tiny(a, "--forecast-trajectories", "0")).code());
        assertEquals(0, InterpCliTest.run(tiny(b, "--forecast-trajectories", "0")).code());
        assertArrayEquals(Files.readAllBytes(a.resolve("model.safetensors")),
                Files.readAllBytes(b.resolve("model.safetensors")));
        InterpCliTest.Result again = InterpCliTest.run(tiny(a, "--forecast-trajectories", "0"));
        assertEquals(2, again.code());
        assertTrue(again.err().contains("--force"), again.err());
        assertEquals(0, InterpCliTest.run(tiny(a, "--forecast-trajectories", "0", "--force", "--seed", "6")).code());
        assertTrue(!java.util.Arrays.equals(Files.readAllBytes(a.resolve("model.safetensors")),
                Files.readAllBytes(b.resolve("model.safetensors"))), "another seed must give other weights");
    }

    @Test
    void badInputIsAUsageError() {
        InterpCliTest.Result r = InterpCliTest.run(tiny(tmp.resolve("x"), "--systems", "mass-spring,lorenz"));
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("lorenz") && r.err().contains("harmonic"),
                r.err());
        r = InterpCliTest.run(tiny(tmp.resolve("x"), "--scaling", "log"));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--scaling"), r.err());
        r = InterpCliTest.run(tiny(tmp.resolve("x"), "--heads", "3"));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("divisible"), r.err());
    }

    /** A short run without --warmup used to fail on the default warm-up of 100 steps; now a tenth of the run. */
    @Test
    void shortRunsWarmUpForATenthOfTheirSteps() throws IOException {
        Path out = tmp.resolve("short");
        java.util.List<String> args = new java.util.ArrayList<>(java.util.Arrays.asList(tiny(out, "--steps", "30",
                "--forecast-trajectories", "0", "--eval-every", "30")));
        int w = args.indexOf("--warmup");
        args.remove(w + 1);
        args.remove(w);
        InterpCliTest.Result r = InterpCliTest.run(args.toArray(new String[0]));
        assertEquals(0, r.code(), r.err());
        JsonObject p = JsonParser.parseString(Files.readString(out.resolve("provenance.json"))).getAsJsonObject();
        assertEquals(3, p.getAsJsonObject("training").get("warmup_steps").getAsInt(), p.toString());
        assertEquals(100, TrainPhysicsModelCommand.defaultWarmup(3000), "the bundled recipe keeps 100");
        assertEquals(1, TrainPhysicsModelCommand.defaultWarmup(5));
    }
}
