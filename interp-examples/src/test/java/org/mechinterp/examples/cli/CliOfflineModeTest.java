package org.mechinterp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Offline mode is the command line's choice: building the CLI switches DJL offline (the library itself does not). */
class CliOfflineModeTest {
    @Test
    void commandLineSwitchesDjlOffline() {
        String before = System.clearProperty("ai.djl.offline");   // surefire sets it for every test
        try {
            InterpCli.commandLine("--help");
            assertEquals("true", System.getProperty("ai.djl.offline"));
        } finally {
            if (before == null) {
                System.clearProperty("ai.djl.offline");
            } else {
                System.setProperty("ai.djl.offline", before);
            }
        }
    }
}
