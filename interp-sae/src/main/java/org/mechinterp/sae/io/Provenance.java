package org.mechinterp.sae.io;

import ai.djl.engine.Engine;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Properties;

/**
 * The {@code provenance} object saved in an SAE's {@code cfg.json}: what made it (training config, seed, steps,
 * hook, model) and with what (library version, Java, OS, architecture, DJL version, creation time).
 */
public final class Provenance {
    private Provenance() {}

    /**
     * @param trainingConfig the training config as JSON (copied)
     * @param seed the seed
     * @param steps training steps completed
     * @param modelName model the activations came from
     * @param hookName hook point
     * @return a new provenance object: these fields, the config copy, library version, creation time, Java and OS
     */
    public static JsonObject create(JsonObject trainingConfig, long seed, long steps, String modelName,
            String hookName) {
        JsonObject o = new JsonObject();
        o.addProperty("library", "interp-sae");
        o.addProperty("library_version", libraryVersion());
        o.addProperty("created", Instant.now().toString());
        o.addProperty("seed", seed);
        o.addProperty("training_steps", steps);
        o.addProperty("model_name", modelName);
        o.addProperty("hook_name", hookName);
        o.addProperty("java_version", System.getProperty("java.version"));
        o.addProperty("java_vendor", System.getProperty("java.vendor"));
        o.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        o.addProperty("arch", System.getProperty("os.arch"));
        o.addProperty("djl_version", djlVersion());
        o.add("config", trainingConfig.deepCopy());
        return o;
    }

    /**
     * The interp-sae version from the jar's Maven metadata, or "development" when run from classes.
     *
     * @return the version string
     */
    public static String libraryVersion() {
        try (InputStream in = Provenance.class.getResourceAsStream(
                "/META-INF/maven/org.mechinterp/interp-sae/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null) {
                    return v;
                }
            }
        } catch (IOException ignored) {
            // fall back to the manifest / development marker
        }
        String v = Provenance.class.getPackage().getImplementationVersion();
        return v != null ? v : "development";
    }

    private static String djlVersion() {
        try {
            return Engine.getDjlVersion();
        } catch (RuntimeException | LinkageError e) {
            return "unknown";
        }
    }
}
