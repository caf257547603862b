package org.mechinterp.examples.physics.study;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.mechinterp.sae.analysis.FamilyCorrelation;
import org.mechinterp.sae.analysis.ProbeRegression;
import org.mechinterp.sae.analysis.Stats;

/**
 * Writes the study's plots (PNG and SVG files under {@code out/plots}) and a self-contained {@code report.html}
 * (inline CSS, plots embedded as base64 PNG, no external resources): the scaling law, the best latent against
 * energy, latent activations over time with E1/E2, the |r| distributions of latents vs baselines, the scope
 * heatmaps, a summary table and the headline numbers. Stateless.
 */
public final class StudyReport {

    private static final int W = 760;
    private static final int H = 460;

    private StudyReport() {
    }

    /**
     * Writes plots and {@code report.html} into {@code out}.
     *
     * @param r the study's results; not modified
     * @param out output folder; {@code out/plots/} and {@code out/report.html} are created or replaced
     * @throws IOException if a plot or the report cannot be written
     */
    public static void write(StudyResults r, Path out) throws IOException {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        Path plots = out.resolve("plots");
        Files.createDirectories(plots);
        Map<String, Chart<?, ?>> charts = new LinkedHashMap<>();
        charts.put("scaling_law", scalingLaw(r.forecast()));
        String q0 = r.correlation().keySet().iterator().next();
        charts.put("best_latent_vs_" + q0, scatter(r, q0));
        if (r.report().overTime().size() > 1) {
            charts.put("latents_over_time", overTime(r.report().overTime()));
        }
        for (String q : r.correlation().keySet()) {
            charts.put("abs_r_" + q, absR(r, q));
        }
        for (int m = 0; m < r.scopes().methods().length; m++) {
            charts.put("scope_" + r.scopes().methods()[m], heatmap(r.scopes(), m));
        }
        charts.put("scope_lag_profile", lagProfile(r.scopes()));
        Map<String, String> png = new LinkedHashMap<>();
        for (Map.Entry<String, Chart<?, ?>> e : charts.entrySet()) {
            byte[] bytes = BitmapEncoder.getBitmapBytes(e.getValue(), BitmapEncoder.BitmapFormat.PNG);
            StudyResults.writeAtomically(plots.resolve(e.getKey() + ".png"), bytes);
            ByteArrayOutputStream svg = new ByteArrayOutputStream();
            VectorGraphicsEncoder.saveVectorGraphic(e.getValue(), svg,
                    VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            StudyResults.writeAtomically(plots.resolve(e.getKey() + ".svg"), svg.toByteArray());
            png.put(e.getKey(), Base64.getEncoder().encodeToString(bytes));
        }
        StudyResults.writeAtomically(out.resolve("report.html"), html(r, png).getBytes(StandardCharsets.UTF_8));
    }

    static XYChart scalingLaw(ForecastResult f) {
        XYChart c = new XYChartBuilder().width(W).height(H).title(fit("Forecast error vs context length (held-out)"))
                .xAxisTitle("context length (steps)").yAxisTitle("RMSE (rescaled units)").build();
        c.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true)
                .setLegendPosition(Styler.LegendPosition.InsideSW);
        double[] x = Arrays.stream(f.contexts()).asDoubleStream().toArray();
        c.addSeries("model", x, floorPositive(f.modelRmse())).setMarker(SeriesMarkers.CIRCLE);
        c.addSeries("model 95% lo", x, floorPositive(f.modelLo())).setMarker(SeriesMarkers.NONE)
                .setLineStyle(dashed()).setLineColor(new Color(120, 120, 200)).setShowInLegend(false);
        c.addSeries("model 95% hi", x, floorPositive(f.modelHi())).setMarker(SeriesMarkers.NONE)
                .setLineStyle(dashed()).setLineColor(new Color(120, 120, 200)).setShowInLegend(false);
        c.addSeries("context parroting", x, floorPositive(f.parrotRmse())).setMarker(SeriesMarkers.DIAMOND);
        c.addSeries("repeat last value", x, floorPositive(f.lastRmse())).setMarker(SeriesMarkers.SQUARE);
        c.addSeries("quantisation floor", x, floorPositive(f.floorRmse())).setMarker(SeriesMarkers.NONE)
                .setLineStyle(dashed());
        double[] fit = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            fit[i] = f.fit().predict(x[i]);
        }
        c.addSeries(String.format(Locale.ROOT, "fit c^%.2f", f.fit().exponent()), x, fit)
                .setMarker(SeriesMarkers.NONE).setLineStyle(dashed());
        return c;
    }

    /** Most characters of a 760 px chart title in XChart's default title font before it runs off the image. */
    static final int MAX_TITLE_CHARS = 88;

    /** {@code title} cut to {@link #MAX_TITLE_CHARS} with an ellipsis (XChart neither wraps nor clips titles). */
    static String fit(String title) {
        return title.length() <= MAX_TITLE_CHARS ? title : title.substring(0, MAX_TITLE_CHARS - 1).strip() + "…";
    }

    private static BasicStroke dashed() {
        return new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {5f, 4f}, 0f);
    }

    /** Log axes cannot show 0: replace non-positive values by a tiny positive number. */
    private static double[] floorPositive(double[] a) {
        double[] o = a.clone();
        for (int i = 0; i < o.length; i++) {
            if (!(o[i] > 0)) {
                o[i] = 1e-6;
            }
        }
        return o;
    }

    static XYChart scatter(StudyResults r, String q) {
        FamilyCorrelation best = r.correlation().get(q).get(PhysicsStudy.SAE);
        double[][] data = r.report().scatter().get(q);
        XYChart c = new XYChartBuilder().width(W).height(H).title(fit(String.format(Locale.ROOT,
                "Best SAE latent (#%d, chosen on discovery) vs %s, held-out: r = %.3f", best.bestFeature(), q,
                best.heldOutR()))).xAxisTitle(q).yAxisTitle("latent activation").build();
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter).setMarkerSize(4)
                .setLegendVisible(false);
        c.addSeries("held-out read-out tokens", data[0], data[1]);
        return c;
    }

    static XYChart overTime(Map<String, double[]> series) {
        XYChart c = new XYChartBuilder().width(W).height(H)
                .title(fit("One held-out trajectory: energies (÷ mean E) and best latents (min–max scaled)"))
                .xAxisTitle("time step").yAxisTitle("scaled value").build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        double[] x = series.get("step");
        // Energies share one scale (so a conserved E stays flat and E1 + E2 ≈ E is visible); latents get their own.
        double[] e = series.get("E");
        double unit = e != null ? Math.abs(Stats.mean(e)) : 0;
        for (Map.Entry<String, double[]> en : series.entrySet()) {
            if (en.getKey().equals("step")) {
                continue;
            }
            boolean latent = en.getKey().startsWith("latent");
            if (latent && inactive(en.getValue())) {
                continue;   // min-max scaling would draw a constant as a flat line at 0.5; the caption says why
            }
            double[] y = latent || !(unit > 0) ? minMax(en.getValue()) : divide(en.getValue(), unit);
            XYSeries s = c.addSeries(en.getKey(), x, y);
            s.setMarker(SeriesMarkers.NONE);
            if (latent) {
                s.setLineStyle(dashed());
            }
        }
        return c;
    }

    /** Latent series of the over-time plot that never change on the trajectory (a dead latent: no activity). */
    static List<String> inactiveLatents(Map<String, double[]> series) {
        List<String> out = new ArrayList<>();
        series.forEach((k, v) -> {
            if (k.startsWith("latent") && inactive(v)) {
                out.add(k);
            }
        });
        return out;
    }

    private static boolean inactive(double[] v) {
        for (double x : v) {
            if (x != v[0]) {
                return false;
            }
        }
        return true;
    }

    private static double[] divide(double[] v, double by) {
        double[] o = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            o[i] = v[i] / by;
        }
        return o;
    }

    private static double[] minMax(double[] v) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        double[] o = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            o[i] = hi > lo ? (v[i] - lo) / (hi - lo) : 0.5;
        }
        return o;
    }

    static XYChart absR(StudyResults r, String q) {
        XYChart c = new XYChartBuilder().width(W).height(H)
                .title(fit("Held-out |r| with " + q + ": fraction of features at or above |r|"))
                .xAxisTitle("|r| (held-out)").yAxisTitle("fraction of features").build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        for (Map.Entry<String, double[][]> e : r.report().absR().get(q).entrySet()) {
            double[] v = e.getValue()[1].clone();
            Arrays.sort(v);
            int n = v.length;
            double[] x = new double[n];
            double[] y = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = v[i];
                y[i] = (n - i) / (double) n;
            }
            c.addSeries(e.getKey() + " (" + n + ")", x, y).setMarker(SeriesMarkers.NONE);
        }
        return c;
    }

    static HeatMapChart heatmap(ScopeAnalysis.Result s, int m) {
        int maxT = s.targets()[s.targets().length - 1];
        HeatMapChart c = new HeatMapChartBuilder().width(W).height(H).title(fit(s.methods()[m]
                + " scope: share of influence of earlier step s on the forecast of step c"))
                .xAxisTitle("earlier step s").yAxisTitle("forecast step c").build();
        // the colour bar prints min and max as given: 3 significant digits, rounded up so no cell exceeds it
        c.getStyler().setShowValue(false).setMin(0).setMax(ceilSignificant(maxShare(s, m), 3))
                .setRangeColors(new Color[] {new Color(250, 250, 255), new Color(90, 110, 220), new Color(150, 0, 40)});
        c.getStyler().setXAxisMaxLabelCount(MAX_X_LABELS);   // one label per step overprints beyond ~20 steps
        List<Integer> xs = new ArrayList<>();
        for (int i = 0; i < maxT; i++) {
            xs.add(i);
        }
        List<Integer> ys = new ArrayList<>();
        for (int t : s.targets()) {
            ys.add(t);
        }
        List<Number[]> data = new ArrayList<>();
        for (int ti = 0; ti < s.targets().length; ti++) {
            for (int i = 0; i < maxT; i++) {
                data.add(new Number[] {i, ti, s.share()[m][ti][i]});
            }
        }
        c.addSeries(s.methods()[m], xs, ys, data);
        return c;
    }

    static XYChart lagProfile(ScopeAnalysis.Result s) {
        XYChart c = new XYChartBuilder().width(W).height(H)
                .title(fit("Mean share of influence vs lag c − s (all forecast targets)")).xAxisTitle("lag (steps)")
                .yAxisTitle("share").build();
        c.getStyler().setYAxisLogarithmic(true).setLegendPosition(Styler.LegendPosition.InsideNE);
        for (int m = 0; m < s.methods().length; m++) {
            double[] share = s.lagShare()[m];
            double[] x = new double[share.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = i + 1;
            }
            c.addSeries(s.methods()[m], x, floorPositive(share)).setMarker(SeriesMarkers.CIRCLE);
        }
        return c;
    }

    /** Most x-axis labels of a heat map (760 px wide: labels of up to 3 digits do not touch). */
    static final int MAX_X_LABELS = 16;

    /** {@code x > 0} rounded up to {@code digits} significant digits (0.8210926 → 0.822). */
    static double ceilSignificant(double x, int digits) {
        if (!(x > 0) || Double.isInfinite(x)) {
            return x;
        }
        double scale = Math.pow(10, digits - 1 - Math.floor(Math.log10(x)));
        return scale >= 1 ? Math.ceil(x * scale) / scale : Math.ceil(x * scale) * Math.pow(10,
                Math.floor(Math.log10(x)) - digits + 1);
    }

    private static double maxShare(ScopeAnalysis.Result s, int m) {
        double mx = 1e-9;
        for (double[] row : s.share()[m]) {
            for (double v : row) {
                mx = Math.max(mx, v);
            }
        }
        return mx;
    }

    /**
     * The self-contained report page: head and style, title and settings, headline numbers, the feature, context,
     * trajectory-level, probe and forecasting tables, the plots, and the timings, in that order.
     *
     * @param r the study's results; not modified
     * @param png plot name → base64 PNG, embedded in this order; not modified
     * @return the HTML document
     */
    static String html(StudyResults r, Map<String, String> png) {
        StringBuilder sb = new StringBuilder();
        appendHead(sb, r);
        appendTitle(sb, r);
        appendHeadline(sb, r);
        appendFeatureTable(sb, r);
        appendContextProfile(sb, r);
        appendTrajectoryLevel(sb, r);
        appendLayerProbes(sb, r);
        appendForecasting(sb, r.forecast());
        appendPlots(sb, r, png);
        appendTimings(sb, r);
        sb.append("</body></html>\n");
        return sb.toString();
    }

    /** Appends the doctype, the {@code <head>} with title and inline CSS, and opens {@code <body>}. */
    private static void appendHead(StringBuilder sb, StudyResults r) {
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>Physics in context: ").append(esc(r.system())).append("</title>\n<style>")
                .append("body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1000px;margin:2em auto;")
                .append("padding:0 1em;color:#222;line-height:1.45}h1{font-size:1.6em}h2{margin-top:1.8em;")
                .append("border-bottom:1px solid #ddd}table{border-collapse:collapse;margin:1em 0;font-size:.92em}")
                .append("td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}th{background:#f3f3f6}")
                .append("td:first-child,th:first-child{text-align:left}table.settings td{text-align:left}.best{font-weight:bold;background:#eef6ee}")
                .append("img{max-width:100%;border:1px solid #eee;margin:.5em 0}.note{color:#555;font-size:.92em}")
                .append("code{background:#f4f4f4;padding:0 .2em}</style></head><body>\n");
    }

    /** Appends the {@code <h1>}, the model (and how it was chosen, if noted) and the settings table. */
    private static void appendTitle(StringBuilder sb, StudyResults r) {
        sb.append("<h1>Physics in context: ").append(esc(r.system())).append("</h1>\n<p class=\"note\">Model <code>")
                .append(esc(r.model())).append("</code>");
        if (!r.modelNote().isEmpty()) {
            sb.append(" — ").append(esc(r.modelNote()));
        }
        sb.append(".</p>\n");
        sb.append(settingsTable(r.settings()));
    }

    /** Appends the headline list: scaling law, digit mass, SAE quality, per-quantity and trajectory-level |r|. */
    private static void appendHeadline(StringBuilder sb, StudyResults r) {
        ForecastResult f = r.forecast();
        sb.append("<h2>Headline</h2><ul>");
        sb.append(String.format(Locale.ROOT, "<li>Forecast error scales as c<sup>%.3f</sup> (95%% CI [%.3f, %.3f], "
                + "%s over %d held-out trajectories); at the longest context c = %d: model RMSE %.4f, context "
                + "parroting %.4f, repeat-last %.4f, quantisation floor %.4f (rescaled units).</li>",
                f.fit().exponent(), f.fit().lower(), f.fit().upper(), f.fit().method(), f.trajectories(),
                f.contexts()[f.contexts().length - 1], last(f.modelRmse()), last(f.parrotRmse()),
                last(f.lastRmse()), last(f.floorRmse())));
        sb.append(String.format(Locale.ROOT, "<li>The model put on average %.1f%% of its probability on digit tokens "
                + "at digit positions.</li>", 100 * f.digitMass()));
        StudyResults.SaeSummary s = r.sae();
        sb.append(String.format(Locale.ROOT, "<li>TopK SAE at layer %d (%s): %d latents, k = %d, %d steps on %d tokens;"
                + " held-out FVU %.3f, L0 %.1f, %.1f%% of latents never fired on held-out tokens (scrambled-sequence SAE: FVU %.3f).</li>", s.layer(),
                esc(s.layerChoice()), s.width(), s.k(), s.steps(), s.trainTokens(), s.fvu(), s.l0(),
                100 * s.deadFraction(), s.scrambledFvu()));
        appendHeadlineQuantities(sb, r);
        appendHeadlineTrajectoryLevel(sb, r);
        sb.append("</ul>\n");
    }

    /**
     * Appends one headline item per quantity: the best SAE latent's held-out |r|, the best baseline family's, and the
     * ridge probe's held-out R² at the SAE layer.
     */
    private static void appendHeadlineQuantities(StringBuilder sb, StudyResults r) {
        StudyResults.SaeSummary s = r.sae();
        for (Map.Entry<String, Map<String, FamilyCorrelation>> e : r.correlation().entrySet()) {
            FamilyCorrelation sae = e.getValue().get(PhysicsStudy.SAE);
            String bestBase = "";
            double bestBaseR = -1;
            for (Map.Entry<String, FamilyCorrelation> fe : e.getValue().entrySet()) {
                if (!fe.getKey().equals(PhysicsStudy.SAE) && fe.getValue().heldOutAbsR() > bestBaseR) {
                    bestBaseR = fe.getValue().heldOutAbsR();
                    bestBase = fe.getKey();
                }
            }
            sb.append(String.format(Locale.ROOT, "<li><b>%s</b>: best SAE latent held-out |r| = %.3f (discovery r "
                    + "%.3f, selection p = %.3g); best baseline %s %.3f; ridge probe held-out R² = %.3f.</li>",
                    esc(e.getKey()), sae.heldOutAbsR(), sae.discoveryR(), sae.selectionP(), esc(bestBase), bestBaseR,
                    r.layerProbes().get(s.layer()).get(e.getKey()).heldOutR2()));
        }
    }

    /** Appends the headline item for the first quantity at the trajectory level (SAE and every baseline). */
    private static void appendHeadlineTrajectoryLevel(StringBuilder sb, StudyResults r) {
        String q0 = r.trajectoryLevel().correlation().keySet().iterator().next();
        Map<String, FamilyCorrelation> tq = r.trajectoryLevel().correlation().get(q0);
        StringBuilder tb = new StringBuilder();
        tq.forEach((fam, c) -> {
            if (!fam.equals(PhysicsStudy.SAE)) {
                tb.append(String.format(Locale.ROOT, ", %s %.3f", esc(fam), c.heldOutAbsR()));
            }
        });
        sb.append(String.format(Locale.ROOT, "<li>Trajectory level (means over steps ≥ %d): <b>%s</b> best SAE latent "
                + "held-out |r| = %.3f; baselines%s.</li>", r.trajectoryLevel().fromStep(), esc(q0),
                tq.get(PhysicsStudy.SAE).heldOutAbsR(), tb.toString().replaceFirst("^,", "")));
    }

    /**
     * Appends the per-token features-vs-quantities table (one row per quantity and family, the best held-out |r| of
     * each quantity in bold) and, if any q-value lies below the permutation floor, the note explaining the † mark.
     */
    private static void appendFeatureTable(StringBuilder sb, StudyResults r) {
        sb.append("<h2>Features vs quantities (held-out trajectories)</h2>\n<p class=\"note\">Per family, the feature "
                + "with the largest |Pearson r| on the discovery trajectories is scored on held-out trajectories "
                + "(sign-aligned r; |r| in bold when it is the best family). p: trajectory-permutation p-value "
                + "of the held-out r. q: Benjamini–Hochberg q of the selected feature on discovery; sig: features "
                + "with q ≤ 0.05.</p>\n<table><tr><th>quantity</th><th>family</th><th>features</th><th>best</th>"
                + "<th>disc. r</th><th>disc. ρ</th><th>sel. p</th><th>q</th><th>sig</th><th>held-out r</th>"
                + "<th>held-out ρ</th><th>held-out p</th><th>max held-out |r|</th></tr>\n");
        double floor = r.permutationFloor();
        boolean belowFloor = false;
        for (Map.Entry<String, Map<String, FamilyCorrelation>> e : r.correlation().entrySet()) {
            double top = e.getValue().values().stream().mapToDouble(FamilyCorrelation::heldOutAbsR).max().orElse(0);
            for (FamilyCorrelation c : e.getValue().values()) {
                boolean below = c.bestQ() < floor;
                belowFloor |= below;
                sb.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td>%d</td><td>%d</td><td>%.3f</td>"
                        + "<td>%.3f</td><td>%.3g</td><td>%.3g%s</td><td>%d</td><td%s>%.3f</td><td>%.3f</td><td>%.3g</td>"
                        + "<td>%.3f</td></tr>\n", esc(c.quantity()), esc(c.family()), c.features(), c.bestFeature(),
                        c.discoveryR(), c.discoverySpearman(), c.selectionP(), c.bestQ(), below ? " †" : "",
                        c.significant(), c.heldOutAbsR() == top ? " class=\"best\"" : "", c.heldOutR(),
                        c.heldOutSpearman(), c.heldOutP(), c.maxHeldOutAbsR()));
            }
        }
        sb.append("</table>\n");
        if (belowFloor) {
            sb.append(String.format(Locale.ROOT, "<p class=\"note\">† Below the permutation floor 1/(P+1) = %.3g "
                    + "(P = %d permutations): such q-values come from a normal fit to the null Fisher-z values, an "
                    + "extrapolation beyond what the permutations resolve; read them as q &lt; %.3g. Selection and "
                    + "held-out p are empirical and never below the floor.</p>\n", floor,
                    Math.round(1 / floor) - 1, floor));
        }
    }

    /** Appends the table of held-out |r| per quantity and family within each context-length bin of time steps. */
    private static void appendContextProfile(StringBuilder sb, StudyResults r) {
        ContextProfile cp = r.contextProfile();
        sb.append("<h2>Does the code sharpen as the context grows?</h2>\n<p class=\"note\">Held-out |r| of each "
                + "family's selected feature, within ranges of time steps (context length) across all held-out "
                + "trajectories.</p>\n<table><tr><th>quantity</th><th>family</th>");
        for (int i = 0; i < cp.bins(); i++) {
            sb.append(String.format(Locale.ROOT, "<th>steps %d–%d</th>", cp.binStart()[i], cp.binEnd()[i] - 1));
        }
        sb.append("</tr>\n");
        for (Map.Entry<String, Map<String, double[]>> e : r.byContext().entrySet()) {
            for (Map.Entry<String, double[]> fe : e.getValue().entrySet()) {
                sb.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(esc(fe.getKey()))
                        .append("</td>");
                for (double v : fe.getValue()) {
                    sb.append(String.format(Locale.ROOT, "<td>%.3f</td>", v));
                }
                sb.append("</tr>\n");
            }
        }
        sb.append("</table>\n");
    }

    /** Appends the trajectory-level correlation table (one row per quantity and family, best held-out |r| bold). */
    private static void appendTrajectoryLevel(StringBuilder sb, StudyResults r) {
        StudyResults.TrajectoryLevel tl = r.trajectoryLevel();
        sb.append("<h2>Trajectory level</h2>\n<p class=\"note\">Every feature and quantity averaged over each "
                + "trajectory's read-out tokens from step " + tl.fromStep() + " on (one row per trajectory), then the "
                + "same selection on discovery and scoring on held-out trajectories. For a conserved quantity this "
                + "asks which feature best separates trajectories by their energy.</p>\n<table><tr><th>quantity</th>"
                + "<th>family</th><th>best</th><th>disc. r</th><th>sel. p</th><th>held-out r</th><th>held-out ρ</th>"
                + "<th>held-out p</th></tr>\n");
        for (Map.Entry<String, Map<String, FamilyCorrelation>> e : tl.correlation().entrySet()) {
            double top = e.getValue().values().stream().mapToDouble(FamilyCorrelation::heldOutAbsR).max().orElse(0);
            for (FamilyCorrelation c : e.getValue().values()) {
                sb.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td>%d</td><td>%.3f</td><td>%.3g</td>"
                        + "<td%s>%.3f</td><td>%.3f</td><td>%.3g</td></tr>\n", esc(c.quantity()), esc(c.family()),
                        c.bestFeature(), c.discoveryR(), c.selectionP(), c.heldOutAbsR() == top ? " class=\"best\"" : "",
                        c.heldOutR(), c.heldOutSpearman(), c.heldOutP()));
            }
        }
        sb.append("</table>\n");
    }

    /** Appends the held-out R² of the ridge probe per layer (rows; layers without probes skipped) and quantity. */
    private static void appendLayerProbes(StringBuilder sb, StudyResults r) {
        sb.append("<h2>Linear probes per layer (held-out R²)</h2>\n<table><tr><th>layer</th>");
        List<String> qs = new ArrayList<>(r.correlation().keySet());
        for (String q : qs) {
            sb.append("<th>").append(esc(q)).append("</th>");
        }
        sb.append("</tr>\n");
        for (int l = 0; l < r.layerProbes().size(); l++) {
            Map<String, ProbeRegression.Result> m = r.layerProbes().get(l);
            if (m.isEmpty()) {
                continue;
            }
            sb.append("<tr><td>").append(l).append(l == r.sae().layer() ? " (SAE)" : "").append("</td>");
            for (String q : qs) {
                sb.append(String.format(Locale.ROOT, "<td>%.3f</td>", m.get(q).heldOutR2()));
            }
            sb.append("</tr>\n");
        }
        sb.append("</table>\n");
    }

    /** Appends the forecast RMSE table per context length (with the Bhattacharyya column when there is one). */
    private static void appendForecasting(StringBuilder sb, ForecastResult f) {
        sb.append("<h2>Forecasting</h2>\n<table><tr><th>context</th><th>model</th><th>95% CI</th><th>parroting</th>"
                + "<th>repeat last</th><th>floor</th>");
        if (f.bhattacharyya() != null) {
            sb.append("<th>Bhattacharyya</th>");
        }
        sb.append("</tr>\n");
        for (int i = 0; i < f.contexts().length; i++) {
            sb.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%.4f</td><td>[%.4f, %.4f]</td><td>%.4f</td>"
                    + "<td>%.4f</td><td>%.4f</td>", f.contexts()[i], f.modelRmse()[i], f.modelLo()[i], f.modelHi()[i],
                    f.parrotRmse()[i], f.lastRmse()[i], f.floorRmse()[i]));
            if (f.bhattacharyya() != null) {
                sb.append(String.format(Locale.ROOT, "<td>%.4f</td>", f.bhattacharyya()[i]));
            }
            sb.append("</tr>\n");
        }
        sb.append("</table>\n");
    }

    /** Appends every plot as an inline base64 PNG {@code <figure>} with its caption, in {@code png}'s order. */
    private static void appendPlots(StringBuilder sb, StudyResults r, Map<String, String> png) {
        sb.append("<h2>Plots</h2>\n");
        for (Map.Entry<String, String> e : png.entrySet()) {
            sb.append("<figure><img alt=\"").append(esc(e.getKey())).append("\" src=\"data:image/png;base64,")
                    .append(e.getValue()).append("\"><figcaption class=\"note\">").append(esc(caption(e.getKey(), r)))
                    .append("</figcaption></figure>\n");
        }
    }

    /** Appends the seconds per stage as one note paragraph. */
    private static void appendTimings(StringBuilder sb, StudyResults r) {
        sb.append("<h2>Timings</h2><p class=\"note\">");
        r.timings().forEach((k, v) -> sb.append(String.format(Locale.ROOT, "%s %.1f s; ", esc(k), v)));
        sb.append("</p>\n");
    }

    /** The study's settings as a two-column table (lists joined with commas). */
    static String settingsTable(Map<String, Object> settings) {
        StringBuilder sb = new StringBuilder("<details open><summary>Settings</summary>\n<table class=\"settings\">"
                + "<tr><th>setting</th><th>value</th></tr>\n");
        settings.forEach((k, v) -> sb.append("<tr><td>").append(esc(k.replace('_', ' '))).append("</td><td>")
                .append(esc(format(v))).append("</td></tr>\n"));
        return sb.append("</table></details>\n").toString();
    }

    private static String format(Object v) {
        if (v instanceof java.util.Collection<?> c) {
            return String.join(", ", c.stream().map(StudyReport::format).toList());
        }
        if (v instanceof int[] a) {
            return String.join(", ", Arrays.stream(a).mapToObj(Integer::toString).toList());
        }
        if (v instanceof Double d) {
            return !Double.isFinite(d) ? String.valueOf(d)
                    : new java.math.BigDecimal(String.format(Locale.ROOT, "%.4g", d)).stripTrailingZeros()
                            .toPlainString();
        }
        return String.valueOf(v);
    }

    private static String caption(String key, StudyResults r) {
        if (key.equals("latents_over_time")) {
            List<String> dead = inactiveLatents(r.report().overTime());
            String base = "Energies divided by the mean of E; each latent min–max scaled over the trajectory.";
            return dead.isEmpty() ? base : base + " Not drawn: " + String.join("; ", dead)
                    + " — dead latent, no activity on this trajectory.";
        }
        if (key.equals("scaling_law")) {
            return "RMSE of the decoded mean of the model's digit distribution vs context length, log–log, with the "
                    + "95% bootstrap band (dashed), baselines and the fitted power law.";
        }
        if (key.startsWith("best_latent")) {
            return "Each dot is one held-out time step (read-out token).";
        }
        if (key.startsWith("abs_r_")) {
            return "Complementary distribution of held-out |r| over all features of each family.";
        }
        if (key.equals("scope_lag_profile")) {
            return "Which lags the forecast depends on; a peak at the period of the motion would mean look-up of the "
                    + "previous cycle (as context parroting does).";
        }
        if (key.startsWith("scope_")) {
            return "Rows: forecast targets; columns: earlier steps; colour: mean share of influence.";
        }
        return key.replace('_', ' ');
    }

    private static double last(double[] a) {
        return a[a.length - 1];
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
