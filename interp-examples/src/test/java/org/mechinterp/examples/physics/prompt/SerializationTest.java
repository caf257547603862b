package org.mechinterp.examples.physics.prompt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mechinterp.examples.physics.SeriesTestData;
import org.mechinterp.examples.physics.Trajectory;
import org.mechinterp.examples.physics.prompt.SeriesFormat.ParseMode;

/** Exact texts of both formats on hand-computed examples, the character map, round trips and parsing. */
class SerializationTest {

    static final RescaledDigits LIU = RescaledDigits.builder().build();
    static final IntegerGrid BAO = IntegerGrid.builder().build();

    @Test
    void rescaledDigitsWritesLiuText() {
        // global min 0, max 1: u = 0.15 + 0.7 x, truncated to p digits, "0." dropped, trailing ","
        double[][] v = {{0}, {1}, {0.5}, {0.25}};
        assertEquals("150,850,500,325,", LIU.serialize(v).text());
        assertEquals("15,85,50,32,", RescaledDigits.builder().optDigits(2).build().serialize(v).text());
        assertEquals("1500,8500,5000,3250", RescaledDigits.builder().optDigits(4).optTrailingSeparator(false)
                .build().serialize(v).text());
        // multivariate, flattened step-major with "," everywhere by default; ";" between steps on request
        double[][] w = {{0, 2}, {1, 1}};
        assertEquals("150,850,500,500,", LIU.serialize(w).text());
        assertEquals("150,850;500,500;", RescaledDigits.builder().optStepSeparator(";").build().serialize(w).text());
        assertEquals("150,850;850,150;", RescaledDigits.builder().optStepSeparator(";")
                .optScalingMode(ScalingMode.PER_COMPONENT).build().serialize(w).text());
    }

    @Test
    void integerGridWritesBaoText() {
        double[][] w = {{0, 2}, {1, 1}, {0.001, 1.999}};
        // y = 150 + 350 x, rounded: 0.001 -> 150.35 -> 150, 1.999 -> 849.65 -> 850
        assertEquals("150,850;500,500;150,850;", BAO.serialize(w).text());
        // truncation vs rounding on the same value: y = 500.6
        double[][] u = {{0}, {(500.6 - 150) / 700}, {1}};
        assertEquals("150;501;850;", BAO.serialize(u).text());
        assertEquals("150,500,850,", LIU.serialize(u).text());
        // variable width without padding
        IntegerGrid wide = IntegerGrid.builder().optRange(0, 1000).optTrailingSeparator(false).build();
        assertEquals(0, wide.width());
        assertEquals("0;1000;501", wide.serialize(new double[][] {{0}, {1}, {0.5006}}).text());
        // a constant series sits in the middle
        assertEquals("500;500;", BAO.serialize(new double[][] {{3.7}, {3.7}}).text());
    }

    @Test
    void characterMapIsExact() {
        Trajectory t = SeriesTestData.massSpring(40);
        for (SeriesFormat f : new SeriesFormat[] {LIU, BAO, RescaledDigits.builder().optDigits(2)
                .optComponentSeparator(" | ").optStepSeparator("\n").build()}) {
            SerializedSeries s = f.serialize(t, 5, 40);
            assertEquals(5, s.firstStep());
            assertEquals(35, s.steps());
            String text = s.text();
            int digitsSeen = 0;
            for (int i = 0; i < text.length(); i++) {
                boolean digit = Character.isDigit(text.charAt(i));
                assertEquals(digit, s.charKind(i) == CharKind.DIGIT, "char " + i);
                if (digit) {
                    digitsSeen++;
                    int st = s.charStep(i);
                    int c = s.charComponent(i);
                    assertEquals(s.valueStart(st, c) + s.charDigit(i), i);
                }
            }
            int expectDigits = 0;
            for (int st = 5; st < 40; st++) {
                for (int c = 0; c < 2; c++) {
                    String digits = text.substring(s.valueStart(st, c), s.valueEnd(st, c));
                    assertEquals(s.code(st, c), Long.parseLong(digits));
                    expectDigits += digits.length();
                    int after = s.valueEnd(st, c);
                    assertEquals(c == 0 ? CharKind.COMPONENT_SEP : CharKind.STEP_SEP, s.charKind(after));
                    assertEquals(st, s.charStep(after));
                }
            }
            assertEquals(expectDigits, digitsSeen);
        }
    }

    @Test
    void roundTripIsWithinHalfAQuantisationStep() {
        Trajectory t = SeriesTestData.massSpring(200);
        double[][] x = t.states();
        for (SeriesFormat f : new SeriesFormat[] {LIU, BAO, RescaledDigits.builder().optDigits(2).build(),
                RescaledDigits.builder().optDigits(5).optScalingMode(ScalingMode.PER_COMPONENT).build(),
                IntegerGrid.builder().optRange(0, 99).optScalingMode(ScalingMode.PER_COMPONENT).build()}) {
            SerializedSeries s = f.serialize(x);
            ParsedSeries p = f.parse(s.text(), s.scaling(), Integer.MAX_VALUE, ParseMode.STRICT);
            assertEquals(ParsedSeries.Stop.END, p.stop(), f + " " + p.message());
            assertEquals(s.text().length(), p.consumed());
            assertArrayEquals(s.codes(), p.codes(), f.toString());
            double worst = 0;
            for (int i = 0; i < x.length; i++) {
                for (int c = 0; c < 2; c++) {
                    double half = s.scaling().valuePerCode(c) / 2;
                    double err = Math.abs(p.values()[i][c] - x[i][c]);
                    assertTrue(err <= half * (1 + 1e-9), f + " step " + i + " err " + err + " half " + half);
                    worst = Math.max(worst, err / half);
                    assertEquals(s.decoded()[i][c], p.values()[i][c], 0);
                }
            }
            // the bound is attained up to sampling: the worst error uses most of the half step
            assertTrue(worst > 0.9, f + " worst " + worst);
            // the digit axis: a code's bin [D, D + 1) has the decoded value at its centre
            for (int c = 0; c < 2; c++) {
                long code = s.code(7, c);
                assertEquals(f.decode(code, c, s.scaling()), f.digitAxisToValue(code + 0.5, c, s.scaling()), 1e-12);
                assertEquals(3.25, f.valueToDigitAxis(f.digitAxisToValue(3.25, c, s.scaling()), c, s.scaling()),
                        1e-9);
            }
        }
    }

    @Test
    void parsesTruncatedAndLimitedContinuations() {
        Scaling sc = Scaling.of(new double[] {0, 0}, new double[] {1, 1}, 150, 850);
        ParsedSeries p = BAO.parse("150,85", sc, 100, ParseMode.STRICT);
        assertEquals(0, p.steps());
        assertEquals(ParsedSeries.Stop.TRUNCATED, p.stop());
        p = BAO.parse("150,850;500,5", sc, 100, ParseMode.STRICT);
        assertEquals(1, p.steps());
        assertEquals(ParsedSeries.Stop.TRUNCATED, p.stop());
        assertEquals(8, p.consumed());
        assertEquals(0.0, p.values()[0][0], 1e-12);
        assertEquals(1.0, p.values()[0][1], 1e-12);
        p = BAO.parse("150,850;500,500", sc, 100, ParseMode.STRICT); // complete fixed-width value at the end
        assertEquals(2, p.steps());
        assertEquals(ParsedSeries.Stop.END, p.stop());
        assertEquals(0.5, p.values()[1][1], 1e-12);
        p = BAO.parse("150,850;500,500;", sc, 1, ParseMode.STRICT);
        assertEquals(1, p.steps());
        assertEquals(ParsedSeries.Stop.MAX_STEPS, p.stop());
        p = BAO.parse("150,850;500,", sc, 100, ParseMode.STRICT);
        assertEquals(ParsedSeries.Stop.TRUNCATED, p.stop());
        assertEquals(1, p.steps());
        // variable width: a value at the very end may be cut off
        IntegerGrid wide = IntegerGrid.builder().optRange(0, 1000).build();
        Scaling one = Scaling.of(new double[] {0}, new double[] {1}, 0, 1000);
        p = wide.parse("12;7;3", one, 100, ParseMode.STRICT);
        assertEquals(2, p.steps());
        assertEquals(ParsedSeries.Stop.TRUNCATED, p.stop());
        assertEquals(0.007, p.values()[1][0], 1e-12);
        // multi-character separator cut in the middle
        RescaledDigits nl = RescaledDigits.builder().optStepSeparator(";\n").optComponentSeparator(", ").build();
        Scaling s2 = Scaling.of(new double[] {0, 0}, new double[] {1, 1}, 150, 850);
        p = nl.parse("150, 850;\n500, 5", s2, 100, ParseMode.STRICT);
        assertEquals(1, p.steps());
        p = nl.parse("150, 850;", s2, 100, ParseMode.STRICT);
        assertEquals(1, p.steps());
        assertEquals(ParsedSeries.Stop.END, p.stop());
    }

    @Test
    void malformedContinuationsAreNamed() {
        Scaling sc = Scaling.of(new double[] {0, 0}, new double[] {1, 1}, 150, 850);
        SeriesParseException e = assertThrows(SeriesParseException.class,
                () -> BAO.parse("150,850;150;850;", sc, 100, ParseMode.STRICT));
        assertEquals(11, e.position());
        assertTrue(e.getMessage().contains("expected component separator ','") && e.getMessage().contains("';'"),
                e.getMessage());
        e = assertThrows(SeriesParseException.class, () -> BAO.parse("150,8a0;", sc, 100, ParseMode.STRICT));
        assertTrue(e.getMessage().contains("'8' has 1 digits, expected 3"), e.getMessage());
        e = assertThrows(SeriesParseException.class, () -> BAO.parse(" 150,850;", sc, 100, ParseMode.STRICT));
        assertEquals(0, e.position());
        assertTrue(e.getMessage().contains("expected a digit, found ' '"), e.getMessage());
        ParsedSeries p = BAO.parse("150,850;150,850; the end", sc, 100, ParseMode.LENIENT);
        assertEquals(2, p.steps());
        assertEquals(ParsedSeries.Stop.MALFORMED, p.stop());
        assertTrue(p.message().contains("value 0 of step 2"), p.message());
    }

    @Test
    void badInputIsRejectedWithANamedReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BAO.serialize(new double[][] {{0, 1}, {Double.NaN, 1}}));
        assertTrue(e.getMessage().contains("step 1 component 0 is not finite"), e.getMessage());
        Scaling narrow = Scaling.of(new double[] {0}, new double[] {1}, 150, 850);
        e = assertThrows(IllegalArgumentException.class,
                () -> BAO.serialize(new double[][] {{0.5}, {2}}, narrow, 0));
        assertTrue(e.getMessage().contains("step 1 component 0") && e.getMessage().contains("code 1550"),
                e.getMessage());
        // below the window but still writable: zero-padded to the format's width
        assertEquals("500;010;", BAO.serialize(new double[][] {{0.5}, {-0.2}}, narrow, 0).text());
        e = assertThrows(IllegalArgumentException.class, () -> RescaledDigits.builder().optDigits(0).build());
        assertTrue(e.getMessage().contains("digits"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> IntegerGrid.builder().optStepSeparator("1;").build());
        assertTrue(e.getMessage().contains("must not contain digits"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> IntegerGrid.builder().optRange(5, 5).build());
        assertTrue(e.getMessage().contains("integer range"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BAO.serialize(new double[][] {{1, 2}, {3}}));
        assertTrue(e.getMessage().contains("step 1 has 1 components"), e.getMessage());
    }

    @Test
    void randomValuesRoundTripThroughEveryFormatSetting() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int trial = 0; trial < 200; trial++) {
            int d = 1 + rng.nextInt(3);
            int n = 1 + rng.nextInt(20);
            double[][] v = new double[n][d];
            for (double[] row : v) {
                for (int c = 0; c < d; c++) {
                    row[c] = rng.nextDouble(-1e3, 1e3);
                }
            }
            SeriesFormat f = rng.nextBoolean()
                    ? RescaledDigits.builder().optDigits(1 + rng.nextInt(6)).optTrailingSeparator(rng.nextBoolean())
                            .optScalingMode(rng.nextBoolean() ? ScalingMode.GLOBAL : ScalingMode.PER_COMPONENT).build()
                    : IntegerGrid.builder().optRange(rng.nextInt(50), 60 + rng.nextInt(5000))
                            .optTrailingSeparator(rng.nextBoolean()).build();
            SerializedSeries s = f.serialize(v);
            // variable-width formats cannot tell a complete last value without its separator: add it
            String text = s.text().endsWith(f.stepSeparator()) ? s.text() : s.text() + f.stepSeparator();
            ParsedSeries p = f.parse(text, s.scaling(), Integer.MAX_VALUE, ParseMode.STRICT);
            assertArrayEquals(s.codes(), p.codes(), f + " " + text);
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < d; c++) {
                    assertTrue(Math.abs(p.values()[i][c] - v[i][c]) <= s.scaling().valuePerCode(c) / 2 * (1 + 1e-9)
                            + 1e-12, f + " " + text);
                }
            }
        }
    }
}
