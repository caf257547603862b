package org.mechinterp.examples.cli;

import org.mechinterp.core.progress.Progress;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code --quiet} for commands that show progress, and the one rule they all follow ({@link Progress}): a bar on
 * the command's stderr when it is a terminal, plain periodic lines otherwise, nothing with {@code --quiet}; never
 * anything on stdout, so {@code --json} output stays one JSON value.
 */
final class QuietOption {
    @Option(names = "--quiet", description = "No progress on stderr (default: a bar on a terminal, plain lines "
            + "every 10 s otherwise).")
    boolean quiet;

    /** The progress settings of this command: its stderr writer, the style by the rule. */
    Progress.Settings progress(CommandSpec spec) {
        return quiet ? Progress.Settings.none()
                : Progress.Settings.of(Progress.Style.auto(false), spec.commandLine().getErr());
    }
}
