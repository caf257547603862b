package org.mechinterp.nd4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A user of interp-nd4j gets nd4j-api but none of ND4J's backends or native libraries (nd4j-native, OpenBLAS,
 * JavaCPP's platform jars), nor a test library: those appear only at test scope in the build's verbose dependency
 * tree ({@code target/dependency-tree.txt}).
 */
class NoNativesOnUsersClassPathTest {
    private static final Pattern NODE = Pattern.compile(
            "([\\w.\\-]+):([\\w.\\-]+):jar(?::([\\w.\\-]+))?:[\\w.\\-]+:(compile|runtime|provided|system|test)");

    static boolean forbiddenForUsers(String line) {
        Matcher m = NODE.matcher(line);
        while (m.find()) {
            String g = m.group(1);
            String a = m.group(2);
            boolean nativeJar = a.startsWith("nd4j-native") || a.startsWith("nd4j-cuda") || g.equals("org.bytedeco")
                    && (m.group(3) != null || !a.equals("javacpp"));
            boolean testLib = g.startsWith("org.junit") || g.equals("junit") || g.equals("org.mockito");
            if (!m.group(4).equals("test") && (nativeJar || testLib)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void nd4jNativesStayInTestScope() throws Exception {
        Path tree = Path.of("target", "dependency-tree.txt");
        assertTrue(Files.exists(tree), "the build writes " + tree.toAbsolutePath() + " (run through Maven)");
        List<String> lines = Files.readAllLines(tree);
        assertTrue(lines.stream().anyMatch(l -> l.contains("org.nd4j:nd4j-api:jar:") && l.contains(":compile")),
                "nd4j-api is a compile dependency");
        assertTrue(lines.stream().anyMatch(l -> l.contains("org.nd4j:nd4j-native:jar:linux-x86_64:")
                && l.contains(":test")), "the tests' backend is at test scope");
        List<String> leaks = lines.stream().filter(NoNativesOnUsersClassPathTest::forbiddenForUsers).toList();
        assertTrue(leaks.isEmpty(), "natives or test libraries reach users:\n" + String.join("\n", leaks));
    }

    @Test
    void detectsALeak() {
        assertTrue(forbiddenForUsers("+- org.nd4j:nd4j-native:jar:linux-x86_64:1.0.0-M2.1:compile"));
        assertTrue(forbiddenForUsers("|  +- org.bytedeco:openblas:jar:linux-x86_64:0.3.19-1.5.7:runtime"));
        assertTrue(!forbiddenForUsers("|  \\- org.bytedeco:javacpp:jar:1.5.7:compile"));
        assertTrue(!forbiddenForUsers("+- org.nd4j:nd4j-native:jar:linux-x86_64:1.0.0-M2.1:test"));
    }
}
