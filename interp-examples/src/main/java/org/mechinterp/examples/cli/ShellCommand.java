package org.mechinterp.examples.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code interp shell}: listed so the help names it, but run by the launcher script ({@code ./interp}), because
 * JShell must own the terminal. Reaching this class means the Java CLI was started directly: a usage error that
 * says how to start the shell.
 */
@Command(name = "shell", mixinStandardHelpOptions = true,
        description = "JShell with the library on the class path and common imports (handled by the ./interp "
                + "launcher script; see examples/*.jsh).",
        footer = {"", "Examples:",
                "  ./interp shell",
                "  ./interp shell examples/01-load-and-run.jsh"})
final class ShellCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "JSHELL-ARGS", arity = "0..*", description = "Passed to jshell (e.g. a .jsh file).")
    java.util.List<String> args;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "'shell' is run by the launcher script: start it as "
                + "'./interp shell' from the repository root (the Java CLI cannot hand JShell the terminal)");
    }
}
