package org.mechinterp.examples.physics.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.train.TrainingSequence;
import org.mechinterp.examples.physics.Trajectory;

/** Training sequences: layout, loss groups, the fixed scaling, the mix and reproducibility. */
class PhysicsDataRecipeTest {
    static final PhysicsDataRecipe RECIPE = PhysicsDataRecipe.builder().optContextTokens(96).build();

    @Test
    void sequencesAreBosPlusTheSeriesWithDigitAndSeparatorGroups() {
        for (String system : PhysicsDataRecipe.supportedSystems()) {
            PhysicsDataRecipe.Example e = RECIPE.sample(system, new SplittableRandom(11));
            TrainingSequence s = e.sequence();
            int[] tokens = s.tokens();
            assertEquals(97, tokens.length);
            assertEquals(DigitVocabulary.BOS, tokens[0]);
            String text = e.series().text();
            int[] groups = s.targetGroups();
            for (int j = 0; j < 96; j++) {
                char c = text.charAt(j);
                assertEquals(DigitVocabulary.id(c), tokens[j + 1]);
                assertEquals(Character.isDigit(c) ? 0 : 1, groups[j], system + " target " + j);
            }
            int d = e.trajectory().dimension();
            // IntegerGrid: d three-digit values per step, ',' inside a step, ';' closing it
            String step0 = text.substring(0, 4 * d);
            assertTrue(step0.matches(d == 2 ? "\\d{3},\\d{3};" : "\\d{3};"), step0);
        }
    }

    @Test
    void fixedScalingMapsTheSystemWindowOntoCodes150To850() {
        PhysicsDataRecipe.Example e = RECIPE.sample("mass-spring", new SplittableRandom(5));
        Trajectory t = e.trajectory();
        double a = PhysicsDataRecipe.systemRecipe("mass-spring").window();
        long[][] codes = e.series().codes();
        for (int s = 0; s < codes.length; s++) {
            for (int c = 0; c < 2; c++) {
                long expected = Math.round(500 + 350 * t.value(s, c) / a);
                assertEquals(expected, codes[s][c], 0, "step " + s + " component " + c);
            }
        }
        // the window scaling instead spans [150, 850] exactly
        PhysicsDataRecipe window = PhysicsDataRecipe.builder().optContextTokens(96)
                .optScaling(PhysicsDataRecipe.ScalingChoice.WINDOW).build();
        long[][] w = window.sample("mass-spring", new SplittableRandom(5)).series().codes();
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (long[] row : w) {
            for (long v : row) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        assertEquals(150, min);
        assertEquals(850, max);
    }

    /**
     * With positions only in the text, scaling every mass and spring by the same factor leaves the trajectory unchanged
     * but scales E: the recipe fixes the masses at 1 kg so that E is a function of what the model reads. Then, by the
     * virial theorem, the mean squared velocity over a trajectory is E (mass-spring: sum over both masses).
     */
    @Test
    void massesAreOneSoThatEnergyIsReadableFromTheText() {
        for (String system : PhysicsDataRecipe.supportedSystems()) {
            Trajectory t = RECIPE.sample(system, new SplittableRandom(21)).trajectory();
            t.parameters().forEach((name, value) -> {
                if (name.equals("m") || name.equals("m1") || name.equals("m2")) {
                    assertEquals(1.0, value, 0.0, system + " " + name);
                }
            });
        }
        PhysicsDataRecipe long1 = PhysicsDataRecipe.builder().optContextTokens(8 * 2000).build();
        Trajectory t = long1.sample("mass-spring", new SplittableRandom(4)).trajectory();
        double[] v1 = t.quantity("v1");
        double[] v2 = t.quantity("v2");
        double meanSq = 0;
        for (int i = 0; i < v1.length; i++) {
            meanSq += (v1[i] * v1[i] + v2[i] * v2[i]) / v1.length;
        }
        assertEquals(t.quantity("E")[0], meanSq, 0.05 * t.quantity("E")[0]);
    }

    @Test
    void mixIsRespectedAndSamplingIsReproducible() {
        SplittableRandom r = new SplittableRandom(1);
        Map<String, Integer> counts = new HashMap<>();
        int n = 2000;
        for (int i = 0; i < n; i++) {
            counts.merge(RECIPE.sample(r.split()).system(), 1, Integer::sum);
        }
        for (Map.Entry<String, Double> e : PhysicsDataRecipe.DEFAULT_MIX.entrySet()) {
            double share = counts.getOrDefault(e.getKey(), 0) / (double) n;
            // binomial standard error at n = 2000 is at most 0.011
            assertEquals(e.getValue(), share, 0.04, e.getKey());
        }
        List<TrainingSequence> a = RECIPE.heldOut(5, 9);
        List<TrainingSequence> b = RECIPE.heldOut(5, 9);
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(a.get(i).tokens(), b.get(i).tokens());
        }
    }

    @Test
    void badSettingsAreNamed() {
        Map<String, Double> mix = new LinkedHashMap<>();
        mix.put("lorenz", 1.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PhysicsDataRecipe.builder().optMix(mix).build());
        assertTrue(e.getMessage().contains("lorenz") && e.getMessage().contains("mass-spring"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PhysicsDataRecipe.builder().optMix(Map.of("damped", -1.0)).build());
        assertTrue(e.getMessage().contains("weight"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RECIPE.system("pendulum"));
        assertTrue(e.getMessage().contains("pendulum"), e.getMessage());
    }
}
