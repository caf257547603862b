package org.mechinterp.examples.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.mechinterp.sae.store.StoreManifest;
import org.mechinterp.sae.store.StoreReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code interp sae}: train and evaluate sparse autoencoders on an activation store. */
@Command(name = "sae", mixinStandardHelpOptions = true,
        description = "Sparse autoencoders: train on an activation store (interp capture), evaluate, correlate with "
                + "labels, write feature dashboards.",
        subcommands = {SaeTrainCommand.class, SaeEvalCommand.class, SaeCorrelateCommand.class,
            SaeDashboardCommand.class})
final class SaeCommand implements java.util.concurrent.Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command: use 'interp sae train' or 'interp sae eval'");
    }

    /** Checks that {@code store} is an activation store folder; a usage error otherwise. */
    static void requireStore(CommandSpec spec, Path store) {
        if (!Files.isDirectory(store)) {
            throw new ModelCommand.InputError(spec.commandLine(), "store " + store + " does not exist or is not a folder");
        }
        if (!Files.isRegularFile(store.resolve(StoreManifest.FILE_NAME))) {
            throw new ModelCommand.InputError(spec.commandLine(), "store " + store + " has no "
                    + StoreManifest.FILE_NAME + " (create one with 'interp capture')");
        }
    }

    /** The hook to use: the one given (checked), or the store's only hook. */
    static String resolveHook(CommandSpec spec, Path store, String requested) throws IOException {
        List<String> hooks;
        try (StoreReader r = StoreReader.open(store, false)) {
            hooks = r.hooks();
        }
        if (requested != null) {
            if (!hooks.contains(requested)) {
                throw new ModelCommand.InputError(spec.commandLine(), "store " + store + " has no hook '" + requested
                        + "' (it has " + String.join(", ", hooks) + ")");
            }
            return requested;
        }
        if (hooks.size() != 1) {
            throw new ModelCommand.InputError(spec.commandLine(), "store " + store + " holds several hooks ("
                    + String.join(", ", hooks) + "): choose one with --hook");
        }
        return hooks.get(0);
    }

    /** Whether rows at position 0 can be dropped (a captured store has positions, an imported one does not). */
    static boolean hasPositions(Path store) throws IOException {
        try (StoreReader r = StoreReader.open(store, false)) {
            StoreManifest.Source src = r.manifest().source();
            return src == null || !"import".equals(src.kind());
        }
    }
}
