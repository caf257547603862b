package org.mechinterp.examples.cli;

import picocli.CommandLine.Option;

/**
 * The {@code --verbose} flag every command accepts. {@link InterpCli}'s error handler reads it from the raw
 * arguments (errors can happen before options are bound), so this mixin only declares it for parsing and help.
 */
final class VerboseOption {
    @Option(names = "--verbose", description = "Show the stack trace of errors.")
    boolean verbose;
}
