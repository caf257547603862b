package org.mechinterp.sae;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What a user of interp-core + interp-sae gets on their class path: no test library (JUnit, TestNG, Mockito, ...) and
 * no command-line library (picocli, an SLF4J binding) outside test scope. Reads the verbose dependency tree that the
 * build writes to {@code target/dependency-tree.txt} (maven-dependency-plugin, generate-test-resources), which also
 * lists the nodes Maven dropped in favour of this module's own test-scoped JUnit: those are what a consumer, who has
 * no JUnit of their own at test scope, would get.
 */
class DependencyHygieneTest {
    private static final Pattern NODE = Pattern.compile("([\\w.\\-]+):([\\w.\\-]+):[\\w\\-]+(?::[\\w.\\-]+)?:[\\w.\\-]+:(compile|runtime|provided|system|test)");
    private static final Pattern BANNED = Pattern.compile(
            "^(org\\.junit.*|junit|org\\.testng|org\\.mockito|org\\.hamcrest|org\\.assertj|org\\.opentest4j"
                    + "|info\\.picocli):.*|^org\\.slf4j:slf4j-(simple|nop|reload4j|log4j12|jdk14):.*");

    @Test
    void noTestOrCliLibraryOutsideTestScope() throws IOException {
        Path tree = Path.of("target", "dependency-tree.txt");
        assertTrue(Files.exists(tree), "the build writes " + tree.toAbsolutePath() + " (run through Maven)");
        List<String> lines = Files.readAllLines(tree);
        assertTrue(lines.stream().anyMatch(l -> l.contains("org.mechinterp:interp-core")), "tree lists interp-core");
        List<String> leaks = lines.stream().filter(DependencyHygieneTest::leaks).collect(Collectors.toList());
        assertTrue(leaks.isEmpty(), "test/CLI libraries reach users' class path:\n" + String.join("\n", leaks));
    }

    static boolean leaks(String line) {
        Matcher m = NODE.matcher(line);
        while (m.find()) {
            String ga = m.group(1) + ":" + m.group(2) + ":";
            if (!m.group(3).equals("test") && BANNED.matcher(ga).matches()) {
                return true;
            }
        }
        return false;
    }

    @Test
    void detectsALeakInVerboseOutput() {
        assertTrue(leaks("|  |     \\- (org.junit.jupiter:junit-jupiter:jar:5.11.4:compile - version managed from 5.10.1;"
                + " omitted for duplicate)"));
        assertTrue(leaks("+- info.picocli:picocli:jar:4.7.6:compile"));
        assertTrue(!leaks("\\- org.junit.jupiter:junit-jupiter:jar:5.11.4:test"));
        assertTrue(!leaks("+- ai.djl.pytorch:pytorch-native-cpu:jar:linux-x86_64:2.7.1:runtime"));
    }
}
