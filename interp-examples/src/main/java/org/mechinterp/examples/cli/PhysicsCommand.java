package org.mechinterp.examples.cli;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.mechinterp.models.EmbeddedModel;
import org.mechinterp.examples.physics.Systems;
import org.mechinterp.examples.physics.study.PhysicsStudy;
import org.mechinterp.examples.physics.study.StudyInputException;
import org.mechinterp.examples.physics.study.StudyResults;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code interp physics}: the physics-in-context study ({@link PhysicsStudy}): forecasting vs context length, an SAE
 * on the residual stream, latents vs energy against baselines and a linear probe, Jacobian Scopes at forecast
 * positions; writes {@code results.json} and {@code report.html} into {@code --out}. Progress on stderr, a short
 * summary on stdout.
 */
@Command(name = "physics", mixinStandardHelpOptions = true,
        description = "Physics-in-context study: forecasting scaling law, SAE latents vs energy (with baselines), "
                + "Jacobian Scopes; writes results.json and report.html.",
        footer = {"", "Examples:", "  interp physics --out physics-study",
                "  interp physics --model /models/physics --system pendulums --out study-pendulums"})
final class PhysicsCommand implements Callable<Integer> {
    /** Classes that may provide the embedded physics model (a static {@code path()} method), in order. */
    static final List<String> EMBEDDED_PHYSICS_CLASSES = List.of(
            "org.mechinterp.models.EmbeddedPhysicsModel",
            "org.mechinterp.examples.physics.model.EmbeddedPhysicsModel",
            "org.mechinterp.examples.EmbeddedPhysicsModel");

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model folder with a digit-per-token tokenizer. Default: the embedded physics model.")
    Path modelDir;

    @Option(names = "--system", paramLabel = "NAME", defaultValue = "mass-spring",
            description = "Physical system (default: ${DEFAULT-VALUE}); one of mass-spring, pendulums, harmonic, "
                    + "damped, lorenz, logistic, brownian, ou.")
    String system;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "physics-study",
            description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--discovery", paramLabel = "N", defaultValue = "128",
            description = "Discovery trajectories (default: ${DEFAULT-VALUE}).")
    int discovery;

    @Option(names = "--heldout", paramLabel = "N", defaultValue = "64",
            description = "Held-out trajectories (default: ${DEFAULT-VALUE}).")
    int heldOut;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "0",
            description = "Time steps per trajectory (default: as many as fit the physics model's 384-token context, "
                    + "e.g. 47 for mass-spring).")
    int steps;

    @Option(names = "--layers", paramLabel = "L[,L...]", description = "Layers to capture. Default: every layer.")
    String layers;

    @Option(names = "--sae-layer", paramLabel = "L",
            description = "Layer of the SAE. Default: the layer whose ridge probe predicts E best (cross-validated).")
    Integer saeLayer;

    @Option(names = "--sae-width", paramLabel = "N", defaultValue = "0",
            description = "SAE latents (default: 8 d_model, between 64 and 1024).")
    int saeWidth;

    @Option(names = "--sae-k", paramLabel = "K", defaultValue = "8", description = "TopK k (default: ${DEFAULT-VALUE}).")
    int saeK;

    @Option(names = "--sae-steps", paramLabel = "N", defaultValue = "600",
            description = "SAE training steps (default: ${DEFAULT-VALUE}).")
    int saeSteps;

    @Option(names = "--sae-tokens", paramLabel = "series|readout", defaultValue = "series",
            converter = SaeTokensConverter.class,
            description = "Tokens the SAEs train on: every series token, or only the read-out tokens closing each "
                    + "time step (default: ${DEFAULT-VALUE}).")
    PhysicsStudy.SaeTokens saeTokens;

    @Option(names = "--permutations", paramLabel = "N", defaultValue = "200",
            description = "Permutations of the correlation null (default: ${DEFAULT-VALUE}).")
    int permutations;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "2025", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--per-trajectory-scaling",
            description = "Rescale each trajectory to its own window (default: one window fitted on the discovery set).")
    boolean perTrajectoryScaling;

    @Option(names = "--keep", description = "Keep the activation stores and corpora (store/, store-scrambled/, "
            + "corpus*.jsonl; about 200 MB for the default run) in --out; by default only results.json, "
            + "report.html and plots/ remain.")
    boolean keep;

    @Mixin
    VerboseOption verbose;

    @Mixin
    QuietOption quiet;

    @Override
    public Integer call() throws Exception {
        if (!Systems.names().contains(system)) {
            throw usage("unknown system '" + system + "'; known: " + Systems.names());
        }
        atLeast("--discovery", discovery, 5);
        atLeast("--heldout", heldOut, 2);
        if (steps != 0) {
            atLeast("--steps", steps, 8);
        }
        atLeast("--sae-width", saeWidth, 0);
        atLeast("--sae-k", saeK, 1);
        atLeast("--sae-steps", saeSteps, 1);
        atLeast("--permutations", permutations, 20);
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw usage("--out " + out + " is a file, not a folder");
        }
        Path model;
        String note = "";
        if (modelDir != null) {
            if (!Files.isDirectory(modelDir)) {
                throw usage("model directory " + modelDir + " does not exist or is not a folder");
            }
            if (!Files.isRegularFile(modelDir.resolve("tokenizer.json"))) {
                throw usage("model folder " + modelDir + " has no tokenizer.json (the study serialises trajectories "
                        + "as text)");
            }
            model = modelDir;
            note = unseenSystemNote(model, system);
        } else {
            List<String> warnings = new ArrayList<>();
            model = embeddedPhysicsModel(warnings);
            warnings.forEach(w -> spec.commandLine().getErr().println("warning: " + w));
            if (model == null) {
                model = EmbeddedModel.path();
                note = "no embedded physics model in this build: fell back to " + EmbeddedModel.NAME
                        + " (a TinyStories model never trained on trajectories)";
            } else {
                note = unseenSystemNote(model, system);
            }
        }
        if (!note.isEmpty()) {
            spec.commandLine().getErr().println("warning: " + note);
            spec.commandLine().getErr().flush();
        }
        PhysicsStudy.Builder b = PhysicsStudy.builder().setModel(model).optModelNote(note).setOut(out)
                .optSystem(system).optTrajectories(discovery, heldOut).optSteps(steps)
                .optSae(saeWidth, saeK, saeSteps, 256).optSaeTokens(saeTokens).optPermutations(permutations).optSeed(seed)
                .optDatasetScaling(!perTrajectoryScaling).optKeepIntermediate(keep).optLog(quiet.quiet ? null : spec.commandLine().getErr());
        if (layers != null) {
            b.optLayers(parseLayers(layers));
        }
        if (saeLayer != null) {
            b.optSaeLayer(saeLayer);
        }
        try {
            b.build();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        StudyResults r;
        try {
            r = b.build().run();
        } catch (StudyInputException e) {
            throw usage(e.getMessage());
        }
        var o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "forecast exponent %.3f (95%% CI %.3f .. %.3f)%n", r.forecast().exponent(),
                r.forecast().fit().lower(), r.forecast().fit().upper());
        o.printf(Locale.ROOT, "sae layer %d: fvu %.3f, l0 %.1f%n", r.sae().layer(), r.sae().fvu(), r.sae().l0());
        for (Map.Entry<String, Map<String, Double>> e : r.headline().entrySet()) {
            StringBuilder sb = new StringBuilder(e.getKey() + " held-out |r|:");
            e.getValue().forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.3f", k, v)));
            o.println(sb);
        }
        o.println("wrote " + out.resolve("results.json") + " and " + out.resolve("report.html"));
        o.flush();
        return 0;
    }

    /** A usage error naming only {@code option} when {@code value < min}. */
    private void atLeast(String option, int value, int min) {
        if (value < min) {
            throw usage(option + " must be >= " + min + ", got " + value);
        }
    }

    /**
     * A warning when the model's {@code provenance.json} (written by train-physics-model) lists the systems it was
     * trained on and {@code system} is not one of them; "" when it is, or when the folder does not say.
     */
    static String unseenSystemNote(Path modelDir, String system) {
        List<String> trained = trainedSystems(modelDir);
        if (trained.isEmpty() || trained.contains(system)) {
            return "";
        }
        return "the model was trained on " + String.join(", ", trained) + " (its provenance.json), never on "
                + system + ": its forecasts and features for " + system + " test transfer, not what it learned";
    }

    /** The {@code data.systems[].system} names of a model folder's provenance.json; empty when absent. */
    static List<String> trainedSystems(Path modelDir) {
        Path p = modelDir.resolve("provenance.json");
        List<String> names = new ArrayList<>();
        if (!Files.isRegularFile(p)) {
            return names;
        }
        try {
            com.google.gson.JsonElement root = com.google.gson.JsonParser.parseString(Files.readString(p));
            com.google.gson.JsonElement data = root.isJsonObject() ? root.getAsJsonObject().get("data") : null;
            com.google.gson.JsonElement systems = data != null && data.isJsonObject()
                    ? data.getAsJsonObject().get("systems") : null;
            if (systems != null && systems.isJsonArray()) {
                for (com.google.gson.JsonElement e : systems.getAsJsonArray()) {
                    if (e.isJsonObject() && e.getAsJsonObject().has("system")) {
                        names.add(e.getAsJsonObject().get("system").getAsString());
                    }
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // an unreadable provenance says nothing about the training systems; the study does not depend on it
            return List.of();
        }
        return names;
    }

    /** The embedded physics model's folder, when a build provides one; null otherwise (with the reason added). */
    static Path embeddedPhysicsModel(List<String> warnings) {
        for (String name : EMBEDDED_PHYSICS_CLASSES) {
            try {
                Class<?> c = Class.forName(name);
                Method path = c.getMethod("path");
                Object p = path.invoke(null);
                if (p instanceof Path dir) {
                    return dir;
                }
            } catch (ClassNotFoundException | NoSuchMethodException e) {
                // not in this build; try the next name
            } catch (ReflectiveOperationException e) {
                // present but unusable (e.g. a build without the model's resources): fall back, saying why
                warnings.add("the embedded physics model (" + name + ") is unavailable: "
                        + InterpCli.describe(e.getCause() != null ? e.getCause() : e));
                return null;
            }
        }
        return null;
    }

    /** Lower-case names for {@link PhysicsStudy.SaeTokens}. */
    static final class SaeTokensConverter implements picocli.CommandLine.ITypeConverter<PhysicsStudy.SaeTokens> {
        @Override
        public PhysicsStudy.SaeTokens convert(String value) {
            for (PhysicsStudy.SaeTokens t : PhysicsStudy.SaeTokens.values()) {
                if (t.name().equalsIgnoreCase(value)) {
                    return t;
                }
            }
            throw new picocli.CommandLine.TypeConversionException("expected series or readout, got '" + value + "'");
        }
    }

    private int[] parseLayers(String list) {
        List<String> parts = ModelCommand.splitList(list);
        if (parts.isEmpty()) {
            throw usage("--layers is empty");
        }
        List<Integer> out = new ArrayList<>();
        for (String p : parts) {
            try {
                out.add(Integer.parseInt(p));
            } catch (NumberFormatException e) {
                throw usage("invalid layer '" + p + "' in --layers " + list + " (expected integers such as 0,2,4)");
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private ModelCommand.InputError usage(String message) {
        return new ModelCommand.InputError(spec.commandLine(), message);
    }
}
