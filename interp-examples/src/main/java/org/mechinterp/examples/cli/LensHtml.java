package org.mechinterp.examples.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mechinterp.core.tokenizer.Tokenizer;

/**
 * A self-contained HTML page (inline CSS, no scripts or external resources) showing a {@link LensTable} as a
 * layer × position heat map: each cell is shaded by the probability of its column's heat-map token and shows the
 * layer's top-1 token; its tooltip lists the top-k with probabilities.
 */
final class LensHtml {
    private LensHtml() {}

    static void write(Path file, LensTable table, int[] ids, Tokenizer tokenizer, String title) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").append(esc(title))
                .append("</title>\n<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}"
                        + "td,th{border:1px solid #ccc;padding:3px 6px;font:12px monospace;text-align:center}"
                        + "th{background:#f4f4f4}</style></head><body>\n<h2>").append(esc(title)).append("</h2>\n")
                .append("<p>Cell: the layer's top-1 next token; shade: probability of the column's heat-map token "
                        + "(row <i>final_post</i> is the model's output).</p>\n<table>\n<tr><th>layer</th>");
        for (int p = 0; p < ids.length; p++) {
            h.append("<th>").append(p).append("<br>").append(esc(text(tokenizer, ids[p]))).append("<br>&rarr; ")
                    .append(esc(text(tokenizer, table.heatToken()[p]))).append("</th>");
        }
        h.append("</tr>\n");
        for (int l = table.layers().size() - 1; l >= 0; l--) {
            h.append("<tr><th>").append(esc(table.layers().get(l))).append("</th>");
            for (int p = 0; p < ids.length; p++) {
                RunCommand.Candidate[] top = table.top()[l][p];
                StringBuilder tip = new StringBuilder();
                for (RunCommand.Candidate c : top) {
                    tip.append(text(tokenizer, c.id())).append(String.format(" %.4f%n", c.prob()));
                }
                tip.append(String.format("p(heat token) %.4f, rank %d", table.heat()[l][p], table.heatRank()[l][p]));
                double alpha = Math.min(1, table.heat()[l][p]);
                h.append(String.format("<td style=\"background:rgba(220,60,40,%.3f)\" title=\"%s\">%s</td>", alpha,
                        esc(tip.toString()), esc(text(tokenizer, top[0].id()))));
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n</body></html>\n");
        Files.writeString(file, h, StandardCharsets.UTF_8);
    }

    private static String text(Tokenizer tokenizer, int id) {
        String t = tokenizer == null ? null : tokenizer.tokenText(id);
        return t == null ? "#" + id : t;
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
