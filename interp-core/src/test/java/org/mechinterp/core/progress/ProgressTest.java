package org.mechinterp.core.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressTest {
    /** A clock the test moves by hand, in nanoseconds. */
    static final class Clock {
        long now;

        void advance(double seconds) {
            now += (long) (seconds * 1e9);
        }
    }

    @Test
    void linesArePlainPeriodicAndEndWithTheTotal() {
        StringWriter sw = new StringWriter();
        Clock c = new Clock();
        Progress.Settings s = new Progress.Settings(Progress.Style.LINES, new PrintWriter(sw), Duration.ofSeconds(10));
        try (Progress p = Progress.withClock("capture", 1000, "rows", s, () -> c.now)) {
            for (int i = 1; i <= 100; i++) {
                c.advance(0.5);   // 50 s in all: a line at 10, 20, 30, 40 and 50 s
                p.stepTo(10L * i);
            }
        }
        List<String> lines = sw.toString().lines().toList();
        assertEquals(6, lines.size(), sw.toString());
        // after 10 s: 200 rows at 20 rows/s, 800 left = 40 s
        assertEquals("capture: 200/1000 rows (20%), 20.0 rows/s, about 40 s left", lines.get(0));
        assertEquals("capture: 1000/1000 rows in 50.0 s", lines.get(5));
        assertFalse(sw.toString().contains("\r") || sw.toString().contains("\u001b"), "no carriage return or ANSI");
    }

    @Test
    void barIsTheLibrarysLineRedrawnInPlaceAndEndsWithANewline() {
        StringWriter sw = new StringWriter();
        try (Progress p = Progress.start("train", 4, "steps", Progress.Settings.of(Progress.Style.BAR,
                new PrintWriter(sw)))) {
            for (int i = 1; i <= 4; i++) {
                p.message("loss " + i);
                p.stepTo(i);
            }
        }
        String out = sw.toString();
        assertTrue(out.startsWith("\rtrain"), out);
        assertTrue(out.endsWith(System.lineSeparator()) && out.chars().filter(ch -> ch == '\n').count() == 1,
                "one line, redrawn: " + out);
        String last = out.substring(out.lastIndexOf('\r') + 1).strip();
        assertTrue(last.startsWith("train 100%") && last.contains("4/4 steps") && last.endsWith("loss 4"), last);
    }

    @Test
    void noneWritesNothingAndQuietWins() {
        StringWriter sw = new StringWriter();
        try (Progress p = Progress.start("x", 10, "rows", new Progress.Settings(Progress.Style.NONE,
                new PrintWriter(sw), Duration.ZERO))) {
            p.stepTo(10);
        }
        assertEquals("", sw.toString());
        assertEquals(Progress.Style.NONE, Progress.Style.auto(true));
        // tests run without a console (stdin/stdout not a terminal): plain lines
        assertEquals(Progress.Style.LINES, Progress.Style.auto(false));
    }

    @Test
    void durationsReadLikeTime() {
        assertEquals("45 s", Progress.duration(45.2));
        assertEquals("3 min 5 s", Progress.duration(185));
        assertEquals("2 h 4 min", Progress.duration(2 * 3600 + 4 * 60 + 10));
    }
}
