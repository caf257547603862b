package org.mechinterp.jacobian;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.jacobian.report.AttributionReport;

class AttributionReportTest {
    @TempDir
    Path tmp;

    static final List<String> TEXTS = List.of("<s>", " a<b>", " & \"c\"", "\n", " last");

    static AttributionResult row(Method m, double... scores) {
        return new AttributionResult(m, 3, null, new int[] {1, 2, 3, 4, 5}, TEXTS, scores, Map.of());
    }

    @Test
    void htmlIsSelfContainedEscapedAndColoursByRow() throws Exception {
        List<AttributionResult> rows = List.of(row(Method.SEMANTIC, 0, 1, 2, 4, 0),
                row(Method.TEMPERATURE, 5, 5, 5, 5, 0));
        String html = AttributionReport.html(rows, "test <report>");
        assertFalse(html.contains("<script"));
        assertFalse(html.contains("http://") || html.contains("https://") || html.contains("src="));
        assertTrue(html.contains(" a&lt;b&gt;") && html.contains("&amp; &quot;c&quot;") && html.contains("↵"));
        assertTrue(html.contains("background:#d7301f"), "row maximum is fully red");
        assertTrue(html.contains("score 4.00000"), "hover shows the raw score");
        assertEquals(2, html.split("<tr>").length - 1, "one row per method");
        Path file = tmp.resolve("r.html");
        AttributionReport.writeHtml(file, rows, "t");
        assertTrue(Files.readString(file).startsWith("<!DOCTYPE html>"));
        try (var s = Files.list(tmp)) {
            assertEquals(1, s.count(), "no temporary file left behind");
        }
    }

    /** The page names the model and the target token, and each row's score range in 4 significant digits. */
    @Test
    void htmlShowsContextAndAShortScoreRange() {
        AttributionResult r = new AttributionResult(Method.SEMANTIC, 3, 7, new int[] {1, 2, 3, 4, 5}, TEXTS,
                new double[] {0.012345678, 0.8162952998642917, 0.5, 0.25, 9}, Map.of());
        String html = AttributionReport.html(List.of(r), "interp scopes: semantic",
                List.of("model: /models/m", "target: ' girl' (id 7) at position 3"));
        assertTrue(html.contains("model: /models/m") && html.contains("target: &#39; girl&#39; (id 7)"), html);
        assertTrue(html.contains("<td class=\"r\">0.01235 – 0.8163</td>"), "range over positions 0..3: " + html);
        assertFalse(html.contains("0.8162952998642917"), "no 16-digit labels");
        String plain = AttributionReport.html(List.of(r), "t");
        assertTrue(plain.contains("target id 7"), "without context the target id is still shown");
    }

    @Test
    void pngAndSvgAreWrittenAndParse() throws Exception {
        List<AttributionResult> rows = List.of(row(Method.SEMANTIC, 0, 1, 2, 4, 0), row(Method.FISHER, 1, 0, 0, 0, 0));
        Path png = tmp.resolve("r.png");
        Path svg = tmp.resolve("r.svg");
        AttributionReport.writePng(png, rows);
        AttributionReport.writeSvg(svg, rows);
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img.getWidth() > 100 && img.getHeight() > 40);
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
        assertEquals("svg", doc.getDocumentElement().getNodeName());
        assertEquals(2 * 5, doc.getElementsByTagName("title").getLength(), "a tooltip per token and row");
        assertThrows(IllegalArgumentException.class, () -> AttributionReport.svg(List.of(row(Method.SEMANTIC,
                0, 1, 2, 3, 4), new AttributionResult(Method.FISHER, 0, null, new int[] {9}, null, new double[] {1},
                Map.of()))));
        assertThrows(java.nio.file.NoSuchFileException.class,
                () -> AttributionReport.writePng(tmp.resolve("missing/r.png"), rows));
    }
}
