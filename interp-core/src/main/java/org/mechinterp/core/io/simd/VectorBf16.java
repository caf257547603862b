package org.mechinterp.core.io.simd;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.mechinterp.core.io.Upcast;

/**
 * BF16 → F32 with 256-bit vectors: eight BF16 values are loaded, widened to 32 bits and shifted left by 16, which
 * is the exact float (the sign extension of the widening is shifted out). Loaded by name by {@link Upcast} only when
 * {@code jdk.incubator.vector} is in the boot layer; in its own package so that javadoc, which would warn about the
 * incubating module, can leave it out.
 */
public final class VectorBf16 implements Upcast.Bf16Kernel {
    private static final VectorSpecies<Short> HALVES = ShortVector.SPECIES_128;
    private static final VectorSpecies<Integer> WORDS = IntVector.SPECIES_256;

    /** The kernel; {@link #isFast()} says whether it should be used on this machine. */
    public VectorBf16() {}

    @Override
    public boolean isFast() {
        return IntVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    }

    @Override
    public void convert(ByteBuffer src, ByteBuffer dst, int n) {
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            ShortVector h = ShortVector.fromByteBuffer(HALVES, src, 2 * i, ByteOrder.LITTLE_ENDIAN);
            IntVector w = (IntVector) h.convertShape(VectorOperators.S2I, WORDS, 0);
            w.lanewise(VectorOperators.LSHL, 16).intoByteBuffer(dst, 4 * i, ByteOrder.LITTLE_ENDIAN);
        }
        for (; i < n; i++) {
            dst.putInt(4 * i, (src.getShort(2 * i) & 0xFFFF) << 16);
        }
    }
}
