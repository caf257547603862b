package org.mechinterp.core.family;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.RopeScaling;
import org.mechinterp.core.testing.Fixtures;

/**
 * The parity tests can fail: each family feature, switched off in the config of a loaded fixture (same weights),
 * moves the logits far outside the 1e-4 tolerance against the reference, while the unmodified model is within it.
 */
class FamilyFeatureSensitivityTest {
    static Stream<Arguments> mutations() {
        return Stream.of(
                Arguments.of("gemma2", "no attention soft-cap", op(b -> b.optAttnLogitSoftcap(0))),
                Arguments.of("gemma2", "no final soft-cap", op(b -> b.optFinalLogitSoftcap(0))),
                Arguments.of("gemma2", "no sliding window", op(b -> b.optSlidingWindow(0))),
                Arguments.of("gemma2", "w instead of 1 + w", op(b -> b.optNormWeightOffset(0))),
                Arguments.of("gemma2", "no embedding scale", op(b -> b.optEmbeddingScale(1))),
                Arguments.of("gemma2", "1/sqrt(head_dim) scores", op(b -> b.optAttentionScale(0))),
                Arguments.of("gemma2", "no post norms", op(b -> b.optPostNorms(false))),
                Arguments.of("gemma3", "one rope for all layers", op(b -> b.optLayerRopes())),
                Arguments.of("gemma3", "local rope everywhere", op(b -> b.optLayerRopes(
                        fill(4, RopeScaling.plain(10_000))))),
                Arguments.of("pythia", "full rotary", op(b -> b.optRotaryDim(16))),
                Arguments.of("pythia", "sequential residual", op(b -> b.optParallelResidual(false))),
                Arguments.of("neox-seq-bf16", "parallel residual", op(b -> b.optParallelResidual(true))));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("mutations")
    void switchingOffAFeatureBreaksParity(String name, String what, UnaryOperator<ModelConfig.Builder> mutate)
            throws IOException {
        try (HookedTransformer model = HookedTransformer.load(Fixtures.family(name))) {
            double exact = NewFamilyParityTest.maxLogitDiff(name, model);
            assertTrue(exact <= NewFamilyParityTest.TOLERANCE, name + " unmodified: " + exact);
            ModelConfig mutated = mutate.apply(model.config().toBuilder()).build();
            try (HookedTransformer broken = HookedTransformer.fromWeights(mutated, model.weights(),
                    model.manager().newSubManager())) {
                double diff = NewFamilyParityTest.maxLogitDiff(name, broken);
                assertTrue(diff > 1e-2, name + " with " + what + ": logits still within " + diff);
            }
        }
    }

    private static UnaryOperator<ModelConfig.Builder> op(UnaryOperator<ModelConfig.Builder> f) {
        return f;
    }

    private static RopeScaling[] fill(int n, RopeScaling r) {
        RopeScaling[] out = new RopeScaling[n];
        java.util.Arrays.fill(out, r);
        return out;
    }
}
