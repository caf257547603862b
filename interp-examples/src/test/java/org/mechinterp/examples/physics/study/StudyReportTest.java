package org.mechinterp.examples.physics.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.XYChart;

/** Presentation details of the physics report that a reader would trip over. */
class StudyReportTest {

    /** Settings are a table, not a Java Map.toString. */
    @Test
    void settingsAreATable() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("discovery_trajectories", 128);
        s.put("layers", List.of(0, 1, 2, 3));
        s.put("dt", 0.4);
        s.put("seed", 2025L);
        String html = StudyReport.settingsTable(s);
        assertTrue(html.contains("<tr><td>discovery trajectories</td><td>128</td></tr>"), html);
        assertTrue(html.contains("<tr><td>layers</td><td>0, 1, 2, 3</td></tr>"), html);
        assertTrue(html.contains("<tr><td>dt</td><td>0.4</td></tr>"), html);
        assertFalse(html.contains("{") || html.contains("trajectories=128"), "no Map.toString: " + html);
    }

    /** A latent that never changes on the trajectory is not drawn (min–max scaling made it a line at 0.5). */
    @Test
    void deadLatentsAreNotDrawnAsAFlatLine() {
        Map<String, double[]> series = new LinkedHashMap<>();
        series.put("step", new double[] {0, 1, 2, 3});
        series.put("E", new double[] {1, 1, 1, 1});
        series.put("latent 7 (best for E)", new double[] {0, 0, 0, 0});
        series.put("latent 9 (best for E2)", new double[] {0, 2, 0, 1});
        XYChart c = StudyReport.overTime(series);
        assertTrue(c.getSeriesMap().containsKey("latent 9 (best for E2)"));
        assertFalse(c.getSeriesMap().containsKey("latent 7 (best for E)"), "dead latent drawn");
        assertTrue(c.getSeriesMap().containsKey("E"), "a constant energy is data (conserved), still drawn");
        assertEquals(List.of("latent 7 (best for E)"), StudyReport.inactiveLatents(series));
    }

    /** Heat maps: few enough x labels not to overprint 46 steps; a colour-bar maximum with 3 digits. */
    @Test
    void heatMapLabelsStayReadable() {
        int steps = 46;
        double[][][] share = new double[1][1][steps];
        share[0][0][steps - 1] = 0.8210926823589397;
        ScopeAnalysis.Result r = new ScopeAnalysis.Result(new String[] {"fisher"}, new int[] {steps}, 1, share,
                new double[1][steps], 1);
        HeatMapChart c = StudyReport.heatmap(r, 0);
        assertEquals(StudyReport.MAX_X_LABELS, c.getStyler().getXAxisMaxLabelCount());
        assertEquals("0.822", String.valueOf(c.getStyler().getMax()));
        assertEquals(0.822, StudyReport.ceilSignificant(0.8210926823589397, 3), 0);
        assertEquals(1.24e-4, StudyReport.ceilSignificant(1.2301e-4, 3), 1e-18);
        assertEquals(1240, StudyReport.ceilSignificant(1231.5, 3), 0);
        assertEquals(0.5, StudyReport.ceilSignificant(0.5, 3), 0);
    }

    /** results.json keys: snake_case, "heldout" spelled one way. */
    @Test
    void jsonKeysAreSnakeCase() {
        assertEquals("heldout_abs_r", StudyResults.snakeCase("heldOutAbsR"));
        assertEquals("train_tokens", StudyResults.snakeCase("trainTokens"));
        assertEquals("l0", StudyResults.snakeCase("l0"));
        assertEquals("lag_share", StudyResults.snakeCase("lagShare"));
        assertEquals("max_heldout_abs_r", StudyResults.snakeCase("maxHeldOutAbsR"));
    }

    /** Titles longer than the chart is wide end in an ellipsis instead of running off the image. */
    @Test
    void longTitlesAreEllipsized() {
        String longTitle = "x".repeat(200);
        String t = StudyReport.fit(longTitle);
        assertEquals(StudyReport.MAX_TITLE_CHARS, t.length());
        assertTrue(t.endsWith("…"));
        assertEquals("short", StudyReport.fit("short"));
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(1, 1,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = img.createGraphics();
        // XChart's default title font: a title of MAX_TITLE_CHARS typical characters fits in 760 px
        g.setFont(new org.knowm.xchart.style.XYStyler().getChartTitleFont());
        int width = g.getFontMetrics().stringWidth("Best SAE latent (#1023, chosen on discovery) vs E1, held-out: "
                .repeat(2).substring(0, StudyReport.MAX_TITLE_CHARS));
        g.dispose();
        assertTrue(width < 760, "a full-length title is " + width + " px wide");
    }
}
