package org.mechinterp.spark;

import java.io.Serializable;
import java.math.BigDecimal;

/**
 * The exact sum of float values, so that partial sums merged in any order give the same result bit for bit
 * (floating-point addition is not associative; this is).
 *
 * <p>A finite float v is m·2^(E−150) with an integer significand |m| &lt; 2^24 and biased exponent E (subnormals:
 * E = 1 without the implicit bit). The sum keeps one {@code long} of significands per exponent E, so adding is
 * integer addition: exact, associative and commutative. A bucket overflows only after 2^39 additions
 * (5·10^11 values with the same exponent). {@link #value()} rounds the exact total to the nearest double once.
 * Buckets cover only the exponents seen. Not thread-safe.
 */
final class ExactSum implements Serializable {
    private static final long serialVersionUID = 1L;

    private int lo;
    private long[] buckets = new long[0];

    /**
     * Adds one finite value.
     *
     * @throws IllegalArgumentException for NaN or infinity
     */
    void add(float v) {
        if (!Float.isFinite(v)) {
            throw new IllegalArgumentException("cannot sum a non-finite value " + v);
        }
        if (v == 0f) {
            return;
        }
        int bits = Float.floatToRawIntBits(v);
        int e = (bits >>> 23) & 0xFF;
        long m = bits & 0x7FFFFF;
        if (e == 0) {
            e = 1; // subnormal: same scale as the smallest normal, no implicit bit
        } else {
            m |= 0x800000;
        }
        cover(e, e);
        buckets[e - lo] += bits < 0 ? -m : m;
    }

    /** Adds {@code other}'s values to this sum ({@code other} is not modified). */
    void merge(ExactSum other) {
        if (other.buckets.length == 0) {
            return;
        }
        cover(other.lo, other.lo + other.buckets.length - 1);
        for (int i = 0; i < other.buckets.length; i++) {
            buckets[other.lo + i - lo] += other.buckets[i];
        }
    }

    /** The exact sum rounded once to the nearest double. */
    double value() {
        BigDecimal total = BigDecimal.ZERO;
        for (int i = 0; i < buckets.length; i++) {
            if (buckets[i] != 0) {
                int exp = lo + i - 150;
                BigDecimal scale = exp >= 0 ? new BigDecimal(java.math.BigInteger.ONE.shiftLeft(exp))
                        : BigDecimal.ONE.divide(new BigDecimal(java.math.BigInteger.ONE.shiftLeft(-exp)));
                total = total.add(BigDecimal.valueOf(buckets[i]).multiply(scale));
            }
        }
        return total.doubleValue(); // correctly rounded
    }

    private void cover(int from, int to) {
        if (buckets.length == 0) {
            lo = from;
            buckets = new long[to - from + 1];
            return;
        }
        int hi = lo + buckets.length - 1;
        if (from >= lo && to <= hi) {
            return;
        }
        int nlo = Math.min(lo, from);
        int nhi = Math.max(hi, to);
        long[] b = new long[nhi - nlo + 1];
        System.arraycopy(buckets, 0, b, lo - nlo, buckets.length);
        buckets = b;
        lo = nlo;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ExactSum s)) {
            return false;
        }
        return value() == s.value();
    }

    @Override
    public int hashCode() {
        return Double.hashCode(value());
    }
}
