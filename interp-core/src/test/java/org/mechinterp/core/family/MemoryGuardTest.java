package org.mechinterp.core.family;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.io.ShardedCheckpoint;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.LoadOptions;
import org.mechinterp.core.model.LoadOptions.Storage;
import org.mechinterp.core.testing.Fixtures;

/**
 * The memory guard refuses, before allocating, a form that does not fit, with a message naming the needed and
 * available bytes; AUTO falls back to weights at rest when F32 does not fit. The available memory is injected
 * ({@link LoadOptions.Builder#optAvailableBytes}) so the test does not depend on the machine.
 */
class MemoryGuardTest {
    private final Path dir = Fixtures.family("qwen3-bf16-v5");

    @Test
    void estimatesCountFourBytesPerElementForF32AndOneBlockPlusTheTableAtRest() throws IOException {
        MemoryGuard.Estimate e = estimate(1L << 40);
        try (ShardedCheckpoint c = ShardedCheckpoint.open(dir)) {
            long elements = c.names().stream().mapToLong(n -> c.info(n).numel()).sum();
            long bytes = c.names().stream().mapToLong(n -> c.info(n).byteLength()).sum();
            assertEquals(4 * elements + MemoryGuard.WORKING_BYTES, e.f32Bytes());
            assertEquals(bytes, e.mappedBytes());
            assertEquals(2 * elements, bytes, "a BF16 checkpoint");
        }
        assertTrue(e.atRestBytes() < e.f32Bytes() && e.atRestBytes() > MemoryGuard.WORKING_BYTES);
    }

    @Test
    void refusesF32ThatDoesNotFitNamingTheBytesAndTheWayOut() throws IOException {
        MemoryGuard.Estimate e = estimate(1L << 40);
        long available = e.f32Bytes() - 1;
        CheckpointException x = assertThrows(CheckpointException.class, () -> HookedTransformer.load(dir,
                LoadOptions.builder().optStorage(Storage.F32).optAvailableBytes(available).build()).close());
        String m = x.getMessage();
        assertTrue(m.contains("not enough memory") && m.contains(Long.toString(e.f32Bytes()))
                && m.contains(Long.toString(available)) && m.contains("--dtype stored"), m);
    }

    @Test
    void autoFallsBackToWeightsAtRestAndRefusesWhenNothingFits() throws IOException {
        MemoryGuard.Estimate e = estimate(1L << 40);
        long between = (e.atRestBytes() + e.f32Bytes()) / 2;
        try (HookedTransformer m = HookedTransformer.load(dir, LoadOptions.builder().optAvailableBytes(between)
                .build())) {
            assertFalse(m.weights().resident(), "AUTO chose weights at rest");
        }
        try (HookedTransformer m = HookedTransformer.load(dir)) {
            assertTrue(m.weights().resident(), "a small model loads in F32 by default");
        }
        CheckpointException x = assertThrows(CheckpointException.class, () -> HookedTransformer.load(dir,
                LoadOptions.builder().optAvailableBytes(e.atRestBytes() - 1).build()).close());
        assertTrue(x.getMessage().contains("at rest") && x.getMessage().contains(Long.toString(e.atRestBytes())),
                x.getMessage());
        try (HookedTransformer m = HookedTransformer.load(dir, LoadOptions.builder().optAvailableBytes(1)
                .optMemoryCheck(false).build())) {
            assertTrue(m.weights().resident(), "with the guard off AUTO means F32");
        }
    }

    @Test
    void cliNamesParse() {
        assertEquals(Storage.F32, Storage.parse("f32"));
        assertEquals(Storage.AT_REST, Storage.parse("bf16"));
        assertEquals(Storage.AT_REST, Storage.parse("stored"));
        assertEquals(Storage.AUTO, Storage.parse("AUTO"));
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> Storage.parse("int8"));
        assertTrue(x.getMessage().contains("int8") && x.getMessage().contains("auto, f32, or stored"));
    }

    private MemoryGuard.Estimate estimate(long available) throws IOException {
        try (ShardedCheckpoint c = ShardedCheckpoint.open(dir)) {
            return MemoryGuard.estimate(CheckpointLoader.readConfig(dir), c,
                    LoadOptions.builder().optAvailableBytes(available).build());
        }
    }
}
