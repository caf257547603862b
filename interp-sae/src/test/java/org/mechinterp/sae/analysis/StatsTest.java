package org.mechinterp.sae.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void pearsonMatchesHandComputation() {
        double[] x = {1, 2, 3, 4, 5};
        double[] y = {2, 1, 4, 3, 5};
        // x̄ = 3, ȳ = 3; Σdxdy = 2+(-2)·... computed by hand: dx = -2,-1,0,1,2; dy = -1,-2,1,0,2 → Σ = 2+2+0+0+4 = 8
        // Σdx² = 10, Σdy² = 1+4+1+0+4 = 10 → r = 0.8
        assertEquals(0.8, Stats.pearson(x, y), 1e-12);
        assertEquals(0, Stats.pearson(x, new double[] {7, 7, 7, 7, 7}), 0);
    }

    @Test
    void spearmanUsesTieAveragedRanks() {
        assertArrayEquals(new double[] {1, 2.5, 2.5, 4}, Stats.ranks(new double[] {0, 3, 3, 9}), 0);
        // Monotone but non-linear: ρ = 1 while r < 1.
        double[] x = {1, 2, 3, 4, 5, 6};
        double[] y = {1, 8, 27, 64, 125, 216};
        assertEquals(1, Stats.spearman(x, y), 1e-12);
        // Ties: x ranks 1,2.5,2.5,4; y ranks 1,2,3,4 → Pearson of the ranks by hand: dx = -1.5,0,0,1.5 dy=-1.5,-.5,.5,1.5
        // Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5 → 4.5/sqrt(22.5)
        assertEquals(4.5 / Math.sqrt(22.5), Stats.spearman(new double[] {0, 3, 3, 9}, new double[] {1, 2, 3, 4}),
                1e-12);
    }

    @Test
    void benjaminiHochbergMatchesHandComputation() {
        // sorted p: 0.01, 0.03, 0.04, 0.2 → m p/i = 0.04, 0.06, 0.0533, 0.2 → running min from the top:
        // 0.04, 0.0533, 0.0533, 0.2
        double[] q = Stats.benjaminiHochberg(new double[] {0.01, 0.04, 0.03, 0.2});
        assertArrayEquals(new double[] {0.04, 0.16 / 3, 0.16 / 3, 0.2}, q, 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Stats.benjaminiHochberg(new double[] {1.5}));
    }

    @Test
    void studentQuantilesMatchTables() {
        assertEquals(12.7062, Stats.t975(1), 1e-3);
        assertEquals(2.2281, Stats.t975(10), 1e-3);
        assertEquals(1.9840, Stats.t975(100), 1e-3);
    }

    @Test
    void lineAndQuantile() {
        double[] l = Stats.line(new double[] {0, 1, 2, 3}, new double[] {1, 3, 5, 7});
        assertEquals(1, l[0], 1e-12);
        assertEquals(2, l[1], 1e-12);
        assertEquals(0, l[2], 1e-12);
        assertEquals(2.5, Stats.quantile(new double[] {4, 1, 3, 2}, 0.5), 1e-12);
        assertEquals(1.3, Stats.quantile(new double[] {4, 1, 3, 2}, 0.1), 1e-12);
    }
}
