package org.mechinterp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.sae.store.RowBlock;
import org.mechinterp.sae.store.StoreReader;

/** {@code interp capture} and {@code interp store import}: flags, summaries, JSON, exit codes. */
class CaptureCommandTest {
    @TempDir
    Path tmp;

    static final String HOOK = "blocks.0.hook_resid_post";

    private Path corpus() throws IOException {
        Path f = tmp.resolve("c.txt");
        Files.writeString(f, "Once upon a time there was a little girl\n\nThe dog ran to the big park\n"
                + "She was happy with her toy\n", StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void captureWritesAStoreAndReportsJson() throws IOException {
        Path out = tmp.resolve("store");
        InterpCliTest.Result r = InterpCliTest.run("capture", "--corpus", corpus().toString(), "--hooks",
                HOOK + ",blocks.1.mlp.hook_post", "--out", out.toString(), "--context", "6", "--max-tokens", "15",
                "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(15, o.get("rows").getAsLong()); // 6 + 6 + 3 with --context 6 and --max-tokens 15
        assertTrue(r.err().matches("(?s).*capture: 15/15 rows in \\d+\\.\\d s\\R"), "progress line: " + r.err());
        assertFalse(r.err().contains("\r") || r.err().contains("\u001b"), "no bar off a terminal: " + r.err());
        assertEquals(64, o.getAsJsonObject("d").get(HOOK).getAsInt());
        assertEquals(HOOK, o.getAsJsonArray("hooks").get(0).getAsString());
        assertEquals(out.toAbsolutePath().toString(), o.get("out").getAsString());
        assertTrue(o.get("shards").getAsInt() >= 1);
        try (StoreReader reader = StoreReader.open(out)) {
            reader.verifyAll();
            assertEquals(15, reader.rows());
            RowBlock b = reader.read(HOOK, 0, 15);
            assertEquals(2, b.promptIds()[14]);
            assertEquals(2, b.positions()[14]);
        }
        // again: the store is complete, nothing is recaptured; text summary
        r = InterpCliTest.run("capture", "--corpus", corpus().toString(), "--hooks", HOOK + ",blocks.1.mlp.hook_post",
                "--out", out.toString(), "--context", "6", "--max-tokens", "15");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("resumed: 15 rows from 3 prompts"), r.out());
    }

    @Test
    void captureBadInputIsAUsageError() throws IOException {
        Path out = tmp.resolve("store");
        InterpCliTest.Result r = InterpCliTest.run("capture", "--corpus", corpus().toString(), "--hooks",
                "blocks.0.hook_bogus", "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("blocks.0.hook_bogus"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());

        Path bad = tmp.resolve("b.jsonl");
        Files.writeString(bad, "{\"tokens\": [1, 2], \"labels\": {\"t\": [1]}}\n");
        r = InterpCliTest.run("capture", "--corpus", bad.toString(), "--hooks", HOOK, "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("line 1") && r.err().contains("label \"t\" has 1 values"), r.err());

        r = InterpCliTest.run("capture", "--corpus", tmp.resolve("none.txt").toString(), "--hooks", HOOK, "--out",
                out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("does not exist"), r.err());

        r = InterpCliTest.run("capture", "--corpus", corpus().toString(), "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--hooks"), r.err());
    }

    @Test
    void storeImportNpyAndErrors() throws IOException {
        int n = 10;
        int d = 3;
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + n + ", " + d + "), }";
        StringBuilder h = new StringBuilder(dict);
        while ((10 + h.length() + 1) % 64 != 0) {
            h.append(' ');
        }
        h.append('\n');
        ByteBuffer buf = ByteBuffer.allocate(10 + h.length() + n * d * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length());
        buf.put(h.toString().getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < n * d; i++) {
            buf.putFloat(i * 0.5f);
        }
        Path npy = tmp.resolve("m.npy");
        Files.write(npy, buf.array());
        Path out = tmp.resolve("imp");
        InterpCliTest.Result r = InterpCliTest.run("store", "import", "--from", npy.toString(), "--out",
                out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(n, o.get("rows").getAsLong());
        // progress: stderr is not a terminal here, so one plain line (no bar, no ANSI, not twice); stdout is JSON
        assertTrue(r.err().matches("import: 10/10 rows in \\d+\\.\\d s\\R"), "stderr: " + r.err());
        assertEquals(d, o.getAsJsonObject("d").get("activations").getAsInt());
        try (StoreReader reader = StoreReader.open(out)) {
            assertEquals(14 * 0.5f, reader.read("activations", 4, 1).activations()[2], 0f);
        }

        // into the same (non-empty) folder again: refused, nothing overwritten
        r = InterpCliTest.run("store", "import", "--from", npy.toString(), "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("already holds a complete activation store"), r.err());

        Path bad = tmp.resolve("bad.npy");
        Files.write(bad, "not numpy at all".getBytes(StandardCharsets.US_ASCII));
        r = InterpCliTest.run("store", "import", "--from", bad.toString(), "--out", tmp.resolve("x").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("magic"), r.err());

        r = InterpCliTest.run("store");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("store import"), r.err());
    }

    /** --quiet: nothing on stderr; stdout holds the JSON alone. */
    @Test
    void quietCaptureWritesNothingToStderr() throws IOException {
        InterpCliTest.Result r = InterpCliTest.run("capture", "--corpus", corpus().toString(), "--hooks", HOOK,
                "--out", tmp.resolve("q").toString(), "--max-tokens", "8", "--json", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertEquals(8, JsonParser.parseString(r.out()).getAsJsonObject().get("rows").getAsLong());
    }
}
