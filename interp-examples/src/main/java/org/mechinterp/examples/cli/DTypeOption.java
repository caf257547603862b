package org.mechinterp.examples.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.LoadOptions;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The load options of the commands that load a model: {@code --dtype} (how its weights are held, see LoadOptions)
 * and {@code --allow-non-finite} (the opt-out of the NaN/infinity check at load).
 */
final class DTypeOption {
    @Option(names = "--dtype", paramLabel = "auto|f32|stored", converter = StorageConverter.class,
            defaultValue = "auto",
            description = "How weights are held: f32 (upcast once at load, fastest), stored (at rest in the "
                    + "checkpoint's own BF16/F16, upcast per layer; about half the memory), auto (f32 when it "
                    + "fits in memory, else stored). Compute is F32 either way. Default: ${DEFAULT-VALUE}.")
    LoadOptions.Storage storage = LoadOptions.Storage.AUTO;

    @Option(names = "--allow-non-finite",
            description = "Load weights holding NaN or infinity instead of refusing them (for inspecting a broken "
                    + "checkpoint; results will be NaN).")
    boolean allowNonFinite;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** Loads {@code dir} with the chosen storage (and the memory guard on); load warnings go to stderr. */
    HookedTransformer load(Path dir) throws IOException {
        PrintWriter err = command.commandLine().getErr();
        return HookedTransformer.load(dir, LoadOptions.builder().optStorage(storage)
                .optCheckFinite(!allowNonFinite).optWarnings(w -> {
                    err.println("warning: " + w);
                    err.flush();
                }).build());
    }

    /** picocli's hook for {@link LoadOptions.Storage#parse}, so a bad value is a usage error (exit 2). */
    static final class StorageConverter implements ITypeConverter<LoadOptions.Storage> {
        @Override
        public LoadOptions.Storage convert(String value) {
            return LoadOptions.Storage.parse(value);
        }
    }
}
