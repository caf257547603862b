package org.mechinterp.sae.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard pages render in headless Chromium without console errors, and hostile token texts ({@code
 * </script>}, markup, quotes, newlines) stay text. Requires {@code /usr/bin/chromium} (Debian's package; {@code
 * .ci/run} installs it): the test fails, not skips, without it.
 */
class DashboardRenderTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @TempDir
    Path tmp;

    /** Token texts that would break a page that does not escape them. */
    static String text(int id) {
        return switch (id % 6) {
            case 0 -> "</script><script>boom()</script>";
            case 1 -> " <b>bold</b>";
            case 2 -> "\"quote'";
            case 3 -> "\nline";
            case 4 -> " & amp";
            default -> " tok" + id;
        };
    }

    @Test
    void pagesRenderWithoutConsoleErrors() throws Exception {
        List<LatentStatsAccumulatorTest.Doc> docs = LatentStatsAccumulatorTest.corpus(30, 5);
        LatentStatsAccumulator acc = LatentStatsAccumulatorTest.feed(docs);
        List<LatentSummary> summaries = new ArrayList<>();
        for (int i = 0; i < LatentStatsAccumulatorTest.LATENTS; i++) {
            summaries.add(acc.summary(i));
        }
        float[] wDec = new float[10 * 4];
        float[] wU = new float[4 * 12];
        for (int i = 0; i < wDec.length; i++) {
            wDec[i] = (float) Math.sin(i);
        }
        for (int i = 0; i < wU.length; i++) {
            wU[i] = (float) Math.cos(3 * i);
        }
        Path out = tmp.resolve("dash");
        new DashboardWriter(DashboardRenderTest::text, null, "test <dashboards>").write(out, summaries,
                Map.of(4, LogitEffects.of(wDec, wU, 4, 12, 4, 5)));
        for (int l : LatentStatsAccumulatorTest.CHOSEN) {
            assertTrue(Files.isRegularFile(out.resolve("latent-" + l + ".json")));
        }
        JsonObject j = JsonParser.parseString(Files.readString(out.resolve("latent-4.json"))).getAsJsonObject();
        assertEquals(6, j.getAsJsonArray("top_contexts").size());
        assertEquals(5, j.getAsJsonArray("logits_positive").size());

        Rendered page = render(out.resolve("latent-4.html"));
        assertTrue(page.consoleErrors().isEmpty(), "console: " + page.consoleErrors());
        String dom = page.dom();
        assertTrue(dom.contains("data-rendered=\"yes\""), "the inline script did not run");
        assertTrue(dom.contains("<title>Latent 4 (6 top contexts)</title>"), "title set by the script");
        assertTrue(dom.contains("id=\"histogram\"") && dom.contains("<rect"), "histogram SVG");
        assertEquals(6 + countSamples(summaries.get(0)), count(dom, "class=\"ctx\""), "one row per context");
        assertTrue(dom.contains("id=\"logits\"") && dom.contains("id=\"labels\""));
        // hostile token text is shown as text, never as markup
        assertTrue(dom.contains("&lt;/script&gt;&lt;script&gt;boom()"), "escaped token text");
        assertTrue(!dom.contains("<b>bold</b>"), "token markup leaked into the page");

        Rendered index = render(out.resolve("index.html"));
        assertTrue(index.consoleErrors().isEmpty(), "console: " + index.consoleErrors());
        assertEquals(3, count(index.dom(), "href=\"latent-"));
    }

    @Test
    void aLatentThatNeverFiredGetsAValidPage() throws Exception {
        LatentStatsAccumulator acc = new LatentStatsAccumulator(new int[] {7}, 3, 2, 2, 2, 1, List.of("a"));
        acc.add(0, new int[] {1, 2, 3}, new float[3], new float[] {0.5f, 1, 2});
        Path out = tmp.resolve("never");
        new DashboardWriter(DashboardRenderTest::text, null, "t").write(out, List.of(acc.summary(0)), Map.of());
        JsonObject j = JsonParser.parseString(Files.readString(out.resolve("latent-7.json"))).getAsJsonObject();
        assertTrue(j.getAsJsonObject("label_r").get("a").isJsonNull(), "undefined r is null: " + j);
        Rendered page = render(out.resolve("latent-7.html"));
        assertTrue(page.consoleErrors().isEmpty(), "console: " + page.consoleErrors());
        assertTrue(page.dom().contains("never fired") && page.dom().contains("data-rendered=\"yes\""));
    }

    @Test
    void aBrokenScriptIsDetected() throws Exception {
        // the negative control: the console check would see an error if a page had one
        Path bad = tmp.resolve("bad.html");
        Files.writeString(bad, "<!DOCTYPE html><html><body><script>notDefined();</script></body></html>");
        assertTrue(!render(bad).consoleErrors().isEmpty(), "a ReferenceError must reach the console log");
    }

    record Rendered(String dom, List<String> consoleErrors) {
    }

    static Rendered render(Path html) throws IOException, InterruptedException {
        assertTrue(Files.isExecutable(CHROMIUM), "headless Chromium is required at " + CHROMIUM
                + " (apt-get install -y chromium; .ci/run installs it)");
        Path dir = Files.createTempDirectory("chromium-profile");
        Path err = Files.createTempFile("chromium", ".log");
        Path dom = Files.createTempFile("chromium", ".html");
        try {
            Process p = new ProcessBuilder(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--user-data-dir=" + dir, "--enable-logging=stderr",
                    "--v=0", "--dump-dom", html.toUri().toString())
                    .redirectOutput(dom.toFile()).redirectError(err.toFile()).start();
            assertTrue(p.waitFor(90, TimeUnit.SECONDS), "chromium did not finish in 90 s");
            assertEquals(0, p.exitValue(), "chromium failed: " + Files.readString(err));
            List<String> errors = new ArrayList<>();
            for (String line : Files.readAllLines(err, StandardCharsets.UTF_8)) {
                if (line.contains("CONSOLE") || line.contains("Uncaught")) {
                    errors.add(line);
                }
            }
            return new Rendered(Files.readString(dom, StandardCharsets.UTF_8), errors);
        } finally {
            Files.deleteIfExists(err);
            Files.deleteIfExists(dom);
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static int countSamples(LatentSummary s) {
        return s.samples().stream().mapToInt(List::size).sum();
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
