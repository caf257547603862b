package org.mechinterp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.examples.physics.study.ForecastEvaluationTest;

/** {@code interp physics}: a small end-to-end run on the stories260K fixture, and usage errors. */
class PhysicsCommandTest {
    @TempDir
    Path tmp;

    @Test
    void smallStudyWritesResultsAndASelfContainedReport() throws Exception {
        Path out = tmp.resolve("study");
        InterpCliTest.Result r = InterpCliTest.run("physics", "--model", ForecastEvaluationTest.fixtureDir(),
                "--out", out.toString(), "--discovery", "6", "--heldout", "3", "--steps", "16", "--layers", "1,3",
                "--sae-steps", "60", "--sae-width", "64", "--permutations", "20");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("[1/8]") && r.err().contains("[8/8]"), "progress on stderr: " + r.err());
        // counts say what they count: 3 held-out trajectories, then the 2 scope methods (not "2/2" trajectories)
        assertTrue(r.err().contains("3/3 trajectories") && r.err().contains("2/2 scope methods"), r.err());
        assertTrue(r.out().contains("forecast exponent"), r.out());
        JsonObject o = JsonParser.parseString(Files.readString(out.resolve("results.json"))).getAsJsonObject();
        assertTrue(Double.isFinite(o.getAsJsonObject("forecast").get("exponent").getAsDouble()));
        assertEquals(1, o.get("schema_version").getAsInt());
        java.util.List<String> camel = new java.util.ArrayList<>();
        camelCaseKeys(o, "", camel);
        assertTrue(camel.isEmpty(), "camelCase keys in results.json: " + camel);
        assertEquals(1.0 / 21, o.get("permutation_floor").getAsDouble(), 1e-12);
        // without --keep only the report remains: no stores or corpora (hundreds of MB for the main job)
        try (var files = Files.list(out)) {
            assertEquals(java.util.Set.of("plots", "report.html", "results.json"),
                    files.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
        JsonObject sae = o.getAsJsonObject("sae");
        double fvu = sae.get("fvu").getAsDouble();
        assertTrue(fvu >= 0 && fvu < 1, "fvu " + fvu);
        assertEquals(8, sae.get("l0").getAsDouble(), 1e-9); // TopK k = 8 fires exactly k latents per token
        int layer = sae.get("layer").getAsInt();
        assertTrue(layer == 1 || layer == 3, "SAE layer among the captured ones: " + layer);
        JsonObject e = o.getAsJsonObject("quantities").getAsJsonObject("E");
        double saeR = e.get("sae_best_heldout_abs_r").getAsDouble();
        assertTrue(saeR >= 0 && saeR <= 1, "sae |r| " + saeR);
        JsonObject base = e.getAsJsonObject("baseline_best_heldout_abs_r");
        for (String f : new String[] {"raw_dims", "pca", "random_dirs", "scrambled_sae"}) {
            assertTrue(base.has(f), "baseline " + f + " in " + base);
        }
        assertTrue(e.has("probe_heldout_r2"));
        JsonObject byContext = e.getAsJsonObject("heldout_abs_r_by_context");
        assertEquals(3, o.getAsJsonArray("context_bins").size());
        for (String f : new String[] {"sae", "raw_dims", "pca", "random_dirs", "scrambled_sae"}) {
            assertEquals(3, byContext.getAsJsonArray(f).size(), f);
        }
        JsonObject trajectoryLevel = e.getAsJsonObject("trajectory_level");
        double tr = trajectoryLevel.get("sae_best_heldout_abs_r").getAsDouble();
        assertTrue(tr >= 0 && tr <= 1, "trajectory-level |r| " + tr);
        assertEquals(4, trajectoryLevel.getAsJsonObject("baseline_best_heldout_abs_r").size());
        // reports are meant to be read: the mode of any new file (0644 under umask 022), not 0600
        var usual = Files.getPosixFilePermissions(Files.createFile(tmp.resolve("reference")));
        for (Path f : new Path[] {out.resolve("results.json"), out.resolve("report.html"),
                out.resolve("plots").resolve("scaling_law.png"), out.resolve("plots").resolve("scaling_law.svg")}) {
            assertEquals(usual, Files.getPosixFilePermissions(f), f.toString());
        }
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("data:image/png;base64,"), "embedded plots");
        assertTrue(html.contains("<tr><td>discovery trajectories</td><td>6</td></tr>"), "settings table");
        boolean belowFloor = false;
        for (var q : o.getAsJsonObject("quantities").entrySet()) {
            for (var f : q.getValue().getAsJsonObject().getAsJsonObject("families").entrySet()) {
                belowFloor |= f.getValue().getAsJsonObject().get("best_q").getAsDouble() < 1.0 / 21;
            }
        }
        assertEquals(belowFloor, html.contains("Below the permutation floor 1/(P+1) = 0.0476"),
                "a q-value below the floor gets the note, and only then");
        assertTrue(html.contains("Trajectory level") && html.contains("sharpen"), "context and trajectory tables");
        assertFalse(html.contains("src=\"http") || html.contains("href=\"http") || html.contains("<script src")
                || html.contains("<link"), "no external resources");
        for (String plot : new String[] {"scaling_law", "best_latent_vs_E", "latents_over_time", "abs_r_E",
            "scope_temperature", "scope_fisher"}) {
            assertTrue(Files.size(out.resolve("plots").resolve(plot + ".png")) > 1000, plot);
            assertTrue(Files.isRegularFile(out.resolve("plots").resolve(plot + ".svg")), plot);
        }
    }

    @Test
    void badInputIsAUsageError() {
        InterpCliTest.Result r = InterpCliTest.run("physics", "--system", "nope", "--out", tmp.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("error: unknown system 'nope'"), r.err());
        r = InterpCliTest.run("physics", "--model", tmp.resolve("missing").toString(), "--out", tmp.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("does not exist"), r.err());
        r = InterpCliTest.run("physics", "--model", ForecastEvaluationTest.fixtureDir(), "--out",
                tmp.resolve("o").toString(), "--layers", "7", "--steps", "12", "--discovery", "5", "--heldout", "2");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("layer 7 is outside 0..4"), r.err());
        assertEquals(1, r.err().strip().lines().filter(l -> l.startsWith("error:")).count(), r.err());
        // one wrong option: the error names it alone, not every rule
        r = InterpCliTest.run("physics", "--permutations", "5", "--out", tmp.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals("error: --permutations must be >= 20, got 5", r.err().strip());
        r = InterpCliTest.run("physics", "--heldout", "1", "--out", tmp.toString());
        assertEquals("error: --heldout must be >= 2, got 1", r.err().strip());
        r = InterpCliTest.run("physics", "--sae-tokens", "digits", "--out", tmp.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("expected series or readout"), r.err());
    }

    /** The README's main job ({@code ./interp physics}, no --model) runs on the embedded physics model. */
    @Test
    void defaultModelIsTheEmbeddedPhysicsModel() throws Exception {
        Path out = tmp.resolve("main-job");
        InterpCliTest.Result r = InterpCliTest.run("physics", "--out", out.toString(), "--discovery", "6",
                "--heldout", "3", "--layers", "2", "--sae-steps", "60", "--sae-width", "64", "--permutations", "20");
        assertEquals(0, r.code(), r.err());
        assertFalse(r.err().contains("warning"), r.err());
        JsonObject o = JsonParser.parseString(Files.readString(out.resolve("results.json"))).getAsJsonObject();
        assertEquals(org.mechinterp.examples.EmbeddedPhysicsModel.path().toString(), o.get("model").getAsString());
        assertEquals("", o.get("model_note").getAsString());
        assertTrue(o.getAsJsonObject("settings").get("data").getAsString().startsWith("training recipe"),
                "held-out trajectories drawn like the model's training data");
        assertEquals(47, o.getAsJsonObject("settings").get("steps").getAsInt(), "mass-spring steps in 384 tokens");
    }

    /** SAEs trained on read-out tokens only are evaluated on held-out read-out tokens. */
    @Test
    void readoutSaeIsEvaluatedOnReadoutTokens() throws Exception {
        Path out = tmp.resolve("readout");
        InterpCliTest.Result r = InterpCliTest.run("physics", "--model", ForecastEvaluationTest.fixtureDir(),
                "--out", out.toString(), "--discovery", "8", "--heldout", "3", "--steps", "16", "--layers", "2",
                "--sae-steps", "200", "--sae-width", "64", "--sae-k", "4", "--sae-tokens", "readout",
                "--permutations", "20", "--keep");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(Files.readString(out.resolve("results.json"))).getAsJsonObject();
        assertEquals("readout", o.getAsJsonObject("settings").get("sae_tokens").getAsString());
        JsonObject sae = o.getAsJsonObject("sae");
        assertEquals(8 * 16, sae.get("train_tokens").getAsLong(), "one read-out token per discovery step");
        assertTrue(Files.isRegularFile(out.resolve("store").resolve("manifest.json")), "--keep keeps the store");
        assertTrue(Files.isRegularFile(out.resolve("corpus.jsonl")), "--keep keeps the corpus");
        double fvu = sae.get("fvu").getAsDouble();
        assertTrue(fvu >= 0 && fvu < 1, "fvu on held-out read-out tokens " + fvu);
    }

    /** A system outside the model's training mix (its provenance.json) gets a warning; a trained one does not. */
    @Test
    void systemsTheModelNeverSawAreNamedInAWarning() throws Exception {
        Path model = org.mechinterp.examples.EmbeddedPhysicsModel.path();
        assertEquals(java.util.List.of("mass-spring", "pendulums", "harmonic", "damped"),
                PhysicsCommand.trainedSystems(model));
        assertEquals("", PhysicsCommand.unseenSystemNote(model, "mass-spring"));
        String note = PhysicsCommand.unseenSystemNote(model, "lorenz");
        assertTrue(note.contains("never on lorenz") && note.contains("mass-spring"), note);
        // a folder without provenance.json says nothing either way
        assertEquals("", PhysicsCommand.unseenSystemNote(Path.of(ForecastEvaluationTest.fixtureDir()), "lorenz"));
    }

    /** Collects keys (with their paths) that look camelCase: a lower-case letter followed by an upper-case one. */
    static void camelCaseKeys(com.google.gson.JsonElement e, String path, java.util.List<String> out) {
        if (e.isJsonObject()) {
            for (var en : e.getAsJsonObject().entrySet()) {
                if (en.getKey().matches(".*[a-z][A-Z].*")) {
                    out.add(path + "/" + en.getKey());
                }
                camelCaseKeys(en.getValue(), path + "/" + en.getKey(), out);
            }
        } else if (e.isJsonArray()) {
            for (var x : e.getAsJsonArray()) {
                camelCaseKeys(x, path + "[]", out);
            }
        }
    }
}
