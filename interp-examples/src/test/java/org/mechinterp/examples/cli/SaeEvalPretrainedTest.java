package org.mechinterp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mechinterp.sae.store.ActivationImport;

/**
 * {@code interp sae eval --sae PATH} reads the pretrained-release fixtures of interp-sae (written by
 * tools/make_pretrained_fixtures.py): on a store of the fixture's input rows, the reported MSE equals
 * Σ‖x − x̂‖²/(N·d) with x̂ the numpy float64 reference reconstructions (1e-6), and the hook is the one read from
 * the release path.
 */
class SaeEvalPretrainedTest {
    private static final Path FIXTURES = Path.of("..", "interp-sae", "src", "test", "resources", "sae-fixtures",
            "pretrained");

    @ParameterizedTest
    @CsvSource({
        "gemma-scope-2b-pt-res/layer_3/width_16/average_l0_5, gemma-scope-2b-pt-res/layer_3/width_16/average_l0_5/"
                + "params.npz, blocks.3.hook_resid_post",
        "llama-scope/Llama3_1-8B-Base-L3R-8x, llama-scope/Llama3_1-8B-Base-L3R-8x, blocks.3.hook_resid_post",
        "SAE-Res-Qwen3.5-2B-Base-W16-L0_3, SAE-Res-Qwen3.5-2B-Base-W16-L0_3/layer5.sae.safetensors, "
                + "blocks.5.hook_resid_post"})
    void evalReadsEachReleaseLayout(String dir, String sae, String hook, @TempDir Path tmp) throws Exception {
        JsonObject expected = JsonParser.parseString(Files.readString(FIXTURES.resolve(dir).resolve("expected.json")))
                .getAsJsonObject();
        JsonArray in = expected.getAsJsonArray("inputs");
        JsonArray recon = expected.getAsJsonArray("reconstructions");
        int rows = in.size();
        int d = in.get(0).getAsJsonArray().size();
        float[] x = new float[rows * d];
        double sse = 0;
        for (int b = 0; b < rows; b++) {
            for (int j = 0; j < d; j++) {
                x[b * d + j] = in.get(b).getAsJsonArray().get(j).getAsFloat();
                double e = x[b * d + j] - recon.get(b).getAsJsonArray().get(j).getAsDouble();
                sse += e * e;
            }
        }
        Path store = tmp.resolve("store");
        ActivationImport.builder().setMatrix(x, rows, d).optHookName(hook).setOut(store).build().run();
        InterpCliTest.Result r = InterpCliTest.run("sae", "eval", "--sae", FIXTURES.resolve(sae).toString(),
                "--store", store.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(hook, o.get("hook").getAsString());
        assertEquals(rows, o.get("tokens").getAsLong(), o.toString());
        assertEquals(sse / (rows * d), o.get("mse").getAsDouble(), 1e-6, o.toString());
        assertTrue(o.get("l0").getAsDouble() > 1, o.toString());
    }
}
