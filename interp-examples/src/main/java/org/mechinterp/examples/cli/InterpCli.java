package org.mechinterp.examples.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.mechinterp.core.Interp;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code interp} command line: one subcommand per task (run, generate, cache, capture, store, scopes,
 * faithfulness, sae, physics, train-physics-model, shell); {@code shell} is listed here but run by the launcher
 * script.
 *
 * <p>Exit codes: 0 on success; 2 for usage errors (bad or conflicting options, malformed token lists, a missing
 * model folder, unknown hook names, token ids outside the vocabulary, an empty prompt); 1 when running fails
 * (unreadable or malformed checkpoint, I/O errors, engine errors). Errors print one line {@code error: <message>} to
 * stderr; {@code --verbose} adds the stack trace.
 */
@Command(name = "interp", mixinStandardHelpOptions = true, versionProvider = InterpCli.Version.class,
        description = "Mechanistic interpretability of transformer language models on the JVM.",
        subcommands = {RunCommand.class, LensCommand.class, GenerateCommand.class, CacheCommand.class, CaptureCommand.class, StoreCommand.class, ScopesCommand.class, FaithfulnessCommand.class, SaeCommand.class, PhysicsCommand.class, TrainPhysicsModelCommand.class, ShellCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Default model (without --model): the embedded physics model for physics and",
                "train-physics-model; the bundled stories260K model (llama2.c, TinyStories)",
                "for the others.",
                "Exit codes: 0 success, 1 runtime error, 2 usage error.",
                "Notebook use: './interp shell [FILE.jsh]' opens JShell with the library and",
                "common imports (see examples/*.jsh)."})
public final class InterpCli implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /**
     * Entry point of the {@code interp} launcher: runs the command line and exits the JVM with its exit code.
     *
     * @param args command-line arguments, e.g. {@code {"sae", "train", "--help"}}
     */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /**
     * Runs the command line in-process with {@link System#out}/{@link System#err}, without exiting the JVM.
     *
     * @param args command-line arguments, as after {@code ./interp}
     * @return the exit code: 0 success, 1 runtime error, 2 usage error
     */
    public static int execute(String... args) {
        return commandLine(args).execute(args);
    }

    /**
     * A configured command line (error handlers, version) for {@code args}; set its out/err writers to capture the
     * output, then call {@code execute(args)}.
     *
     * @param args the arguments it will run; only inspected here for {@code --verbose} (stack traces on errors)
     * @return a new picocli command line rooted at {@code interp}; not yet executed
     */
    public static CommandLine commandLine(String... args) {
        Interp.useOfflineMode();   // the CLI's choice: never download (the engine ships in the native jar)
        boolean verbose = Arrays.asList(args).contains("--verbose");
        CommandLine cli = new CommandLine(new InterpCli());
        VerbatimFooter.install(cli);
        cli.setUsageHelpAutoWidth(true);   // descriptions use a wide terminal's width (80 when not a terminal)
        cli.setParameterExceptionHandler((ex, a) -> {
            CommandLine cmd = ex.getCommandLine();
            PrintWriter err = cmd.getErr();
            String message = stripPrefix(ex.getMessage());
            if (ex instanceof UnmatchedArgumentException u) {
                List<String> suggestions = u.getSuggestions();
                if (!suggestions.isEmpty()) {
                    message += "; did you mean " + String.join(" or ", suggestions.subList(0,
                            Math.min(3, suggestions.size()))) + "?";
                }
            }
            boolean syntax = !(ex instanceof ModelCommand.InputError);
            err.println("error: " + message
                    + (syntax ? " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')" : ""));
            if (verbose) {
                ex.printStackTrace(err);
            }
            err.flush();
            return CommandLine.ExitCode.USAGE;
        });
        cli.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            PrintWriter err = cmd.getErr();
            boolean expected = ex instanceof IOException || ex instanceof IllegalArgumentException
                    || ex instanceof java.io.UncheckedIOException;
            err.println("error: " + describe(ex)
                    + (verbose || expected ? "" : " (" + ex.getClass().getSimpleName()
                            + "; run with --verbose for the stack trace)"));
            if (verbose) {
                ex.printStackTrace(err);
            }
            err.flush();
            return CommandLine.ExitCode.SOFTWARE;
        });
        return cli;
    }

    /** With no subcommand: a usage error. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command: use one of " + String.join(", ",
                spec.subcommands().keySet().stream().filter(n -> !n.equals("help")).toList())
                + "; 'interp help COMMAND' describes one");
    }

    /** A one-line description of an exception: its message, or its type when it has none. */
    static String describe(Throwable t) {
        String msg = t.getMessage();
        if (t instanceof NoSuchFileException n) {
            msg = "no such file: " + n.getFile() + (n.getReason() != null ? " (" + n.getReason() + ")" : "");
        } else if (msg == null || msg.isBlank()) {
            msg = t.getClass().getSimpleName() + (t.getCause() != null ? ": " + describe(t.getCause()) : "");
        }
        return msg.strip().replace('\n', ' ');
    }

    private static String stripPrefix(String message) {
        String m = message == null ? "invalid command line" : message.strip();
        return m.startsWith("Error: ") ? m.substring("Error: ".length()) : m;
    }

    /** The version from the jar (Maven's pom.properties, else the manifest), or "development build". */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = null;
            try (InputStream in = InterpCli.class.getResourceAsStream(
                    "/META-INF/maven/org.mechinterp/interp-examples/pom.properties")) {
                if (in != null) {
                    Properties p = new Properties();
                    p.load(in);
                    v = p.getProperty("version");
                }
            } catch (IOException ignored) {
                // fall through to the manifest
            }
            if (v == null) {
                v = InterpCli.class.getPackage().getImplementationVersion();
            }
            return new String[] {"interp " + (v != null ? v : "(development build)"),
                    "Java " + System.getProperty("java.version") + ", " + System.getProperty("os.name") + " "
                            + System.getProperty("os.arch")};
        }
    }
}
