package org.mechinterp.sae.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * Draws {@link DensityHistogram}'s counts with XChart. Kept apart so that only this class needs XChart (an optional
 * dependency): it is loaded only after {@link DensityHistogram#requireXChart()} found the library.
 */
final class DensityHistogramChart {
    private DensityHistogramChart() {}

    /** Writes a bar chart of {@code counts} (bins over [−10, 0] in log10 density) as a PNG, atomically. */
    static void writePng(long[] counts, Path png, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int bins = counts.length;
        List<String> x = new ArrayList<>();
        List<Long> y = new ArrayList<>();
        for (int i = 0; i < bins; i++) {
            x.add(String.format(Locale.ROOT, "%.1f", -10 + (i + 0.5) * 10.0 / bins));
            y.add(counts[i]);
        }
        CategoryChart chart = new CategoryChartBuilder().width(900).height(500).title(title)
                .xAxisTitle("log10 feature density").yAxisTitle("latents").build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setXAxisLabelRotation(90);
        chart.getStyler().setAvailableSpaceFill(0.95);
        chart.addSeries("latents", x, y);
        Path abs = png.toAbsolutePath();
        if (abs.getParent() != null) {
            Files.createDirectories(abs.getParent());
        }
        org.mechinterp.core.io.AtomicFile.write(abs, out -> BitmapEncoder.saveBitmap(chart, out,
                BitmapEncoder.BitmapFormat.PNG));
    }
}
