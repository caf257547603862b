package org.mechinterp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.examples.EmbeddedModel;
import picocli.CommandLine;

class InterpCliTest {
    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = InterpCli.commandLine(args);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    static Path shared() {
        String configured = System.getProperty("interp.shared.dir");
        if (configured != null && Files.isDirectory(Paths.get(configured))) {
            return Paths.get(configured);
        }
        for (String candidate : new String[] {"../shared", "../../shared"}) {
            if (Files.isDirectory(Paths.get(candidate))) {
                return Paths.get(candidate);
            }
        }
        throw new IllegalStateException("shared/ fixtures not found (set -Dinterp.shared.dir)");
    }

    static JsonObject reference() throws IOException {
        Path file = shared().resolve(
                "fixtures/stories260K-llama/reference/stories260K_runc_once_upon_a_time_64.json");
        return JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
    }

    static int[] ints(JsonArray a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).getAsInt();
        }
        return v;
    }

    static String csv(int[] ids) {
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    @Test
    void runMatchesLlama2cArgmaxAtLastPosition() throws IOException {
        JsonObject ref = reference();
        int[] tokens = ints(ref.getAsJsonArray("tokens"));
        int[] argmax = ints(ref.getAsJsonArray("argmax"));
        for (int t : new int[] {4, 9, 16, 33, tokens.length}) {
            int[] prefix = Arrays.copyOf(tokens, t);
            Result r = run("run", "--tokens", csv(prefix), "--json");
            assertEquals(0, r.code(), r.err());
            JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
            assertArrayEquals(prefix, ints(o.getAsJsonArray("tokens")));
            int top1 = o.getAsJsonArray("top_k").get(0).getAsJsonObject().get("id").getAsInt();
            assertEquals(argmax[t - 1], top1, "argmax after " + t + " tokens");
        }
    }

    /** Past GPT-2's learned positions is bad input (exit 2); past a rotary model's trained length, a warning. */
    @Test
    void promptsLongerThanThePositionsAreAUsageErrorOrAWarning() {
        String ids513 = csv(java.util.stream.IntStream.range(0, 513).map(i -> 1 + i % 200).toArray());
        Result r = run("run", "--model", shared().resolve("fixtures/tiny-random-gpt2").toString(), "--tokens",
                ids513);
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("513 tokens") && r.err().contains("512 learned positions"), r.err());
        r = run("run", "--tokens", ids513);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("warning: the prompt has 513 tokens")
                && r.err().contains("max_position_embeddings (512)"), r.err());
    }

    @Test
    void noCommandNamesEveryCommandAndHelpNamesEachDefaultModel() {
        Result r = run();
        assertEquals(2, r.code());
        for (String c : new String[] {"run", "generate", "cache", "capture", "store", "scopes", "faithfulness", "sae",
                "physics", "train-physics-model", "shell"}) {
            assertTrue(r.err().contains(c), c + " missing from: " + r.err());
        }
        Result help = run("--help");
        assertTrue(help.out().contains("embedded physics model") && help.out().contains("shell"), help.out());
    }

    @Test
    void runPrintsReadableTableByDefault() {
        Result r = run("run", "--tokens", "1,403,407", "--top-k", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("top 3 next tokens"), r.out());
        assertTrue(r.out().contains("1:\"<s>\""), r.out());
        assertEquals(1 + 3, r.out().lines().dropWhile(l -> !l.strip().startsWith("rank")).count(), r.out());
        assertEquals("", r.err().strip(), "nothing on stderr on success");
    }

    @Test
    void runJsonHasRequiredFieldsSortedAndNormalised() {
        Result r = run("run", "--prompt", "Once upon a time", "--json", "--top-k", "7");
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.out().strip().lines().count(), "one JSON object on one line");
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(Set.of("model", "tokens", "token_texts", "top_k"), o.keySet());
        assertEquals(EmbeddedModel.path().toString(), o.get("model").getAsString());
        int[] tokens = ints(o.getAsJsonArray("tokens"));
        assertEquals(1, tokens[0], "BOS is prepended");
        JsonArray texts = o.getAsJsonArray("token_texts");
        assertEquals(tokens.length, texts.size());
        assertEquals("<s>", texts.get(0).getAsString());
        JsonArray top = o.getAsJsonArray("top_k");
        assertEquals(7, top.size());
        double sum = 0;
        double previous = Double.POSITIVE_INFINITY;
        double previousProb = Double.POSITIVE_INFINITY;
        for (JsonElement e : top) {
            JsonObject c = e.getAsJsonObject();
            assertEquals(Set.of("id", "text", "logit", "prob"), c.keySet());
            double logit = c.get("logit").getAsDouble();
            double prob = c.get("prob").getAsDouble();
            assertTrue(logit <= previous, "sorted by logit");
            assertTrue(prob <= previousProb, "probabilities follow the logits");
            assertTrue(prob > 0 && prob <= 1);
            previous = logit;
            previousProb = prob;
            sum += prob;
        }
        assertTrue(sum <= 1 + 1e-12, "sum " + sum);
    }

    @Test
    void topKSoftmaxIsExactOnTheFullVocabulary() {
        float[] logits = {1f, 3f, 2f, 3f};
        RunCommand.Candidate[] top = RunCommand.topK(logits, 10);
        assertEquals(4, top.length);
        assertArrayEquals(new int[] {1, 3, 2, 0}, Arrays.stream(top).mapToInt(RunCommand.Candidate::id).toArray());
        double z = 2 * Math.exp(3) + Math.exp(2) + Math.exp(1);
        assertEquals(Math.exp(3) / z, top[0].prob(), 1e-15);
        assertEquals(1.0, Arrays.stream(top).mapToDouble(RunCommand.Candidate::prob).sum(), 1e-15);
    }

    @Test
    void cacheWritesRequestedHooksWithTransformerLensShapes() throws IOException {
        Path out = tmp.resolve("sub/acts.safetensors");
        Result r = run("cache", "--prompt", "Once upon a time", "--hooks",
                "blocks.0.hook_resid_post,blocks.1.attn.hook_pattern", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(out.toAbsolutePath().toString(), o.get("out").getAsString());
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertEquals(Set.of("blocks.0.hook_resid_post", "blocks.1.attn.hook_pattern", "logits"), f.names());
            long t = f.info("logits").shape()[1];
            assertTrue(t >= 2);
            assertArrayEquals(new long[] {1, t, 64}, f.info("blocks.0.hook_resid_post").shape());
            assertArrayEquals(new long[] {1, 8, t, t}, f.info("blocks.1.attn.hook_pattern").shape());
            assertArrayEquals(new long[] {1, t, 512}, f.info("logits").shape());
            JsonArray shape = o.getAsJsonObject("tensors").getAsJsonArray("blocks.1.attn.hook_pattern");
            assertEquals(t, shape.get(2).getAsLong());
            // attention rows are causal distributions
            float[] pattern = f.readFloats("blocks.1.attn.hook_pattern");
            for (int row = 0; row < 8 * t; row++) {
                double s = 0;
                for (int j = 0; j < t; j++) {
                    s += pattern[(int) (row * t + j)];
                }
                assertEquals(1.0, s, 1e-5);
            }
            assertEquals(EmbeddedModel.path().toString(), f.metadata().get("model"));
            assertEquals("blocks.0.hook_resid_post,blocks.1.attn.hook_pattern", f.metadata().get("hooks"));
            assertEquals(t, f.metadata().get("tokens").split(",").length);
        }
    }

    @Test
    void cacheLogitsMatchRun() throws IOException {
        Path out = tmp.resolve("logits.safetensors");
        Result r = run("cache", "--tokens", "1,403,407", "--hooks", "hook_embed", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("wrote 2 tensors"), r.out());
        Result j = run("run", "--tokens", "1,403,407", "--json", "--top-k", "1");
        JsonObject best = JsonParser.parseString(j.out()).getAsJsonObject().getAsJsonArray("top_k").get(0)
                .getAsJsonObject();
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            float[] logits = f.readFloats("logits");
            assertEquals("1,403,407", f.metadata().get("tokens"));
            assertEquals(best.get("logit").getAsDouble(), logits[2 * 512 + best.get("id").getAsInt()], 0.0);
        }
    }

    @Test
    void cacheAllWritesEveryHookPoint() throws IOException {
        Path out = tmp.resolve("all.safetensors");
        Result r = run("cache", "--tokens", "1,403,407", "--hooks", "all", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Set<String> expected;
        try (HookedTransformer model = HookedTransformer.load(EmbeddedModel.path())) {
            expected = new HashSet<>(model.hookNames());
        }
        expected.add("logits");
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertEquals(expected, f.names());
            assertArrayEquals(new long[] {1, 3, 64}, f.info("blocks.4.hook_resid_post").shape());
            assertArrayEquals(new long[] {1, 3, 4, 8}, f.info("blocks.0.attn.hook_k").shape());
            assertArrayEquals(new long[] {1, 3, 512}, f.info("logits").shape());
            // tensors are listed in forward order
            java.util.List<String> order = Arrays.asList(f.metadata().get("hooks").split(","));
            assertEquals(expected.size(), order.size());
            assertEquals("hook_embed", order.get(0));
            assertEquals("blocks.0.hook_resid_pre", order.get(1));
            assertEquals("logits", order.get(order.size() - 1));
            for (int l = 0; l < 4; l++) {
                assertTrue(order.indexOf("blocks." + l + ".hook_resid_post")
                        < order.indexOf("blocks." + (l + 1) + ".hook_resid_pre"), "layer " + l);
                assertTrue(order.indexOf("blocks." + l + ".attn.hook_pattern")
                        < order.indexOf("blocks." + l + ".hook_mlp_out"), "layer " + l);
            }
        }
    }

    @Test
    void unknownHookIsAnErrorNamingIt() {
        Path out = tmp.resolve("x.safetensors");
        Result r = run("cache", "--tokens", "1,403", "--hooks", "blocks.0.hook_resid_pots", "--out",
                out.toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("unknown hook point"), r.err());
        assertTrue(r.err().contains("blocks.0.hook_resid_post"), "suggests the nearest name: " + r.err());
        assertTrue(r.err().startsWith("error: "), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void tokenOutsideVocabularyIsAnError() {
        Result r = run("run", "--tokens", "1,99999");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("outside the vocabulary"), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertEquals("", r.out());
    }

    @Test
    void verboseShowsTheStackTrace() {
        Result r = run("run", "--tokens", "1,99999", "--verbose");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("\tat "), r.err());
    }

    @Test
    void promptAndTokensAreMutuallyExclusive() {
        Result r = run("run", "--prompt", "Once", "--tokens", "1,2");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("error: "), r.err());
        assertTrue(r.err().contains("mutually exclusive"), r.err());
    }

    @Test
    void onePromptIsRequired() {
        Result r = run("run");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--prompt") && r.err().contains("--tokens"), r.err());
    }

    @Test
    void usageErrorsExitWithTwo() {
        Result bad = run("run", "--tokens", "1,abc");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("invalid token id 'abc'"), bad.err());
        assertEquals(2, run("run", "--tokens", "").code());
        assertEquals(2, run("run", "--tokens", "1,,2").code());
        assertEquals(2, run("cache", "--tokens", "1", "--hooks", ",", "--out", tmp.resolve("e.st").toString())
                .code());
        assertEquals(0, run("run", "--tokens", " 1, 403 ").code(), "spaces around ids are fine");
        assertEquals(2, run("run", "--prompt", "").code());
        assertEquals(2, run("run", "--tokens", "1", "--top-k", "0").code());
        assertEquals(2, run("frobnicate").code());
        assertEquals(2, run().code());
        Result missing = run("run", "--tokens", "1", "--model", tmp.resolve("nope").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("nope") && missing.err().contains("does not exist"), missing.err());
    }

    @Test
    void textPromptNeedsATokenizer() throws IOException {
        Path dir = tmp.resolve("no-tokenizer");
        Files.createDirectories(dir);
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(EmbeddedModel.path().resolve(f), dir.resolve(f));
        }
        Result r = run("run", "--model", dir.toString(), "--prompt", "Once");
        assertEquals(2, r.code());
        assertTrue(r.err().contains(dir.toString()) && r.err().contains("use --tokens"), r.err());
        Result ids = run("run", "--model", dir.toString(), "--tokens", "1,403", "--json");
        assertEquals(0, ids.code(), ids.err());
        JsonObject o = JsonParser.parseString(ids.out()).getAsJsonObject();
        assertTrue(o.getAsJsonArray("token_texts").get(0).isJsonNull());
    }

    @Test
    void malformedCheckpointIsARuntimeError() throws IOException {
        Path dir = tmp.resolve("broken");
        Files.createDirectories(dir);
        Files.copy(EmbeddedModel.path().resolve("config.json"), dir.resolve("config.json"));
        Files.write(dir.resolve("model.safetensors"), new byte[] {1, 2, 3});
        Result r = run("run", "--model", dir.toString(), "--tokens", "1,2");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("error: "), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void embeddedModelIsExtractedOnceWithEveryFile() throws IOException {
        Path dir = EmbeddedModel.path();
        assertEquals(dir, EmbeddedModel.path());
        assertTrue(dir.getFileName().toString().startsWith("stories260K-"), dir.toString());
        String cacheDir = System.getProperty("interp.cache.dir");
        if (cacheDir != null) {
            assertEquals(Paths.get(cacheDir, "models").toAbsolutePath(), dir.getParent());
        }
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "LICENSE", "README.md"}) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        assertEquals(Files.size(shared().resolve("fixtures/stories260K-llama/model.safetensors")),
                Files.size(dir.resolve("model.safetensors")));
    }

    @Test
    void versionAndHelp() {
        Result v = run("--version");
        assertEquals(0, v.code());
        assertTrue(v.out().startsWith("interp "), v.out());
        Result h = run("cache", "--help");
        assertEquals(0, h.code());
        assertTrue(h.out().contains("--hooks"), h.out());
    }

    /** Every command's examples print line for line as written (picocli used to wrap them mid-argument at 80). */
    @Test
    void helpPrintsEveryExampleLineUnwrapped() {
        java.util.ArrayDeque<CommandLine> todo = new java.util.ArrayDeque<>(java.util.List.of(InterpCli.commandLine()));
        int checked = 0;
        while (!todo.isEmpty()) {
            CommandLine c = todo.pop();
            todo.addAll(c.getSubcommands().values());
            String qualified = c.getCommandSpec().qualifiedName(" ");
            String[] args = (qualified.replaceFirst("^interp ?", "") + " --help").trim().split(" ");
            if (c.getCommandName().equals("help")) {
                continue;
            }
            Result h = run(args);
            assertEquals(0, h.code(), qualified + ": " + h.err());
            java.util.List<String> lines = Arrays.asList(h.out().split("\\R"));
            for (String line : c.getCommandSpec().usageMessage().footer()) {
                if (!line.isEmpty()) {
                    assertTrue(lines.contains(line), qualified + ": footer line '" + line + "' not printed whole in:\n"
                            + h.out());
                    checked++;
                }
            }
        }
        assertTrue(checked > 20, "only " + checked + " footer lines found");
    }

    /** The root help lists the launcher's shell as a command; started through Java it says to use the launcher. */
    @Test
    void rootHelpListsShellAndDirectShellSaysToUseTheLauncher() {
        Result help = run("--help");
        assertTrue(help.out().lines().anyMatch(l -> l.matches("\\s+shell\\s+.*")), help.out());
        assertTrue(help.out().contains("embedded physics model for physics"), help.out());
        Result shell = run("shell");
        assertEquals(2, shell.code());
        assertTrue(shell.err().contains("./interp shell"), shell.err());
    }
}
