package org.mechinterp.sae.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * XChart is an optional dependency of interp-sae: without it {@link DensityHistogram} still loads and counts, and
 * {@code writePng} fails with a message naming the artifact to add; the build marks it optional.
 */
class OptionalChartingTest {
    @Test
    void withoutXChartCountsWorkAndDrawingNamesTheArtifact(@TempDir Path dir) throws Exception {
        URL classes = DensityHistogram.class.getProtectionDomain().getCodeSource().getLocation();
        // interp-sae's own classes only, over the platform loader: no XChart (nor anything else) reachable
        try (URLClassLoader bare = new URLClassLoader(new URL[] {classes}, ClassLoader.getPlatformClassLoader())) {
            assertThrows(ClassNotFoundException.class, () -> bare.loadClass("org.knowm.xchart.BitmapEncoder"));
            Class<?> h = bare.loadClass(DensityHistogram.class.getName());
            assertEquals(bare, h.getClassLoader());
            double[] density = {0, 1e-3, 0.5, 1};
            long[] counts = (long[]) h.getMethod("counts", double[].class).invoke(null, (Object) density);
            assertArrayEquals(DensityHistogram.counts(density), counts);
            Method write = h.getMethod("writePng", double[].class, Path.class, String.class);
            Path png = dir.resolve("h.png");
            InvocationTargetException e = assertThrows(InvocationTargetException.class,
                    () -> write.invoke(null, density, png, "t"));
            IllegalStateException cause = assertInstanceOf(IllegalStateException.class, e.getCause());
            assertTrue(cause.getMessage().contains(DensityHistogram.XCHART), cause.getMessage());
            assertTrue(!Files.exists(png));
        }
    }

    @Test
    void withXChartThePngIsWritten(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("sub/h.png");
        DensityHistogram.writePng(new double[] {0, 1e-3, 0.5, 1}, png, "t");
        byte[] head = Files.readAllBytes(png);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(head, 4));
    }

    @Test
    void theBuildDeclaresXChartOptionalAtTheNamedVersion() throws Exception {
        String[] gav = DensityHistogram.XCHART.split(":");
        Path tree = Path.of("target", "dependency-tree.txt");
        assertTrue(Files.exists(tree), "the build writes " + tree.toAbsolutePath() + " (run through Maven)");
        List<String> lines = Files.readAllLines(tree).stream()
                .filter(l -> l.contains(gav[0] + ":" + gav[1] + ":jar:")).toList();
        assertEquals(1, lines.size(), "one direct xchart node: " + lines);
        assertTrue(lines.get(0).contains(":jar:" + gav[2] + ":"), "resolved version is the one named: " + lines);
        // the verbose tree does not show <optional>: read it from this module's POM
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
        NodeList deps = pom.getElementsByTagName("dependency");
        int optional = 0;
        for (int i = 0; i < deps.getLength(); i++) {
            Element d = (Element) deps.item(i);
            if (gav[1].equals(text(d, "artifactId"))) {
                assertEquals("true", text(d, "optional"), "xchart must be <optional>true</optional> in interp-sae");
                optional++;
            }
        }
        assertEquals(1, optional);
    }

    private static String text(Element e, String tag) {
        NodeList n = e.getElementsByTagName(tag);
        return n.getLength() == 0 ? null : n.item(0).getTextContent().trim();
    }
}
