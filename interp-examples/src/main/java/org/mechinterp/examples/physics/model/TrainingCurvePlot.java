package org.mechinterp.examples.physics.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.mechinterp.core.train.EvalResult;
import org.mechinterp.core.train.StepStats;
import org.mechinterp.core.train.TrainingCurve;

/**
 * Plots a {@link TrainingCurve} as a PNG: training loss per step (thin) and its moving average over
 * {@value #WINDOW} steps, held-out loss per target group at each evaluation, nats per token on a log axis.
 */
public final class TrainingCurvePlot {
    static final int WINDOW = 25;

    private TrainingCurvePlot() {}

    /**
     * Writes the plot to {@code file} (PNG) atomically.
     *
     * @param curve per-step training losses and held-out evaluations; not modified
     * @param title chart title, e.g. the model name
     * @param file destination PNG; replaced if present
     * @throws IOException if the image cannot be written
     */
    public static void write(TrainingCurve curve, String title, Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(520).title(title).xAxisTitle("step")
                .yAxisTitle("cross-entropy (nats / token)").build();
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setMarkerSize(5);
        List<StepStats> steps = curve.steps();
        if (!steps.isEmpty()) {
            double[] x = new double[steps.size()];
            double[] y = new double[steps.size()];
            double[] avg = new double[steps.size()];
            double run = 0;
            for (int i = 0; i < x.length; i++) {
                x[i] = steps.get(i).step() + 1;
                y[i] = steps.get(i).loss();
                run += y[i];
                if (i >= WINDOW) {
                    run -= y[i - WINDOW];
                }
                avg[i] = run / Math.min(i + 1, WINDOW);
            }
            XYSeries raw = chart.addSeries("train (per step)", x, y);
            raw.setMarker(SeriesMarkers.NONE);
            raw.setLineWidth(0.5f);
            XYSeries smooth = chart.addSeries("train (mean of " + WINDOW + ")", x, avg);
            smooth.setMarker(SeriesMarkers.NONE);
        }
        List<EvalResult> evals = curve.evals();
        if (!evals.isEmpty()) {
            double[] x = new double[evals.size()];
            double[] y = new double[evals.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = Math.max(evals.get(i).step(), 1); // the step-0 evaluation on the log-free x axis at 1
                y[i] = evals.get(i).loss();
            }
            chart.addSeries("held-out (all)", x, y);
            for (String group : evals.get(evals.size() - 1).groupLoss().keySet()) {
                double[] gy = new double[evals.size()];
                for (int i = 0; i < x.length; i++) {
                    gy[i] = evals.get(i).groupLoss().getOrDefault(group, Double.NaN);
                }
                chart.addSeries("held-out (" + group + ")", x, gy);
            }
        }
        AtomicText.write(file, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }
}
