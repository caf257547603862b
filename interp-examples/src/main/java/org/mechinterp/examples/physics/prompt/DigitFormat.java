package org.mechinterp.examples.physics.prompt;

import java.util.Arrays;
import java.util.Objects;

/**
 * The shared implementation of the built-in formats: affine scaling onto {@code [codeLo, codeHi]}, quantisation
 * to an integer code by truncation or rounding, decimal digits zero-padded to a fixed width (or of variable
 * width), separators as documented in {@link SeriesFormat}.
 */
abstract class DigitFormat implements SeriesFormat {

    /** Slack for truncation: a value meant to land exactly on an integer code must not fall one below it. */
    private static final double TRUNCATION_SLACK = 1e-9;

    private final String componentSep;
    private final String stepSep;
    private final boolean trailing;
    private final ScalingMode mode;
    private final double codeLo;
    private final double codeHi;
    private final int width;
    private final boolean truncate;
    private final long maxCode;

    DigitFormat(String componentSep, String stepSep, boolean trailing, ScalingMode mode, double codeLo,
            double codeHi, int width, boolean truncate) {
        this.componentSep = checkSeparator(componentSep, "component");
        this.stepSep = checkSeparator(stepSep, "step");
        this.trailing = trailing;
        this.mode = Objects.requireNonNull(mode, "scaling mode");
        this.codeLo = codeLo;
        this.codeHi = codeHi;
        this.width = width;
        this.truncate = truncate;
        this.maxCode = width > 0 ? pow10(width) - 1 : Long.MAX_VALUE / 10;
    }

    static long pow10(int n) {
        long p = 1;
        for (int i = 0; i < n; i++) {
            p *= 10;
        }
        return p;
    }

    private static String checkSeparator(String s, String what) {
        Objects.requireNonNull(s, what + " separator");
        if (s.isEmpty()) {
            throw new IllegalArgumentException(what + " separator must not be empty");
        }
        for (int i = 0; i < s.length(); i++) {
            if (Character.isDigit(s.charAt(i))) {
                throw new IllegalArgumentException(what + " separator must not contain digits: '" + s + "'");
            }
        }
        return s;
    }

    @Override
    public ScalingMode scalingMode() {
        return mode;
    }

    @Override
    public String componentSeparator() {
        return componentSep;
    }

    @Override
    public String stepSeparator() {
        return stepSep;
    }

    /** @return whether the last step is closed by a step separator too */
    public boolean trailingSeparator() {
        return trailing;
    }

    /** @return digits per value, or 0 for variable width */
    public int width() {
        return width;
    }

    @Override
    public Scaling fitScaling(double[][] values) {
        return Scaling.fit(values, mode, codeLo, codeHi);
    }

    @Override
    public SerializedSeries serialize(double[][] values) {
        return serialize(values, fitScaling(values), 0);
    }

    @Override
    public long code(double value, int component, Scaling scaling) {
        double y = scaling.toCode(component, value);
        return truncate ? (long) Math.floor(y + TRUNCATION_SLACK) : Math.round(y);
    }

    @Override
    public double decode(long code, int component, Scaling scaling) {
        return scaling.fromCode(component, truncate ? code + 0.5 : code);
    }

    @Override
    public double digitAxisToValue(double u, int component, Scaling scaling) {
        return scaling.fromCode(component, truncate ? u : u - 0.5);
    }

    @Override
    public double valueToDigitAxis(double value, int component, Scaling scaling) {
        double y = scaling.toCode(component, value);
        return truncate ? y : y + 0.5;
    }

    private String digits(long code) {
        String s = Long.toString(code);
        if (width == 0 || s.length() == width) {
            return s;
        }
        char[] pad = new char[width - s.length()];
        Arrays.fill(pad, '0');
        return new String(pad) + s;
    }

    @Override
    public SerializedSeries serialize(double[][] values, Scaling scaling, int firstStep) {
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(scaling, "scaling");
        if (values.length == 0) {
            throw new IllegalArgumentException("no steps to serialise");
        }
        if (firstStep < 0) {
            throw new IllegalArgumentException("first step must be >= 0, got " + firstStep);
        }
        int d = scaling.components();
        int n = values.length;
        long[][] codes = new long[n][d];
        int[] vStart = new int[n * d];
        int[] vEnd = new int[n * d];
        StringBuilder sb = new StringBuilder(n * d * (Math.max(width, 3) + componentSep.length()));
        CharMap map = new CharMap(n * d * 5);
        for (int t = 0; t < n; t++) {
            if (values[t] == null || values[t].length != d) {
                throw new IllegalArgumentException("step " + t + " has " + (values[t] == null ? 0 : values[t].length)
                        + " components, the scaling has " + d);
            }
            int s = firstStep + t;
            for (int c = 0; c < d; c++) {
                double x = values[t][c];
                if (!Double.isFinite(x)) {
                    throw new IllegalArgumentException("value at step " + s + " component " + c
                            + " is not finite: " + x);
                }
                long code = code(x, c, scaling);
                if (code < 0 || code > maxCode) {
                    throw new IllegalArgumentException("value " + x + " at step " + s + " component " + c
                            + " quantises to code " + code + ", outside the writable range [0, " + maxCode
                            + "] (scaling window too narrow for this value?)");
                }
                codes[t][c] = code;
                String digits = digits(code);
                vStart[t * d + c] = sb.length();
                sb.append(digits);
                vEnd[t * d + c] = sb.length();
                for (int k = 0; k < digits.length(); k++) {
                    map.add(CharKind.DIGIT, s, c, k);
                }
                if (c < d - 1) {
                    sb.append(componentSep);
                    for (int k = 0; k < componentSep.length(); k++) {
                        map.add(CharKind.COMPONENT_SEP, s, c, -1);
                    }
                } else if (t < n - 1 || trailing) {
                    sb.append(stepSep);
                    for (int k = 0; k < stepSep.length(); k++) {
                        map.add(CharKind.STEP_SEP, s, -1, -1);
                    }
                }
            }
        }
        return new SerializedSeries(sb.toString(), this, scaling, firstStep, codes, vStart, vEnd, map.kinds(),
                map.steps(), map.components(), map.digits());
    }

    @Override
    public ParsedSeries parse(String text, Scaling scaling, int maxSteps, ParseMode mode) {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(scaling, "scaling");
        Objects.requireNonNull(mode, "mode");
        if (maxSteps < 0) {
            throw new IllegalArgumentException("maxSteps must be >= 0, got " + maxSteps);
        }
        int d = scaling.components();
        java.util.List<long[]> steps = new java.util.ArrayList<>();
        long[] current = new long[d];
        int pos = 0;
        int consumed = 0;
        int c = 0;
        ParsedSeries.Stop stop;
        String message = "";
        int len = text.length();
        while (true) {
            if (steps.size() >= maxSteps) {
                stop = ParsedSeries.Stop.MAX_STEPS;
                message = "reached " + maxSteps + " steps";
                break;
            }
            int start = pos;
            while (pos < len && isAsciiDigit(text.charAt(pos))) {
                pos++;
            }
            int nd = pos - start;
            String where = "value " + c + " of step " + steps.size() + " at char " + start;
            if (nd == 0) {
                if (pos == len) {
                    stop = c == 0 ? ParsedSeries.Stop.END : ParsedSeries.Stop.TRUNCATED;
                    message = c == 0 ? "" : "text ends after " + c + " of " + d + " components of step " + steps.size();
                    break;
                }
                String problem = where + ": expected a digit, found '" + printable(text.charAt(pos)) + "'";
                if (mode == ParseMode.STRICT) {
                    throw new SeriesParseException(pos, problem);
                }
                stop = ParsedSeries.Stop.MALFORMED;
                message = problem;
                break;
            }
            boolean atEnd = pos == len;
            if (width > 0 && nd < width && atEnd) {
                stop = ParsedSeries.Stop.TRUNCATED;
                message = where + ": truncated value '" + text.substring(start) + "' (" + nd + " of " + width
                        + " digits)";
                break;
            }
            if (width == 0 && atEnd) {
                // A variable-width value not followed by its separator may have been cut off: drop it.
                stop = ParsedSeries.Stop.TRUNCATED;
                message = where + ": value '" + text.substring(start) + "' not closed by a separator";
                break;
            }
            String problem = null;
            if (width > 0 && nd != width) {
                problem = where + ": '" + text.substring(start, pos) + "' has " + nd + " digits, expected " + width;
            } else if (nd > 18) {
                problem = where + ": " + nd + " digits is too long for a code";
            }
            if (problem != null) {
                if (mode == ParseMode.STRICT) {
                    throw new SeriesParseException(start, problem);
                }
                stop = ParsedSeries.Stop.MALFORMED;
                message = problem;
                break;
            }
            current[c] = Long.parseLong(text, start, pos, 10);
            boolean lastComponent = c == d - 1;
            if (atEnd) {
                // Complete fixed-width value at the very end of the text.
                if (lastComponent) {
                    steps.add(current.clone());
                    consumed = pos;
                    stop = ParsedSeries.Stop.END;
                } else {
                    stop = ParsedSeries.Stop.TRUNCATED;
                    message = "text ends after " + (c + 1) + " of " + d + " components of step " + steps.size();
                }
                break;
            }
            String sep = lastComponent ? stepSep : componentSep;
            if (text.startsWith(sep, pos)) {
                pos += sep.length();
                if (lastComponent) {
                    steps.add(current.clone());
                    consumed = pos;
                    c = 0;
                } else {
                    c++;
                }
                continue;
            }
            if (sep.startsWith(text.substring(pos))) {
                // The text ends inside a multi-character separator.
                if (lastComponent && width > 0) {
                    steps.add(current.clone());
                    consumed = pos;
                    stop = ParsedSeries.Stop.END;
                } else {
                    stop = ParsedSeries.Stop.TRUNCATED;
                    message = "text ends inside a separator after " + where;
                }
                break;
            }
            String bad = where + ": expected " + (lastComponent ? "step" : "component") + " separator '"
                    + printable(sep) + "' at char " + pos + ", found '" + printable(text.charAt(pos)) + "'";
            if (mode == ParseMode.STRICT) {
                throw new SeriesParseException(pos, bad);
            }
            stop = ParsedSeries.Stop.MALFORMED;
            message = bad;
            break;
        }
        long[][] codes = steps.toArray(new long[0][]);
        double[][] values = new double[codes.length][d];
        for (int t = 0; t < codes.length; t++) {
            for (int k = 0; k < d; k++) {
                values[t][k] = decode(codes[t][k], k, scaling);
            }
        }
        return new ParsedSeries(values, codes, consumed, stop, message);
    }

    private static boolean isAsciiDigit(char ch) {
        return ch >= '0' && ch <= '9';
    }

    private static String printable(char ch) {
        return printable(String.valueOf(ch));
    }

    private static String printable(String s) {
        return s.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
    }

    /** Growable per-character map. */
    private static final class CharMap {
        private CharKind[] kinds;
        private int[] steps;
        private int[] components;
        private int[] digits;
        private int size;

        CharMap(int capacity) {
            capacity = Math.max(16, capacity);
            kinds = new CharKind[capacity];
            steps = new int[capacity];
            components = new int[capacity];
            digits = new int[capacity];
        }

        void add(CharKind k, int step, int component, int digit) {
            if (size == kinds.length) {
                int n = size * 2;
                kinds = Arrays.copyOf(kinds, n);
                steps = Arrays.copyOf(steps, n);
                components = Arrays.copyOf(components, n);
                digits = Arrays.copyOf(digits, n);
            }
            kinds[size] = k;
            steps[size] = step;
            components[size] = component;
            digits[size] = digit;
            size++;
        }

        CharKind[] kinds() {
            return Arrays.copyOf(kinds, size);
        }

        int[] steps() {
            return Arrays.copyOf(steps, size);
        }

        int[] components() {
            return Arrays.copyOf(components, size);
        }

        int[] digits() {
            return Arrays.copyOf(digits, size);
        }
    }
}
