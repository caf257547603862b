package org.mechinterp.core.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.io.DType;
import org.mechinterp.core.io.TensorInfo;

/**
 * Filling a libtorch array from stored bytes in blocks of rows (the path tensors over 1 GiB take, e.g. the
 * 128,256 × 4,096 embedding of Llama-3.1-8B in F32) gives the same array as filling it at once, including when the
 * rows do not divide evenly into blocks.
 */
class WeightLoaderFillTest {
    @Test
    void rowBlocksEqualOneShot() {
        int rows = 37;
        int cols = 13;
        ByteBuffer bf16 = ByteBuffer.allocateDirect(rows * cols * 2).order(ByteOrder.LITTLE_ENDIAN);
        float[] want = new float[rows * cols];
        for (int i = 0; i < want.length; i++) {
            short bits = (short) (0x3C00 + (i * 97) % 4000 - 2000);
            bf16.putShort(2 * i, bits);
            want[i] = DType.bfloat16ToFloat(bits);
        }
        TensorInfo info = new TensorInfo("w", DType.BF16, new long[] {rows, cols}, 0, rows * cols * 2L);
        try (NDManager m = NDManager.newBaseManager()) {
            for (long maxBytes : new long[] {1L << 30, cols * 4L, cols * 4L * 5, cols * 4L * 36}) {
                NDArray target = m.create(new Shape(rows, cols), DataType.FLOAT32);
                WeightLoader.fill(target, bf16, info, maxBytes);
                assertArrayEquals(want, target.toFloatArray(), "blocks of " + maxBytes + " bytes");
            }
        }
    }
}
