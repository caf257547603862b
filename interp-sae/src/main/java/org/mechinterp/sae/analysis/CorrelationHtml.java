package org.mechinterp.sae.analysis;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

import org.mechinterp.sae.io.AtomicFiles;

/**
 * A self-contained HTML page (inline CSS, no scripts, no network) of a {@link LabelCorrelation.Result}: per label,
 * the SAE's top latents with r, p, q and held-out r, the best feature of every family, and the probe R².
 */
public final class CorrelationHtml {

    private CorrelationHtml() {
    }

    /**
     * Writes the page atomically to {@code file}.
     *
     * @param r the correlation result to render
     * @param file the HTML file to write (replaced atomically)
     * @throws IOException if writing or renaming fails
     */
    public static void write(LabelCorrelation.Result r, Path file) throws IOException {
        AtomicFiles.writeString(file, render(r));
    }

    /**
     * @param r the correlation result to render
     * @return the page
     */
    public static String render(LabelCorrelation.Result r) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Latents vs labels: ")
                .append(esc(r.hook())).append("</title><style>body{font:14px system-ui,sans-serif;margin:2em;}"
                + "table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:2px 8px;"
                + "text-align:right}th{background:#f3f3f3}td.l{text-align:left}.sig{font-weight:bold}</style></head>"
                + "<body>");
        h.append("<h1>SAE latents vs labels at ").append(esc(r.hook())).append("</h1>");
        h.append(String.format(Locale.ROOT, "<p>%d discovery rows in %d prompts, %d held-out rows in %d prompts; "
                + "%d discovery prompts without a same-length partner (not permuted by the null).</p>",
                r.discoveryRows(), r.discoveryPrompts(), r.heldOutRows(), r.heldOutPrompts(), r.unpermutedPrompts()));
        for (LabelCorrelation.LabelResult l : r.labels()) {
            h.append("<h2>").append(esc(l.label())).append("</h2>");
            if (l.probe() != null) {
                h.append(String.format(Locale.ROOT, "<p>Ridge probe from the full activation: held-out R² %.3f "
                        + "(cross-validated %.3f, λ = %.3g).</p>", l.probe().heldOutR2(), l.probe().cvR2(),
                        l.probe().lambda()));
            }
            h.append("<table class=\"top\"><tr><th>latent</th><th>r</th><th>p</th><th>q (BH)</th>"
                    + "<th>held-out r</th></tr>");
            for (LabelCorrelation.TopLatent t : l.top()) {
                h.append(String.format(Locale.ROOT, "<tr%s><td>%d</td><td>%.3f</td><td>%.2g</td><td>%.2g</td>"
                        + "<td>%.3f</td></tr>", t.q() <= 0.05 ? " class=\"sig\"" : "", t.latent(), t.discoveryR(),
                        t.p(), t.q(), t.heldOutR()));
            }
            h.append("</table><table class=\"families\"><tr><th>family</th><th>features</th><th>best</th>"
                    + "<th>discovery r</th><th>selection p</th><th>q</th><th>significant</th><th>held-out |r|</th>"
                    + "<th>held-out p</th></tr>");
            for (Map.Entry<String, FamilyCorrelation> e : l.families().entrySet()) {
                FamilyCorrelation c = e.getValue();
                h.append(String.format(Locale.ROOT, "<tr><td class=\"l\">%s</td><td>%d</td><td>%d</td><td>%.3f</td>"
                        + "<td>%.3g</td><td>%.2g</td><td>%d</td><td>%.3f</td><td>%.3g</td></tr>", esc(e.getKey()),
                        c.features(), c.bestFeature(), c.discoveryR(), c.selectionP(), c.bestQ(), c.significant(),
                        c.heldOutAbsR(), c.heldOutP()));
            }
            h.append("</table>");
        }
        h.append("</body></html>\n");
        return h.toString();
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
