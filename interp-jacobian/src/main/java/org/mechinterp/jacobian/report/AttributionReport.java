package org.mechinterp.jacobian.report;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.mechinterp.jacobian.AttributionResult;

/**
 * Token heatmaps of attribution results for one prompt: one row per method, each token a box coloured by its score
 * min–max normalised within the row (white = row minimum, red = row maximum). Three renderings of the same layout:
 * a self-contained HTML page (inline CSS, no scripts or external resources; hovering a token shows its raw score),
 * a PNG (Java2D) and an SVG (hand-written, with a {@code <title>} tooltip per token).
 *
 * <p>Files are written atomically (a temporary file in the target directory, then an atomic move). Results are not
 * modified.
 */
public final class AttributionReport {
    private static final int MAX_WIDTH = 1400;
    private static final int CELL_HEIGHT = 26;
    private static final int PAD = 6;
    private static final Color HOT = new Color(0xd7, 0x30, 0x1f);

    private AttributionReport() {}

    /**
     * The HTML page as a string.
     *
     * @param rows the rows
     * @param title the title
     * @return the HTML page as a string
     */
    public static String html(List<AttributionResult> rows, String title) {
        return html(rows, title, List.of());
    }

    /**
     * The HTML page as a string, with lines of context under the title (e.g. the model folder and the target
     * token's text: {@code "model: /models/qwen"}, {@code "target: ' girl' (id 3974)"}); each row also states its
     * score range, the scale of its colours, to 4 significant digits.
     *
     * @param rows the attributions, one heat-map row each (not modified)
     * @param title the page title
     * @param context lines shown under the title (may be empty)
     * @return the self-contained HTML page
     */
    public static String html(List<AttributionResult> rows, String title, List<String> context) {
        check(rows);
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
                .append(escape(title)).append("</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;margin:24px;color:#222}\n")
                .append("table{border-collapse:collapse}td{padding:4px 8px;vertical-align:top}\n")
                .append("td.m{font-weight:600;white-space:nowrap;text-align:right}\n")
                .append("span.t{display:inline-block;margin:1px;padding:2px 3px;border-radius:3px;")
                .append("font-family:ui-monospace,monospace;white-space:pre;border:1px solid #ddd}\n")
                .append("span.x{color:#999;border-style:dashed}\n")
                .append("span.p{outline:2px solid #225;}\n")
                .append(".legend{margin-top:12px;font-size:90%;color:#555}\n")
                .append("h2{overflow-wrap:anywhere}td.r{font-size:85%;color:#555;white-space:nowrap}\n")
                .append("</style></head><body>\n<h2>").append(escape(title)).append("</h2>\n");
        for (String line : context) {
            sb.append("<p class=\"legend\">").append(escape(line)).append("</p>\n");
        }
        AttributionResult first = rows.get(0);
        sb.append("<p>prediction position ").append(first.position()).append(" (outlined)");
        if (first.target() != null && context.stream().noneMatch(l -> l.startsWith("target"))) {
            sb.append("; target id ").append(first.target());
        }
        sb.append("; ").append(first.tokens().length).append(" tokens</p>\n<table>\n");
        List<String> labels = labels(first);
        for (AttributionResult r : rows) {
            double[] n = normalised(r.scores(), r.position());
            sb.append("<tr><td class=\"m\">").append(escape(rowName(r))).append("</td><td>");
            for (int i = 0; i < n.length; i++) {
                boolean after = i > r.position();
                String cls = "t" + (after ? " x" : "") + (i == r.position() ? " p" : "");
                sb.append("<span class=\"").append(cls).append("\" style=\"background:")
                        .append(hex(colour(after ? 0 : n[i]))).append("\" title=\"")
                        .append(escape(String.format(Locale.ROOT, "#%d id %d score %.6g", i, r.tokens()[i],
                                r.score(i)))).append("\">").append(escape(labels.get(i))).append("</span>");
            }
            sb.append("</td><td class=\"r\">").append(escape(range(r))).append("</td></tr>\n");
        }
        sb.append("</table>\n<p class=\"legend\">Colour: score min–max normalised per row over positions up to the ")
                .append("prediction (white = minimum, red = maximum; the range is at the end of each row). Hover a ")
                .append("token for its raw score.</p>\n")
                .append("</body></html>\n");
        return sb.toString();
    }

    /**
     * {@link #html(List, String)} written atomically to {@code file}.
     *
     * @param file the page to write
     * @param rows the attributions (not modified)
     * @param title the page title
     * @throws IOException if the file cannot be written
     */
    public static void writeHtml(Path file, List<AttributionResult> rows, String title) throws IOException {
        writeHtml(file, rows, title, List.of());
    }

    /**
     * {@link #html(List, String, List)} written atomically to {@code file}.
     *
     * @param file the page to write
     * @param rows the attributions (not modified)
     * @param title the page title
     * @param context lines shown under the title (may be empty)
     * @throws IOException if the file cannot be written
     */
    public static void writeHtml(Path file, List<AttributionResult> rows, String title, List<String> context)
            throws IOException {
        writeAtomically(file, html(rows, title, context).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The SVG document as a string.
     *
     * @param rows the rows
     * @return the SVG document as a string
     */
    public static String svg(List<AttributionResult> rows) {
        Layout layout = layout(rows, null);
        StringBuilder sb = new StringBuilder();
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
                .append(layout.width).append("\" height=\"").append(layout.height).append("\" font-family=\"")
                .append("monospace\" font-size=\"13\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        for (Cell c : layout.cells) {
            if (c.token < 0) {
                sb.append("<text x=\"").append(c.x + c.w - 4).append("\" y=\"").append(c.y + 17)
                        .append("\" text-anchor=\"end\" font-family=\"sans-serif\" font-weight=\"bold\">")
                        .append(escape(c.text)).append("</text>\n");
                continue;
            }
            sb.append("<g><title>").append(escape(c.tooltip)).append("</title><rect x=\"").append(c.x)
                    .append("\" y=\"").append(c.y).append("\" width=\"").append(c.w).append("\" height=\"")
                    .append(CELL_HEIGHT - 2).append("\" fill=\"").append(hex(c.fill)).append("\" stroke=\"")
                    .append(c.prediction ? "#222255" : "#dddddd").append("\" stroke-width=\"")
                    .append(c.prediction ? 2 : 1).append("\"/><text x=\"").append(c.x + PAD / 2).append("\" y=\"")
                    .append(c.y + 17).append("\" xml:space=\"preserve\">").append(escape(c.text))
                    .append("</text></g>\n");
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    /**
     * The write svg.
     *
     * @param file the file
     * @param rows the rows
     * @throws IOException if a file cannot be read or written
     */
    public static void writeSvg(Path file, List<AttributionResult> rows) throws IOException {
        writeAtomically(file, svg(rows).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Renders the heatmap to an image (Java2D, headless).
     *
     * @param rows the rows
     * @return the buffered image
     */
    public static BufferedImage image(List<AttributionResult> rows) {
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        Font mono = new Font(Font.MONOSPACED, Font.PLAIN, 13);
        Font bold = new Font(Font.SANS_SERIF, Font.BOLD, 13);
        pg.setFont(mono);
        FontMetrics fm = pg.getFontMetrics();
        pg.dispose();
        Layout layout = layout(rows, fm);
        BufferedImage img = new BufferedImage(layout.width, layout.height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, layout.width, layout.height);
            for (Cell c : layout.cells) {
                if (c.token < 0) {
                    g.setFont(bold);
                    g.setColor(Color.BLACK);
                    int w = g.getFontMetrics().stringWidth(c.text);
                    g.drawString(c.text, c.x + c.w - 4 - w, c.y + 17);
                    continue;
                }
                g.setColor(c.fill);
                g.fillRect(c.x, c.y, c.w, CELL_HEIGHT - 2);
                g.setColor(c.prediction ? new Color(0x22, 0x22, 0x55) : new Color(0xdd, 0xdd, 0xdd));
                g.drawRect(c.x, c.y, c.w, CELL_HEIGHT - 2);
                g.setFont(mono);
                g.setColor(Color.BLACK);
                g.drawString(c.text, c.x + PAD / 2, c.y + 17);
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    /**
     * The write png.
     *
     * @param file the file
     * @param rows the rows
     * @throws IOException if a file cannot be read or written
     */
    public static void writePng(Path file, List<AttributionResult> rows) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        if (!ImageIO.write(image(rows), "png", bytes)) {
            throw new IOException("no PNG writer available in this JVM");
        }
        writeAtomically(file, bytes.toByteArray());
    }

    /** One positioned box: a method label (token −1) or a token. */
    private record Cell(int x, int y, int w, int token, String text, String tooltip, Color fill,
            boolean prediction) {}

    private record Layout(int width, int height, List<Cell> cells) {}

    /**
     * Columns are tokens, wrapped into blocks no wider than {@link #MAX_WIDTH}; each block repeats every method
     * row. Text widths come from {@code fm}, or a 8 px per character estimate for SVG.
     */
    private static Layout layout(List<AttributionResult> rows, FontMetrics fm) {
        check(rows);
        List<String> labels = labels(rows.get(0));
        int t = labels.size();
        int[] widths = new int[t];
        for (int i = 0; i < t; i++) {
            widths[i] = (fm == null ? 8 * labels.get(i).length() : fm.stringWidth(labels.get(i))) + PAD;
            widths[i] = Math.max(widths[i], 14);
        }
        int labelWidth = 20;
        for (AttributionResult r : rows) {
            labelWidth = Math.max(labelWidth, 8 * rowName(r).length() + 16);
        }
        List<int[]> blocks = new ArrayList<>();
        int start = 0;
        while (start < t) {
            int x = labelWidth;
            int end = start;
            while (end < t && (end == start || x + widths[end] + 2 <= MAX_WIDTH)) {
                x += widths[end] + 2;
                end++;
            }
            blocks.add(new int[] {start, end});
            start = end;
        }
        List<double[]> norm = new ArrayList<>();
        for (AttributionResult r : rows) {
            norm.add(normalised(r.scores(), r.position()));
        }
        List<Cell> cells = new ArrayList<>();
        int y = PAD;
        int width = labelWidth;
        for (int[] b : blocks) {
            for (int r = 0; r < rows.size(); r++) {
                AttributionResult res = rows.get(r);
                cells.add(new Cell(0, y, labelWidth - 8, -1, rowName(res), "", Color.WHITE, false));
                int x = labelWidth;
                for (int i = b[0]; i < b[1]; i++) {
                    boolean after = i > res.position();
                    String tip = String.format(Locale.ROOT, "#%d id %d score %.6g", i, res.tokens()[i],
                            res.score(i));
                    cells.add(new Cell(x, y, widths[i], i, labels.get(i), tip,
                            colour(after ? 0 : norm.get(r)[i]), i == res.position()));
                    x += widths[i] + 2;
                }
                width = Math.max(width, x + PAD);
                y += CELL_HEIGHT;
            }
            y += CELL_HEIGHT / 2;
        }
        return new Layout(width, y + PAD, cells);
    }

    /** "0.01234 – 0.8163": the row's score range over positions up to the prediction, 4 significant digits. */
    static String range(AttributionResult r) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i <= r.position() && i < r.scores().length; i++) {
            lo = Math.min(lo, r.score(i));
            hi = Math.max(hi, r.score(i));
        }
        return String.format(Locale.ROOT, "%.4g – %.4g", lo, hi);
    }

    private static void check(List<AttributionResult> rows) {
        if (rows == null || rows.isEmpty()) {
            throw new IllegalArgumentException("a report needs at least one attribution result");
        }
        int[] tokens = rows.get(0).tokens();
        for (AttributionResult r : rows) {
            if (!Arrays.equals(tokens, r.tokens())) {
                throw new IllegalArgumentException("all rows of a report must attribute the same prompt; "
                        + r.method().id() + " has different tokens");
            }
        }
    }

    private static String rowName(AttributionResult r) {
        Object rank = r.details().get("fisher_rank");
        if (r.method() == org.mechinterp.jacobian.Method.FISHER) {
            return Boolean.TRUE.equals(r.details().get("fisher_exact")) ? "fisher (exact)"
                    : rank != null ? "fisher (k=" + rank + ")" : "fisher (hutchinson)";
        }
        return r.method().id();
    }

    /** Display labels: token texts with whitespace made visible, or ids. */
    private static List<String> labels(AttributionResult r) {
        List<String> out = new ArrayList<>();
        int[] ids = r.tokens();
        for (int i = 0; i < ids.length; i++) {
            String s = r.tokenTexts() == null ? "#" + ids[i] : r.tokenTexts().get(i);
            s = s.replace("\n", "↵").replace("\t", "⇥").replace("\r", "");
            out.add(s.isEmpty() ? "∅" : s);
        }
        return out;
    }

    /** Min–max over positions ≤ ℓ; all-equal rows map to 0. */
    static double[] normalised(double[] s, int position) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i <= position && i < s.length; i++) {
            lo = Math.min(lo, s[i]);
            hi = Math.max(hi, s[i]);
        }
        double[] out = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = hi > lo && i <= position ? (s[i] - lo) / (hi - lo) : 0;
        }
        return out;
    }

    private static Color colour(double v) {
        double x = Double.isFinite(v) ? Math.max(0, Math.min(1, v)) : 0;
        return new Color((int) Math.round(255 + (HOT.getRed() - 255) * x),
                (int) Math.round(255 + (HOT.getGreen() - 255) * x), (int) Math.round(255 + (HOT.getBlue() - 255) * x));
    }

    private static String hex(Color c) {
        return String.format(Locale.ROOT, "#%02x%02x%02x", c.getRed(), c.getGreen(), c.getBlue());
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> {
                    if (c < 0x20 && c != '\n' && c != '\t') {
                        sb.append('\uFFFD'); // not representable in XML 1.0
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    private static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new java.nio.file.NoSuchFileException(String.valueOf(dir), null, "output directory does not exist");
        }
        org.mechinterp.core.io.AtomicFile.writeBytes(abs, bytes);   // mode by umask (0644), not 0600
    }
}
