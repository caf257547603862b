package org.mechinterp.sae.dashboard;

import java.io.Serializable;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * The exact sum of double values, so that partial sums merged in any order or tree give the same result bit for
 * bit (floating-point addition is not associative; this is).
 *
 * <p>Every finite double is an integer multiple of 2^-1074. The sum keeps that integer in base 2^32 "limbs" (a
 * fixed-point superaccumulator): limb j weighs 2^(32·j − 1074). Adding a double adds its 53-bit significand, shifted
 * to its exponent, to three neighbouring limbs, so adding is integer addition: exact, associative and commutative.
 * Limbs are signed {@code long}s with room for 2^29 additions between carry propagations, which happen
 * automatically. Only the limbs spanned by the values seen are allocated. {@link #value()} rounds the exact total
 * to the nearest double (ties to even) once. Float values and products of two floats (exact in double) are summed
 * exactly by widening them. Not thread-safe.
 */
public final class ExactSum implements Serializable {
    private static final long serialVersionUID = 2L;
    private static final long MASK = 0xFFFFFFFFL;
    /** Additions (each under 2^33 per limb) allowed before carries must be propagated. */
    private static final long PENDING_LIMIT = 1L << 29;

    /** Index of the lowest allocated limb: limb j of {@code limbs} weighs 2^(32·(lo + j) − 1074). */
    private int lo;
    /** The signed base-2^32 limbs of the exact total, lowest first; empty until the first non-zero value. */
    private long[] limbs = new long[0];
    /** Additions since the last carry propagation (propagated at {@code PENDING_LIMIT}). */
    private long pending;

    /**
     * Adds one finite value.
     *
     * @param v the value to add, finite
     * @throws IllegalArgumentException for NaN or infinity
     */
    public void add(double v) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException("cannot sum a non-finite value " + v);
        }
        if (v == 0) {
            return;
        }
        long bits = Double.doubleToRawLongBits(v);
        int e = (int) ((bits >>> 52) & 0x7FF);
        long m = bits & 0xFFFFFFFFFFFFFL;
        if (e == 0) {
            e = 1; // subnormal: same scale as the smallest normal, no implicit bit
        } else {
            m |= 1L << 52;
        }
        int p = e - 1; // the significand's last bit weighs 2^(p − 1074)
        int j = p >>> 5;
        int shift = p & 31;
        cover(j, j + 2);
        long low = (m & MASK) << shift; // < 2^63
        long high = (m >>> 32) << shift; // < 2^52
        long sign = bits < 0 ? -1 : 1;
        limbs[j - lo] += sign * (low & MASK);
        limbs[j + 1 - lo] += sign * ((low >>> 32) + (high & MASK));
        limbs[j + 2 - lo] += sign * (high >>> 32);
        if (++pending >= PENDING_LIMIT) {
            normalize();
        }
    }

    /**
     * Adds {@code other}'s values to this sum ({@code other} is not modified).
     *
     * @param other the sum to add; not modified
     */
    public void merge(ExactSum other) {
        if (other.limbs.length == 0) {
            return;
        }
        if (pending + other.pending >= PENDING_LIMIT) {
            normalize();
        }
        cover(other.lo, other.lo + other.limbs.length - 1);
        for (int i = 0; i < other.limbs.length; i++) {
            limbs[other.lo + i - lo] += other.limbs[i];
        }
        pending += other.pending + 1;
        if (pending >= PENDING_LIMIT) {
            normalize();
        }
    }

    /**
     * @param n number of sums, ≥ 0
     * @return {@code n} empty sums
     */
    public static ExactSum[] array(int n) {
        ExactSum[] a = new ExactSum[n];
        for (int i = 0; i < n; i++) {
            a[i] = new ExactSum();
        }
        return a;
    }

    /** Propagates carries: every limb but the top one into [0, 2^32), the top one signed. */
    private void normalize() {
        for (int i = 0; i + 1 < limbs.length; i++) {
            long carry = limbs[i] >> 32;
            limbs[i] -= carry << 32;
            limbs[i + 1] += carry;
        }
        while (limbs.length > 0 && Math.abs(limbs[limbs.length - 1]) >= 1L << 31) {
            cover(lo, lo + limbs.length); // one more limb for the carry out of the top
            int t = limbs.length - 2;
            long carry = limbs[t] >> 32;
            limbs[t] -= carry << 32;
            limbs[t + 1] += carry;
        }
        pending = 0;
    }

    /** @return the exact total as an integer multiple of 2^(32·lo − 1074) */
    private BigInteger total() {
        BigInteger t = BigInteger.ZERO;
        for (int i = limbs.length - 1; i >= 0; i--) {
            t = t.shiftLeft(32).add(BigInteger.valueOf(limbs[i]));
        }
        return t;
    }

    /**
     * The exact sum rounded once to the nearest double (ties to even); ±infinity beyond the double range.
     *
     * @return the nearest double to the exact total
     */
    public double value() {
        BigInteger t = total();
        if (t.signum() == 0) {
            return 0;
        }
        BigInteger a = t.abs();
        int scale = 32 * lo - 1074;
        int n = a.bitLength();
        long m;
        if (n <= 53) {
            m = a.longValueExact();
        } else {
            int drop = n - 53;
            m = a.shiftRight(drop).longValueExact();
            boolean half = a.testBit(drop - 1);
            boolean sticky = a.getLowestSetBit() < drop - 1;
            if (half && (sticky || (m & 1) == 1)) {
                m++;
            }
            scale += drop;
        }
        // m < 2^54 is exact in double; every total is a multiple of 2^-1074, so a subnormal result is exact too
        double v = Math.scalb((double) m, scale);
        return t.signum() < 0 ? -v : v;
    }

    private void cover(int from, int to) {
        if (limbs.length == 0) {
            lo = from;
            limbs = new long[to - from + 1];
            return;
        }
        int hi = lo + limbs.length - 1;
        if (from >= lo && to <= hi) {
            return;
        }
        int nlo = Math.min(lo, from);
        int nhi = Math.max(hi, to);
        long[] b = new long[nhi - nlo + 1];
        System.arraycopy(limbs, 0, b, lo - nlo, limbs.length);
        limbs = b;
        lo = nlo;
    }

    /** Whether the two exact totals are equal (not just their rounded values). */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ExactSum s)) {
            return false;
        }
        int shift = 32 * (lo - s.lo);
        BigInteger a = total();
        BigInteger b = s.total();
        return shift >= 0 ? a.shiftLeft(shift).equals(b) : a.equals(b.shiftLeft(-shift));
    }

    @Override
    public int hashCode() {
        return Double.hashCode(value());
    }

    @Override
    public String toString() {
        return "ExactSum[" + value() + ", " + Arrays.toString(limbs) + "]";
    }
}
