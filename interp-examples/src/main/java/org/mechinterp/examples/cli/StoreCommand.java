package org.mechinterp.examples.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.mechinterp.sae.store.ActivationImport;
import org.mechinterp.sae.store.StoreManifest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code interp store}: activation store utilities; {@code interp store import} makes a store from a matrix. */
@Command(name = "store", mixinStandardHelpOptions = true,
        description = "Activation store utilities.",
        subcommands = {StoreCommand.ImportCommand.class})
final class StoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** Without a subcommand: a usage error. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing subcommand: use 'interp store import'");
    }

    /** {@code interp store import --from FILE.npy|FILE.safetensors --out STORE}. */
    @Command(name = "import", mixinStandardHelpOptions = true,
            description = {"Import an [N, d] float matrix (.npy, or one 2-D tensor of a .safetensors file) into a new "
                    + "activation store, one row per store row (prompt id = row index, position 0, token id -1)."},
            footer = {"", "Examples:",
                    "  interp store import --from acts.npy --out store",
                    "  interp store import --from cache.safetensors --tensor blocks.2.hook_resid_post --out store"})
    static final class ImportCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--from", paramLabel = "FILE", required = true,
                description = ".npy (<f2, <f4, <f8, C order) or .safetensors file holding an [N, d] matrix.")
        Path from;

        @Option(names = "--out", paramLabel = "STORE", required = true,
                description = "New store folder (must not exist or be empty).")
        Path out;

        @Option(names = "--tensor", paramLabel = "NAME",
                description = "Safetensors tensor to import (default: the file's only 2-D tensor).")
        String tensor;

        @Option(names = "--hook", paramLabel = "NAME",
                description = "Name to store the rows under (default: the tensor name, or 'activations').")
        String hook;

        @Option(names = "--shard-rows", paramLabel = "N", description = "Rows per shard (default: about 256 MiB).")
        Integer shardRows;

        @Option(names = "--json", description = "Print one JSON object instead of text.")
        boolean json;

        @Mixin
        VerboseOption verbose;

        @Mixin
        QuietOption quiet;

        @Override
        public Integer call() throws Exception {
            if (!Files.isRegularFile(from)) {
                throw usage("matrix file " + from + " does not exist");
            }
            if (shardRows != null && shardRows < 1) {
                throw usage("--shard-rows must be ≥ 1, got " + shardRows);
            }
            StoreManifest m;
            try {
                ActivationImport.Builder b = ActivationImport.builder().setSource(from).setOut(out)
                        .optProgress(quiet.progress(spec));
                if (tensor != null) {
                    b.optTensor(tensor);
                }
                if (hook != null) {
                    b.optHookName(hook);
                }
                if (shardRows != null) {
                    b.optShardRows(shardRows);
                }
                m = b.build().run();
            } catch (IllegalArgumentException | java.io.EOFException e) {
                // malformed, truncated or unsupported matrix, ambiguous tensor, non-empty --out
                throw usage(e.getMessage());
            }
            PrintWriter w = spec.commandLine().getOut();
            StoreManifest.Hook h = m.hooks().get(0);
            if (json) {
                JsonObject o = new JsonObject();
                o.addProperty("rows", m.totalRows());
                o.addProperty("shards", m.shards().size());
                JsonArray hs = new JsonArray();
                hs.add(h.name());
                o.add("hooks", hs);
                JsonObject d = new JsonObject();
                d.addProperty(h.name(), h.d());
                o.add("d", d);
                o.addProperty("out", out.toAbsolutePath().toString());
                w.println(JsonOutput.toJson(o));
            } else {
                w.printf("imported %d rows of d=%d from %s as '%s' into %d shards in %s%n", m.totalRows(), h.d(),
                        from, h.name(), m.shards().size(), out.toAbsolutePath());
            }
            w.flush();
            return 0;
        }

        private ParameterException usage(String message) {
            return new ModelCommand.InputError(spec.commandLine(), message);
        }
    }
}
