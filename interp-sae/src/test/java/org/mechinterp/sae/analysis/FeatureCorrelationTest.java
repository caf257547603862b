package org.mechinterp.sae.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.Interp;

class FeatureCorrelationTest {

    @BeforeAll
    static void djl() {
        Interp.configureDjl();
    }

    private static Map<String, double[][]> quantities(SyntheticFeatures d, SyntheticFeatures h) {
        Map<String, double[][]> q = new LinkedHashMap<>();
        q.put("E", new double[][] {d.energy, h.energy});
        q.put("E1", new double[][] {d.oscillating, h.oscillating});
        return q;
    }

    @Test
    void findsAPlantedEnergyLatentAndItSurvivesHeldOutAndFdr() {
        SyntheticFeatures disc = new SyntheticFeatures(24, 30, 120, 17, 0.1, 1);
        SyntheticFeatures held = new SyntheticFeatures(12, 30, 120, 17, 0.1, 2);
        List<FeatureCorrelation.Analysis> res = FeatureCorrelation.builder().optPermutations(200).optSeed(5).build()
                .analyse("sae", disc.features, held.features, quantities(disc, held));
        FamilyCorrelation e = res.get(0).summary();
        assertEquals("E", e.quantity());
        assertEquals(17, e.bestFeature());
        assertTrue(e.discoveryR() > 0.97, "discovery r " + e.discoveryR());
        assertTrue(e.heldOutAbsR() > 0.97 && e.heldOutR() > 0, "held-out r " + e.heldOutR());
        assertTrue(e.bestQ() < 0.05, "BH q " + e.bestQ());
        assertTrue(e.selectionP() <= 1.0 / 201 + 1e-12, "selection p " + e.selectionP());
        assertTrue(e.heldOutP() <= 1.0 / 201 + 1e-12, "held-out p " + e.heldOutP());
        // The 119 noise features are autocorrelated but unrelated: few (ideally none) pass BH at 5%.
        assertTrue(e.significant() <= 1 + 6, "significant " + e.significant());
        // Reference: the GEMM correlations equal a direct Pearson for every feature.
        double[] r = res.get(0).discoveryR();
        for (int j = 0; j < 120; j += 7) {
            assertEquals(Stats.pearson(disc.features.column(j), disc.energy), r[j], 2e-5, "feature " + j);
        }
        double[] rh = res.get(0).heldOutR();
        assertEquals(Stats.pearson(held.features.column(3), held.energy), rh[3], 2e-5);
    }

    @Test
    void withoutASignalNothingIsSignificantAndHeldOutIsWeak() {
        SyntheticFeatures disc = new SyntheticFeatures(24, 30, 80, -1, 0, 3);
        SyntheticFeatures held = new SyntheticFeatures(12, 30, 80, -1, 0, 4);
        FamilyCorrelation e = FeatureCorrelation.builder().optPermutations(100).optSeed(6).build()
                .analyse("noise", disc.features, held.features, quantities(disc, held)).get(0).summary();
        // Under the trajectory-permutation null the best of 80 noise features is not significant family-wise.
        assertTrue(e.selectionP() > 0.05, "selection p " + e.selectionP());
        assertTrue(e.heldOutAbsR() < 0.5, "held-out |r| " + e.heldOutAbsR());
    }

    @Test
    void refusesNonContiguousGroups() {
        FeatureMatrix m = new FeatureMatrix(new double[] {1, 2, 3}, 3, 1, new int[] {0, 1, 0});
        assertThrows(IllegalArgumentException.class, () -> FeatureCorrelation.builder().build().analyse("x", m, m,
                Map.of("E", new double[][] {{1, 2, 3}, {1, 2, 3}})));
    }
}
