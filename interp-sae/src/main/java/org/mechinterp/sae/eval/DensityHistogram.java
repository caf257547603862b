package org.mechinterp.sae.eval;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The histogram of log10 feature density (fraction of tokens on which each latent fires), the standard SAE
 * health plot: dead latents pile up at the left edge (plotted at −10, density + 1e-10), dense ones right of −1.
 */
public final class DensityHistogram {
    /** Bins from −10 to 0 in log10 density. */
    public static final int BINS = 50;

    /** The Maven coordinates of the charting library that {@link #writePng} needs. */
    public static final String XCHART = "org.knowm.xchart:xchart:3.8.8";

    private DensityHistogram() {}

    /**
     * Counts per bin of log10(density + 1e-10) over [−10, 0], {@link #BINS} equal bins (values at 0 go last).
     *
     * @param density fraction of tokens on which each latent fires, one entry per latent (not modified)
     * @return {@link #BINS} counts that sum to {@code density.length}
     */
    public static long[] counts(double[] density) {
        long[] c = new long[BINS];
        for (double v : density) {
            double l = Math.log10(v + 1e-10);
            int bin = (int) Math.floor((l + 10) / 10 * BINS);
            c[Math.max(0, Math.min(BINS - 1, bin))]++;
        }
        return c;
    }

    /**
     * Writes the histogram as a PNG (atomically: temporary file, then rename). Needs XChart, an optional dependency
     * of interp-sae: add {@value #XCHART} to your build to draw.
     *
     * @param density fraction of tokens on which each latent fires, one entry per latent (not modified)
     * @param png the file to write (its folder is created)
     * @param title the chart's title
     * @throws IllegalStateException if XChart is not on the class path (the message names the artifact)
     * @throws IOException if the file cannot be written
     */
    public static void writePng(double[] density, Path png, String title) throws IOException {
        requireXChart();
        DensityHistogramChart.writePng(counts(density), png, title);
    }

    /**
     * Fails with a clear message when XChart is absent; the chart code lives in another class so this one (and
     * {@link #counts}) loads without it.
     */
    static void requireXChart() {
        try {
            Class.forName("org.knowm.xchart.BitmapEncoder", false, DensityHistogram.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalStateException("drawing the density histogram needs XChart, an optional dependency of "
                    + "interp-sae: add " + XCHART + " to your build (the counts are available without it)", e);
        }
    }
}
