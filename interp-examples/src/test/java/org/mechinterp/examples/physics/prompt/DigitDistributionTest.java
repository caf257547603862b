package org.mechinterp.examples.physics.prompt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mechinterp.sae.analysis.Normal;

/** Hierarchy-PDF bins, mean and Bhattacharyya distance on hand-built and brute-force-checked distributions. */
class DigitDistributionTest {

    static double[] oneHot(int d) {
        double[] p = new double[10];
        p[d] = 1;
        return p;
    }

    static double[] uniform() {
        double[] p = new double[10];
        Arrays.fill(p, 0.1);
        return p;
    }

    @Test
    void handBuiltDistributions() {
        // certain first digit 3, uniform second digit: uniform on [30, 40)
        DigitDistribution d = DigitDistribution.of(new int[] {3, 7}, new double[][] {oneHot(3), uniform()});
        assertEquals(19, d.bins());
        assertEquals(35.0, d.mean(), 1e-12);
        assertEquals(100.0 / 12, d.variance(), 1e-12);
        assertEquals(1.0, Arrays.stream(d.binMass()).sum(), 1e-15);
        // bins tile [0, 100) in order
        double[] lo = d.binLo();
        double[] hi = d.binHi();
        assertEquals(0, lo[0]);
        assertEquals(100, hi[hi.length - 1]);
        for (int i = 1; i < lo.length; i++) {
            assertEquals(hi[i - 1], lo[i]);
        }
        // uniform everywhere: mean 50, variance 10000/12 (the off-path coarse bins are uniform inside)
        DigitDistribution u = DigitDistribution.of(new int[] {3, 7, 1}, new double[][] {uniform(), uniform(),
                uniform()});
        assertEquals(500.0, u.mean(), 1e-9);
        assertEquals(1e6 / 12, u.variance(), 1e-6);
        // a point mass on the code 425 is the unit bin [425, 426)
        DigitDistribution point = DigitDistribution.of(DigitDistribution.digitsOf(425, 3),
                new double[][] {oneHot(4), oneHot(2), oneHot(5)});
        assertEquals(425.5, point.mean(), 1e-12);
        assertEquals(1.0 / 12, point.variance(), 1e-12);
        assertArrayEquals(new int[] {0, 4, 2}, DigitDistribution.digitsOf(42, 3));
    }

    @Test
    void oneDigitBhattacharyyaByHand() {
        double[] q = {0, 0, 0.1, 0.2, 0.4, 0.2, 0.1, 0, 0, 0};
        DigitDistribution d = DigitDistribution.of(new int[] {4}, new double[][] {q});
        double[] r = {0, 0, 0, 0.25, 0.5, 0.25, 0, 0, 0, 0};
        double bc = Math.sqrt(0.2 * 0.25) * 2 + Math.sqrt(0.4 * 0.5);
        assertEquals(bc, d.bhattacharyyaCoefficient(r), 1e-15);
        assertEquals(-Math.log(bc), d.bhattacharyyaDistance(r), 1e-15);
        assertEquals(0, d.bhattacharyyaDistance(q), 1e-15);
        double[] disjoint = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        assertEquals(Double.POSITIVE_INFINITY, d.bhattacharyyaDistance(disjoint));
        // against a Gaussian cdf on the digit axis
        double m = 4.3;
        double s = 1.1;
        double expected = 0;
        for (int j = 0; j < 10; j++) {
            expected += Math.sqrt(q[j] * (Normal.cdf(j + 1, m, s) - Normal.cdf(j, m, s)));
        }
        assertEquals(-Math.log(expected), d.bhattacharyyaDistance(x -> Normal.cdf(x, m, s)), 1e-14);
        // raw probabilities are renormalised; their sum is kept
        double[] half = q.clone();
        for (int j = 0; j < 10; j++) {
            half[j] *= 0.5;
        }
        DigitDistribution h = DigitDistribution.of(new int[] {4}, new double[][] {half});
        assertArrayEquals(d.binMass(), h.binMass(), 1e-15);
        assertEquals(0.5, h.rawMass(0), 1e-15);
    }

    /** Leaf-level (unit-bin) masses of the hierarchical distribution, computed digit by digit. */
    static double[] leafMasses(int[] path, double[][] q) {
        int p = path.length;
        int n = (int) Math.pow(10, p);
        double[] leaf = new double[n];
        for (int code = 0; code < n; code++) {
            int[] dig = DigitDistribution.digitsOf(code, p);
            int k = 0;
            while (k < p - 1 && dig[k] == path[k]) {
                k++;
            }
            double mass = 1;
            for (int j = 0; j < k; j++) {
                mass *= q[j][path[j]];
            }
            mass *= q[k][dig[k]];
            leaf[code] = mass / Math.pow(10, p - k - 1);
        }
        return leaf;
    }

    @Test
    void matchesBruteForceLeafExpansion() {
        SplittableRandom rng = new SplittableRandom(8);
        for (int trial = 0; trial < 20; trial++) {
            int p = 1 + rng.nextInt(4);
            int[] path = new int[p];
            double[][] q = new double[p][10];
            for (int k = 0; k < p; k++) {
                path[k] = rng.nextInt(10);
                double s = 0;
                for (int j = 0; j < 10; j++) {
                    q[k][j] = rng.nextDouble() < 0.3 ? 0 : rng.nextDouble();
                    s += q[k][j];
                }
                q[k][path[k]] += 0.01; // keep the path reachable
                s += 0.01;
                for (int j = 0; j < 10; j++) {
                    q[k][j] /= s;
                }
            }
            DigitDistribution d = DigitDistribution.of(path, q);
            double[] leaf = leafMasses(path, q);
            double mean = 0;
            double second = 0;
            for (int c = 0; c < leaf.length; c++) {
                mean += leaf[c] * (c + 0.5);
                second += leaf[c] * ((c + 0.5) * (c + 0.5) + 1.0 / 12);
            }
            assertEquals(1.0, Arrays.stream(leaf).sum(), 1e-12);
            assertEquals(mean, d.mean(), 1e-9 * Math.max(1, mean));
            assertEquals(second - mean * mean, d.variance(), 1e-7 * Math.max(1, second));
            // a reference given by arbitrary leaf masses: the coarse-bin BC bounds the leaf BC from above, with
            // equality for a reference that is uniform inside every bin (here: the distribution itself)
            double[] ref = new double[leaf.length];
            double rs = 0;
            for (int c = 0; c < ref.length; c++) {
                ref[c] = rng.nextDouble();
                rs += ref[c];
            }
            double leafBc = 0;
            for (int c = 0; c < ref.length; c++) {
                ref[c] /= rs;
                leafBc += Math.sqrt(leaf[c] * ref[c]);
            }
            double[] cdf = new double[ref.length + 1];
            for (int c = 0; c < ref.length; c++) {
                cdf[c + 1] = cdf[c] + ref[c];
            }
            double coarseBc = d.bhattacharyyaCoefficient(d.referenceMasses(x -> cdf[(int) Math.round(x)]));
            assertTrue(coarseBc >= leafBc - 1e-12, coarseBc + " < " + leafBc);
            double[] selfCdf = new double[leaf.length + 1];
            for (int c = 0; c < leaf.length; c++) {
                selfCdf[c + 1] = selfCdf[c] + leaf[c];
            }
            assertEquals(0, d.bhattacharyyaDistance(x -> selfCdf[(int) Math.round(x)]), 1e-12);
        }
    }

    @Test
    void exactConditionalsOfAGaussianReproduceIt() {
        // a "model" whose next-digit probabilities are the exact conditionals of N(437.3, 3^2) on the digit axis
        double m = 437.3;
        double s = 3;
        int[] path = DigitDistribution.digitsOf(437, 3);
        double[][] q = new double[3][10];
        long prefix = 0;
        for (int k = 0; k < 3; k++) {
            double w = Math.pow(10, 2 - k);
            for (int j = 0; j < 10; j++) {
                double lo = (prefix * 10 + j) * w;
                q[k][j] = Normal.cdf(lo + w, m, s) - Normal.cdf(lo, m, s);
            }
            prefix = prefix * 10 + path[k];
        }
        DigitDistribution d = DigitDistribution.of(path, q);
        assertEquals(0, d.bhattacharyyaDistance(x -> Normal.cdf(x, m, s)), 1e-12);
        // the mean puts the Gaussian mass of each coarse bin at the bin's centre: tile [0, 1000) by hand
        double expected = 0;
        for (int lo = 0; lo < 1000; ) {
            int w = lo >= 430 && lo < 440 ? 1 : lo >= 400 && lo < 500 ? 10 : 100;
            expected += (Normal.cdf(lo + w, m, s) - Normal.cdf(lo, m, s)) * (lo + w / 2.0);
            lo += w;
        }
        assertEquals(expected, d.mean(), 1e-9);
        assertEquals(m, d.mean(), 1.0); // near the true mean, biased by the coarse bins ([440, 450) centred at 445)
        assertTrue(d.bhattacharyyaDistance(x -> Normal.cdf(x, m + 3, s)) > 0.1);
        // with a format: the mean on the digit axis maps to a value
        SerializedSeries series = IntegerGrid.builder().build().serialize(new double[][] {{0}, {1}});
        SeriesFormat f = series.format();
        double v = f.digitAxisToValue(d.mean(), 0, series.scaling());
        assertEquals((d.mean() - 0.5 - 150) / 700, v, 1e-12);
    }

    @Test
    void badInputIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DigitDistribution.of(new int[] {3, 10}, new double[][] {uniform(), uniform()}));
        assertTrue(e.getMessage().contains("digit 1 is 10"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DigitDistribution.of(new int[] {3}, new double[][] {new double[9]}));
        assertTrue(e.getMessage().contains("10 entries"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DigitDistribution.of(new int[] {3}, new double[][] {new double[10]}));
        assertTrue(e.getMessage().contains("sum to 0"), e.getMessage());
        double[] neg = uniform();
        neg[2] = -0.1;
        e = assertThrows(IllegalArgumentException.class, () -> DigitDistribution.of(new int[] {3},
                new double[][] {neg}));
        assertTrue(e.getMessage().contains("digit 2 at level 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DigitDistribution.of(new int[] {3, 4},
                new double[][] {uniform()}));
        assertTrue(e.getMessage().contains("2 digits but 1 probability rows"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DigitDistribution.digitsOf(1000, 3));
        assertTrue(e.getMessage().contains("1000"), e.getMessage());
    }
}
