package org.mechinterp.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.Interp;
import org.mechinterp.sae.io.SaeLensFormat;
import org.mechinterp.sae.store.StoreManifest;

/** The command line in-process (on the tests' active local session): capture, then stats, and a usage error. */
class SparkCliTest {
    @TempDir
    static Path tmp;

    @BeforeAll
    static void setUp() {
        Interp.configureDjl();
        SparkTestSupport.spark();
    }

    @Test
    void captureThenStats() throws IOException {
        Path corpus = CaptureJobTest.writeCorpus(tmp.resolve("c.jsonl"));
        Path store = tmp.resolve("store");
        assertEquals(0, SparkCli.execute("capture", "--model", SparkTestSupport.stories().toString(), "--corpus",
                corpus.toString(), "--hooks", CaptureJobTest.R1, "--out", store.toString(), "--shard-rows", "60"));
        StoreManifest m = StoreManifest.read(store);
        assertTrue(m.complete());
        assertEquals(16, m.promptsCompleted());
        Path sae = tmp.resolve("sae");
        SaeLensFormat.save(FeatureStatsJobTest.randomSae(64, 32, 1), sae);
        Path json = tmp.resolve("stats.json");
        assertEquals(0, SparkCli.execute("stats", "--store", store.toString(), "--sae", sae.toString(), "--top-k",
                "3", "--out", json.toString()));
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals(m.totalRows(), o.get("rows").getAsLong());
        assertEquals(32, o.getAsJsonArray("latents").size());
    }

    @Test
    void helpPrintsEveryExampleLineWhole() {
        for (String sub : new String[] {"capture", "stats"}) {
            picocli.CommandLine cl = new picocli.CommandLine(SparkCli.class).getSubcommands().get(sub);
            String usage = cl.getUsageMessage(picocli.CommandLine.Help.Ansi.OFF);
            for (String line : cl.getCommandSpec().usageMessage().footer()) {
                if (!line.isEmpty()) {
                    assertTrue(usage.contains(line), sub + " help broke the example line '" + line + "':\n" + usage);
                }
            }
        }
    }

    @Test
    void missingRequiredOptionIsAUsageError() {
        assertEquals(2, SparkCli.execute("capture", "--model", "m", "--corpus", "c.txt", "--hooks", "h"));
    }
}
