package org.mechinterp.examples.cli;

import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help;

/**
 * Prints every command's footer (its examples) line by line as written, instead of picocli's word wrapping at the
 * usage width: wrapping there breaks a command line mid-argument ({@code --tensor blocks.2.⏎hook_resid_post}),
 * which cannot be copied. Footers are therefore written with lines short enough to read; {@code %n} and {@code %%}
 * keep picocli's meaning.
 */
final class VerbatimFooter {
    private VerbatimFooter() {}

    /** Replaces the footer renderer of {@code cli} and of all its subcommands, recursively. */
    static void install(CommandLine cli) {
        cli.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER, VerbatimFooter::render);
        for (Map.Entry<String, CommandLine> e : cli.getSubcommands().entrySet()) {
            install(e.getValue());
        }
    }

    private static String render(Help help) {
        String[] lines = help.commandSpec().usageMessage().footer();
        StringBuilder sb = new StringBuilder();
        for (String line : lines) {
            sb.append(line.replace("%n", System.lineSeparator()).replace("%%", "%")).append(System.lineSeparator());
        }
        return sb.toString();
    }
}
