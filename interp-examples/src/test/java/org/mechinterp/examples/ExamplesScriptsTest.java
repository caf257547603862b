package org.mechinterp.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every {@code examples/*.jsh} notebook script unattended, in-process (JShell's "local" execution engine on
 * the test class path), the way {@code ./interp shell FILE} runs it: JShell's DEFAULT imports, then
 * {@code examples/startup.jsh}, then the script, split into snippets exactly as JShell splits typed input (a
 * snippet ends at the first line that completes it). A script fails on any rejected or unresolved snippet,
 * compiler error, exception, or JShell command other than a final {@code /exit}; then its printed results are
 * checked (values with known answers: exact sanity checks, orders of magnitude, files written).
 *
 * <p>Scripts write under {@code java.io.tmpdir} in folders named {@code interp-example-*}; the folders a script
 * created are deleted after it ran.
 */
class ExamplesScriptsTest {

    /** JShell's DEFAULT startup imports (what {@code --startup DEFAULT} gives {@code ./interp shell}). */
    private static final List<String> DEFAULT_IMPORTS = List.of("java.io.*", "java.math.*", "java.net.*",
            "java.nio.file.*", "java.util.*", "java.util.concurrent.*", "java.util.function.*", "java.util.prefs.*",
            "java.util.regex.*", "java.util.stream.*");

    private static final String TEMP_PREFIX = "interp-example-";

    /** Per script: checks of its output. Every script in examples/ must have an entry. */
    private static final Map<String, Consumer<String>> CHECKS = new LinkedHashMap<>();

    static {
        CHECKS.put("01-load-and-run.jsh", out -> {
            // llama2.c's stories260K continues "Once upon a time" with "," (checked against run.c in interp-core)
            assertTrue(Pattern.compile("(?m)^top-1: id 432 ','").matcher(out).find(), "top-1 is ',' (id 432)");
            for (int r = 1; r <= 5; r++) {
                assertTrue(out.contains("top-" + r + ":"), "top-" + r + " line");
            }
            assertTrue(out.contains("greedy: Once upon a time, there was"), "greedy continuation");
        });
        CHECKS.put("02-cache-and-patch.jsh", out -> {
            assertTrue(out.contains("blocks.0.hook_resid_pre shape (1, 18, 64)"), "cached shape [1,T,D]");
            double clean = number(out, "clean logit difference:");
            double corrupt = number(out, "corrupt logit difference:");
            assertTrue(clean > 1 && corrupt < -1, "his/her flips sign: clean " + clean + ", corrupt " + corrupt);
            // patching all of resid_pre 0 replaces the whole input: exactly the clean run
            assertEquals(1.0, number(out, "full patch at layer 0 recovers:"), 1e-3);
            double best = number(out, "best single-position patch: layer \\d+, position \\d+ recovers");
            assertTrue(best > 0.1 && best < 1.05, "best single-position recovery " + best);
        });
        CHECKS.put("03-scopes.jsh", out -> {
            for (String m : List.of("semantic", "temperature", "fisher")) {
                assertTrue(Pattern.compile("(?m)^" + m + " top-3: '").matcher(out).find(), m + " line");
            }
            assertTrue(number(out, "semantic vs direct gradient norm: max \\|diff\\| =") < 1e-4,
                    "Semantic Scope = gradient norm at hook_embed");
            Path html = Path.of(text(out, "heatmap: (\\S+)"));
            assertTrue(html.getFileName().toString().endsWith(".html"), "heatmap file");
            assertTrue(out.contains("starts with <!DOCTYPE html>"), "heatmap is HTML");
            assertFalse(Files.exists(html.getParent()), "03 leaves its temp folder behind: " + html.getParent());
        });
        CHECKS.put("04-train-sae.jsh", out -> {
            assertTrue(number(out, "store rows:") > 400, "store rows");
            double l0 = number(out, "L0:");
            assertTrue(l0 > 0 && l0 <= 8 + 1e-9, "TopK L0 " + l0 + " ≤ k");
            double fvu = number(out, "FVU:");
            assertTrue(fvu > 0 && fvu < 0.5, "FVU " + fvu + " well below the mean predictor's 1");
            assertTrue(out.contains("reloaded TOPK d_sae 256"), "SAELens round trip");
            Path work = Path.of(text(out, "saved: (\\S+) ->")).getParent();
            assertTrue(work.getFileName().toString().startsWith(TEMP_PREFIX), work.toString());
            assertFalse(Files.exists(work), "04 leaves its temp folder behind: " + work);
        });
        CHECKS.put("05-physics.jsh", out -> {
            assertTrue(number(out, "energy drift \\(max-min\\)/mean:") < 1e-2, "energy nearly conserved");
            assertTrue(Pattern.compile("(?m)^serialised: \\d{3},\\d{3};").matcher(out).find(), "digit series");
            assertTrue(out.contains("next value x1 at step"), "forecast line");
            double modelRmse = number(out, "forecast RMSE over the second half \\(\\d+ values\\): model");
            assertTrue(Double.isFinite(modelRmse) && modelRmse >= 0, "forecast RMSE " + modelRmse);
            double fvu = number(out, "FVU", "study SAE: [^\\n]*");
            assertTrue(fvu > 0 && fvu < 1, "study SAE FVU " + fvu);
            assertTrue(out.contains("results.json") && out.contains("report.html"), "study files");
            assertEquals("[plots, report.html, results.json]", text(out, "study files: (.*)"),
                    "only the report is left (no optKeepIntermediate)");
            Path study = Path.of(text(out, "study folder: (\\S+)"));
            assertFalse(Files.exists(study), "05 leaves its temp folder behind: " + study);
        });
        CHECKS.put("06-generate.jsh", out -> {
            // the KV-cache greedy continuation is 01's full-recomputation one
            assertTrue(out.contains("greedy: Once upon a time, there was"), "greedy continuation");
            assertTrue(Pattern.compile("(?m)^sampled: Once upon a time").matcher(out).find(), "sampled text");
            assertTrue(out.contains("same seed, same tokens: true"), "seeded sampling reproducible");
            assertTrue(out.contains("steering changed the text: true"), "steering has an effect");
            assertTrue(out.contains("cached == recomputed: true"), "cache keeps the steered generation");
            assertTrue(Pattern.compile("(?m)^batch 1 \\((MAX_NEW_TOKENS|STOP_TOKEN)\\): The cat").matcher(out).find(),
                    "batch row 1");
        });
    }

    @Test
    void everyScriptHasChecksAndEndsWithExit() throws IOException {
        List<Path> scripts = scripts();
        assertFalse(scripts.isEmpty(), "no examples/*.jsh found in " + examplesDir());
        assertEquals(CHECKS.keySet(), scripts.stream().map(p -> p.getFileName().toString())
                .collect(Collectors.toSet()), "scripts in examples/ and their checks in this test");
        for (Path s : scripts) {
            List<String> lines = Files.readAllLines(s).stream().map(String::strip).filter(l -> !l.isEmpty())
                    .collect(Collectors.toList());
            assertEquals("/exit", lines.get(lines.size() - 1), s + " must end with /exit (else jshell stays open)");
        }
    }

    @TestFactory
    Stream<DynamicTest> scriptsRunUnattended() throws IOException {
        Path startup = examplesDir().resolve("startup.jsh");
        return scripts().stream().map(script -> DynamicTest.dynamicTest(script.getFileName().toString(), () -> {
            Consumer<String> check = CHECKS.get(script.getFileName().toString());
            if (check == null) {
                fail("no output checks for " + script.getFileName() + ": add them to ExamplesScriptsTest.CHECKS");
            }
            runScript(startup, script, check);
        }));
    }

    /** The harness itself must fail on each kind of problem, or the script tests prove nothing. */
    @Test
    void harnessFailsOnErrorsExceptionsAndUnknownCommands(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws IOException {
        Path startup = tmp.resolve("startup.jsh");
        Files.writeString(startup, "import java.util.*;\n");
        Map<String, String> bad = Map.of(
                "compile error", "int x = \"text\";\n/exit\n",
                "unresolved", "void f() { missing(); }\nf();\n/exit\n",
                "exception", "List.of(1).get(5);\n/exit\n",
                "leading-dot continuation", "var s = List.of(3, 1, 2).stream()\n    .sorted();\n/exit\n",
                "command", "/vars\n/exit\n",
                "incomplete", "for (int i = 0; i < 3; i++) {\n/exit\n");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            Path s = tmp.resolve("bad.jsh");
            Files.writeString(s, e.getValue());
            AssertionError err = null;
            try {
                runScript(startup, s, out -> { });
            } catch (AssertionError a) {
                err = a;
            }
            assertTrue(err != null, "the harness accepted a script with a " + e.getKey());
        }
        Path ok = tmp.resolve("ok.jsh");
        Files.writeString(ok, "// a comment\nvar xs = new ArrayList<Integer>(List.of(3, 1, 2));\n"
                + "Collections.sort(xs); System.out.println(\"sorted: \" + xs);\n/exit\n");
        runScript(startup, ok, out -> assertTrue(out.contains("sorted: [1, 2, 3]"), out));
    }

    /**
     * Runs startup then script in a fresh local JShell and passes what the snippets printed to System.out to
     * {@code check}, before the script's temp folders are deleted.
     *
     * @throws AssertionError naming the snippet for any rejected or unresolved snippet, compiler error,
     *     exception, unknown command or unfinished snippet
     */
    static void runScript(Path startup, Path script, Consumer<String> check) throws IOException {
        Set<Path> tempBefore = tempFolders();
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        PrintStream tee = new PrintStream(new TeeStream(stdout, captured), true, StandardCharsets.UTF_8);
        long t0 = System.nanoTime();
        // Local execution runs snippets in this JVM, where System.out is the process's: swap it to capture.
        System.setOut(tee);
        try (JShell shell = JShell.builder().executionEngine("local").out(tee).err(System.err).build()) {
            for (String entry : testClassPath()) {
                shell.addToClasspath(entry);
            }
            StringBuilder imports = new StringBuilder();
            DEFAULT_IMPORTS.forEach(i -> imports.append("import ").append(i).append(";\n"));
            evalAll(shell, "DEFAULT imports", imports.toString());
            evalAll(shell, startup.getFileName().toString(), Files.readString(startup));
            evalAll(shell, script.getFileName().toString(), Files.readString(script));
            System.setOut(stdout);
            stdout.printf(Locale.ROOT, "[%s: %.1f s]%n", script.getFileName(), (System.nanoTime() - t0) / 1e9);
            tee.flush();
            check.accept(captured.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
            deleteNewTempFolders(tempBefore);
        }
    }

    /**
     * Feeds {@code text} line by line, evaluating each snippet as soon as it is complete (what the jshell tool does
     * with a file); a line starting with '/' between snippets is a command: {@code /exit} stops, others fail.
     */
    private static void evalAll(JShell shell, String file, String text) {
        SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
        String pending = "";
        int lineNo = 0;
        int snippetLine = 1;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (pending.isBlank()) {
                snippetLine = lineNo;
                String s = line.strip();
                if (s.startsWith("/") && !s.startsWith("//") && !s.startsWith("/*")) {
                    if (s.equals("/exit")) {
                        return;
                    }
                    throw new AssertionError(file + ":" + lineNo + ": JShell command '" + s
                            + "' in a script (only a final /exit is allowed)");
                }
                pending = "";
            }
            pending += line + "\n";
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(pending);
            while (info.completeness().isComplete()) {
                eval(shell, file, snippetLine, info.source());
                pending = info.remaining();
                if (pending.isBlank()) {
                    break;
                }
                info = analysis.analyzeCompletion(pending);
            }
            if (info.completeness() == SourceCodeAnalysis.Completeness.EMPTY) {
                pending = ""; // comments only
            }
        }
        if (!pending.isBlank()) {
            throw new AssertionError(file + ":" + snippetLine + ": unfinished snippet at the end of the file: "
                    + pending.strip());
        }
    }

    private static void eval(JShell shell, String file, int line, String source) {
        String where = file + ":" + line + ": ";
        for (SnippetEvent e : shell.eval(source)) {
            Snippet snippet = e.snippet();
            if (e.causeSnippet() != null) {
                continue; // a status change of an earlier snippet caused by this one
            }
            String errors = shell.diagnostics(snippet).filter(Diag::isError)
                    .map(d -> d.getMessage(Locale.ROOT)).collect(Collectors.joining("; "));
            if (!errors.isEmpty()) {
                throw new AssertionError(where + "compile error: " + errors + "\n  in: " + source.strip());
            }
            if (e.status() == Snippet.Status.REJECTED) {
                throw new AssertionError(where + "rejected snippet: " + source.strip());
            }
            if (e.status() == Snippet.Status.RECOVERABLE_DEFINED
                    || e.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED) {
                String missing = snippet instanceof jdk.jshell.DeclarationSnippet d
                        ? shell.unresolvedDependencies(d).collect(Collectors.joining(", ")) : "?";
                throw new AssertionError(where + "unresolved references (" + missing + ") in: " + source.strip());
            }
            JShellException x = e.exception();
            if (x != null) {
                String type = x instanceof EvalException ee ? ee.getExceptionClassName()
                        : x instanceof UnresolvedReferenceException ? "unresolved reference" : x.getClass().getName();
                AssertionError a = new AssertionError(where + type + ": " + x.getMessage() + "\n  in: "
                        + source.strip());
                a.initCause(x);
                throw a;
            }
        }
    }

    /** The test JVM's class path (surefire passes the real one in surefire.test.class.path). */
    private static List<String> testClassPath() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> out = new ArrayList<>();
        for (String e : cp.split(File.pathSeparator)) {
            if (!e.isBlank()) {
                out.add(e);
            }
        }
        return out;
    }

    static Path examplesDir() {
        String root = System.getProperty("interp.project.dir");
        for (Path p : root != null ? List.of(Path.of(root, "examples")) : List.of(Path.of("..", "examples"),
                Path.of("examples"))) {
            if (Files.isDirectory(p)) {
                return p;
            }
        }
        throw new IllegalStateException("examples/ not found (interp.project.dir=" + root + ")");
    }

    private static List<Path> scripts() throws IOException {
        try (Stream<Path> s = Files.list(examplesDir())) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jsh"))
                    .filter(p -> !p.getFileName().toString().equals("startup.jsh")).sorted()
                    .collect(Collectors.toList());
        }
    }

    /** The number after {@code label} (a regex) in the output. */
    static double number(String out, String label) {
        return number(out, label, "");
    }

    /** The number after {@code label}, searched after the first match of {@code context} (regexes). */
    static double number(String out, String label, String context) {
        Matcher m = Pattern.compile("(?m)^" + context + label + "\\s*(-?[0-9.]+(?:[eE][-+]?\\d+)?)").matcher(out);
        if (!m.find()) {
            throw new AssertionError("no '" + label + "' number in the output:\n" + out);
        }
        return Double.parseDouble(m.group(1));
    }

    private static String text(String out, String regex) {
        Matcher m = Pattern.compile("(?m)^" + regex).matcher(out);
        if (!m.find()) {
            throw new AssertionError("no line matching '" + regex + "' in the output:\n" + out);
        }
        return m.group(1);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path tmpDir() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    private static Set<Path> tempFolders() throws IOException {
        try (Stream<Path> s = Files.list(tmpDir())) {
            return s.filter(p -> p.getFileName().toString().startsWith(TEMP_PREFIX)).collect(Collectors.toSet());
        }
    }

    private static void deleteNewTempFolders(Set<Path> before) throws IOException {
        Set<Path> now = new HashSet<>(tempFolders());
        now.removeAll(before);
        for (Path dir : now) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Writes to two streams. */
    private static final class TeeStream extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        TeeStream(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int x) throws IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws IOException {
            a.flush();
            b.flush();
        }
    }
}
