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
 * The histogram of log10 feature density (fraction of tokens on which each latent fires), the standard SAE
 * health plot: dead latents pile up at the left edge (plotted at −10, density + 1e-10), dense ones right of −1.
 */
public final class DensityHistogram {
    /** Bins from −10 to 0 in log10 density. */
    public static final int BINS = 50;

    private DensityHistogram() {}

    /** Counts per bin of log10(density + 1e-10) over [−10, 0], {@link #BINS} equal bins (values at 0 go last). */
    public static long[] counts(double[] density) {
        long[] c = new long[BINS];
        for (double v : density) {
            double l = Math.log10(v + 1e-10);
            int bin = (int) Math.floor((l + 10) / 10 * BINS);
            c[Math.max(0, Math.min(BINS - 1, bin))]++;
        }
        return c;
    }

    /** Writes the histogram as a PNG (atomically: temporary file, then rename). */
    public static void writePng(double[] density, Path png, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        long[] counts = counts(density);
        List<String> x = new ArrayList<>();
        List<Long> y = new ArrayList<>();
        for (int i = 0; i < BINS; i++) {
            x.add(String.format(Locale.ROOT, "%.1f", -10 + (i + 0.5) * 10.0 / BINS));
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
