package org.mechinterp.core.progress;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of one long task, by the one rule of this project: a bar redrawn in place on a terminal, plain periodic
 * lines otherwise (logs, pipes, CI), nothing when quiet. It never writes to stdout, so {@code --json} output stays
 * clean.
 *
 * <pre>{@code
 * try (Progress p = Progress.start("capture", totalRows, "rows", Progress.Settings.auto())) {
 *     for (...) { ...; p.stepTo(done); }
 * }
 * }</pre>
 *
 * <p>Lines (style {@link Style#LINES}): at most one per {@link Settings#interval()} (default 10 s), e.g.
 * {@code capture: 4096/65536 rows (6%), 812 rows/s, about 1 min 16 s left}, and one when closed,
 * {@code capture: 65536/65536 rows in 80.6 s}. Bar (style {@link Style#BAR}): drawn by the progressbar library
 * (me.tongfei), one line rewritten with a carriage return every 200 ms from its own refresh thread, ended by a
 * newline when closed. Not thread-safe: call it from the working thread.
 */
public final class Progress implements AutoCloseable {
    /** How progress is shown. */
    public enum Style {
        /** A bar redrawn in place with carriage returns (for a terminal). */
        BAR,
        /** Plain periodic lines (for logs and pipes). */
        LINES,
        /** Nothing. */
        NONE;

        /**
         * The style by the rule: {@link #NONE} when {@code quiet}; else the system property {@code interp.progress}
         * ({@code bar}, {@code lines} or {@code none}) when set; else {@link #BAR} when the JVM has a console (stdin
         * and stdout are a terminal) and {@code TERM} is not {@code dumb}, {@link #LINES} otherwise.
         *
         * @param quiet whether the user asked for no progress ({@code --quiet})
         * @return the style to use
         */
        public static Style auto(boolean quiet) {
            if (quiet) {
                return NONE;
            }
            String forced = System.getProperty("interp.progress");
            if (forced != null && !forced.isBlank()) {
                return Style.valueOf(forced.strip().toUpperCase(Locale.ROOT));
            }
            boolean dumb = "dumb".equals(System.getenv("TERM"));
            return System.console() != null && !dumb ? BAR : LINES;
        }
    }

    /**
     * Where and how progress goes.
     *
     * @param style bar, lines or nothing
     * @param out the stream (stderr by default; flushed after each write, never closed)
     * @param interval the least time between two lines in {@link Style#LINES}
     */
    public record Settings(Style style, PrintWriter out, Duration interval) {
        /** Default time between plain lines. */
        public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

        /**
         * Validates: style and interval are required, and a stream unless the style is {@link Style#NONE}.
         *
         * @param style bar, lines or nothing
         * @param out the stream
         * @param interval the least time between two lines
         */
        public Settings {
            Objects.requireNonNull(style, "style");
            Objects.requireNonNull(interval, "interval");
            if (style != Style.NONE) {
                Objects.requireNonNull(out, "out");
            }
        }

        /**
         * {@link Style#auto(boolean) Style.auto(false)} on stderr.
         *
         * @return the default settings
         */
        public static Settings auto() {
            return of(Style.auto(false), stderr());
        }

        /**
         * No progress.
         *
         * @return settings that show nothing
         */
        public static Settings none() {
            return new Settings(Style.NONE, null, DEFAULT_INTERVAL);
        }

        /**
         * {@code style} on {@code out} with the default interval.
         *
         * @param style bar, lines or nothing
         * @param out the stream (flushed after each write, never closed)
         * @return the settings
         */
        public static Settings of(Style style, PrintWriter out) {
            return new Settings(style, out, DEFAULT_INTERVAL);
        }

        /**
         * {@code true}: {@link #auto()}, {@code false}: {@link #none()} (the old boolean switches).
         *
         * @param show whether to show progress
         * @return the settings
         */
        public static Settings of(boolean show) {
            return show ? auto() : none();
        }

        private static PrintWriter stderr() {
            return new PrintWriter(new OutputStreamWriter(System.err, Charset.defaultCharset()), false);
        }
    }

    private static final int BAR_REDRAW_MILLIS = 200;
    private static final int BAR_MAX_WIDTH = 100;

    private final String task;
    private final long total;
    private final String unit;
    private final Settings settings;
    private final LongSupplier clock;
    private final long start;
    private final long startCount;
    private long done;
    private String message = "";
    private long lastDraw;
    private final ProgressBar bar;
    private boolean closed;

    Progress(String task, long total, String unit, Settings settings, LongSupplier clock, long startCount) {
        this.task = Objects.requireNonNull(task, "task");
        this.total = total;
        this.unit = unit == null || unit.isEmpty() ? "" : " " + unit;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = clock;
        this.start = clock.getAsLong();
        this.lastDraw = start;
        this.startCount = startCount;
        this.done = startCount;
        this.bar = settings.style() == Style.BAR ? newBar(task, total, unit, settings.out(), startCount) : null;
    }

    /** The library's bar, drawing "\r" + its line on {@code out} (the writer, not a console, so tests can read it). */
    private static ProgressBar newBar(String task, long total, String unit, PrintWriter out, long startCount) {
        DelegatingProgressBarConsumer consumer = new DelegatingProgressBarConsumer(line -> {
            out.print('\r');
            out.print(line);
            out.flush();
        }, BAR_MAX_WIDTH);
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(total > 0 ? total : -1)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(BAR_REDRAW_MILLIS).setConsumer(consumer)
                .showSpeed();
        if (unit != null && !unit.isEmpty()) {
            b.setUnit(" " + unit, 1);
        }
        if (startCount > 0) {
            b.startsFrom(startCount, Duration.ZERO);
        }
        return b.build();
    }

    /**
     * Starts showing a task.
     *
     * @param task a short name ("capture", "sae topk")
     * @param total the count at the end, or ≤ 0 when unknown (no percentage or time left then)
     * @param unit what is counted ("rows", "steps", "prompts"); may be empty
     * @param settings where and how to show it
     * @return the running progress; close it when the task ends
     */
    public static Progress start(String task, long total, String unit, Settings settings) {
        return new Progress(task, total, unit, settings, System::nanoTime, 0);
    }

    /**
     * As {@link #start(String, long, String, Settings)}, resuming at {@code done} (rates count from here).
     *
     * @param task a short name
     * @param total the count at the end, or ≤ 0 when unknown
     * @param unit what is counted; may be empty
     * @param settings where and how to show it
     * @param done the count already done
     * @return the running progress; close it when the task ends
     */
    public static Progress resume(String task, long total, String unit, Settings settings, long done) {
        return new Progress(task, total, unit, settings, System::nanoTime, done);
    }

    /** For tests: a given clock in nanoseconds. */
    static Progress withClock(String task, long total, String unit, Settings settings, LongSupplier clock) {
        return new Progress(task, total, unit, settings, clock, 0);
    }

    /**
     * Sets the count done so far.
     *
     * @param count the count
     */
    public void stepTo(long count) {
        done = count;
        if (bar != null) {
            bar.stepTo(count);
        }
        maybeShow();
    }

    /**
     * Adds {@code n} to the count.
     *
     * @param n the increment
     */
    public void stepBy(long n) {
        stepTo(done + n);
    }

    /**
     * A short status shown after the counts (e.g. "loss 0.41"); shown at the next update.
     *
     * @param text the status, or null for none
     */
    public void message(String text) {
        message = text == null ? "" : text;
        if (bar != null) {
            bar.setExtraMessage(message);
        }
    }

    /**
     * The count so far.
     *
     * @return the count
     */
    public long done() {
        return done;
    }

    private void maybeShow() {
        long now = clock.getAsLong();
        if (settings.style() == Style.LINES && now - lastDraw >= settings.interval().toNanos()) {
            lastDraw = now;
            settings.out().println(task + ": " + counts(now, true));
            settings.out().flush();
        }
    }

    /** "450/1000 rows (45%), 12.3 rows/s, about 45 s left; message", or "... in 81.3 s" when not running. */
    private String counts(long now, boolean running) {
        StringBuilder sb = new StringBuilder();
        sb.append(done);
        if (total > 0) {
            sb.append('/').append(total);
        }
        sb.append(unit);
        double seconds = (now - start) / 1e9;
        if (running) {
            if (total > 0) {
                sb.append(String.format(Locale.ROOT, " (%d%%)", (int) (100.0 * done / total)));
            }
            double rate = seconds > 0 ? (done - startCount) / seconds : 0;
            if (rate > 0) {
                sb.append(String.format(Locale.ROOT, ", %s%s/s", rate(rate), unit));
                if (total > 0 && done < total) {
                    sb.append(", about ").append(duration((total - done) / rate)).append(" left");
                }
            }
        } else {
            sb.append(String.format(Locale.ROOT, " in %.1f s", seconds));
        }
        if (!message.isEmpty()) {
            sb.append("; ").append(message);
        }
        return sb.toString();
    }

    private static String rate(double r) {
        return r >= 100 ? String.format(Locale.ROOT, "%.0f", r) : String.format(Locale.ROOT, "%.3g", r);
    }

    /** "45 s", "3 min 5 s", "2 h 4 min". */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return (s / 60) + " min " + (s % 60) + " s";
        }
        return (s / 3600) + " h " + (s % 3600 / 60) + " min";
    }

    /** Shows the final count and elapsed time (a newline ends the bar); later calls do nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        switch (settings.style()) {
            case BAR -> {
                bar.close();    // draws the final state
                settings.out().println();
                settings.out().flush();
            }
            case LINES -> {
                settings.out().println(task + ": " + counts(clock.getAsLong(), false));
                settings.out().flush();
            }
            default -> { }
        }
    }
}
