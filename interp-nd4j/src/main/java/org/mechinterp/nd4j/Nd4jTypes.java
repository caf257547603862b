package org.mechinterp.nd4j;

import ai.djl.ndarray.types.DataType;

/**
 * The element types an array can carry across the bridge, named on both sides. The library's arrays are F32
 * (activations, logits), F16 (weights at rest), F64, I32 / I64 (token ids), I8 / U8 and BOOL (masks); each maps to
 * the ND4J type with the same bytes per element and the same bit layout, so bytes are shared or copied as they are.
 *
 * <p>BF16 is refused on purpose: libtorch 2.7.1's CPU build aborts the JVM on any BF16 tensor made through DJL (see
 * the project's DJL notes); convert to F32 on the ND4J side first ({@code castTo(DataType.FLOAT)}).
 */
public final class Nd4jTypes {
    private Nd4jTypes() {}

    /**
     * The ND4J type with the same layout as a DJL type.
     *
     * @param type a DJL element type
     * @return the matching ND4J element type
     * @throws IllegalArgumentException for a type the bridge does not carry (the message lists those it does)
     */
    public static org.nd4j.linalg.api.buffer.DataType toNd4j(DataType type) {
        switch (type) {
            case FLOAT32: return org.nd4j.linalg.api.buffer.DataType.FLOAT;
            case FLOAT64: return org.nd4j.linalg.api.buffer.DataType.DOUBLE;
            case FLOAT16: return org.nd4j.linalg.api.buffer.DataType.HALF;
            case INT32: return org.nd4j.linalg.api.buffer.DataType.INT;
            case INT64: return org.nd4j.linalg.api.buffer.DataType.LONG;
            case INT8: return org.nd4j.linalg.api.buffer.DataType.BYTE;
            case UINT8: return org.nd4j.linalg.api.buffer.DataType.UBYTE;
            case BOOLEAN: return org.nd4j.linalg.api.buffer.DataType.BOOL;
            default: throw unsupported("DJL", type.toString());
        }
    }

    /**
     * The DJL type with the same layout as an ND4J type.
     *
     * @param type an ND4J element type
     * @return the matching DJL element type
     * @throws IllegalArgumentException for a type the bridge does not carry (BF16 among them: see the class comment)
     */
    public static DataType toDjl(org.nd4j.linalg.api.buffer.DataType type) {
        switch (type) {
            case FLOAT: return DataType.FLOAT32;
            case DOUBLE: return DataType.FLOAT64;
            case HALF: return DataType.FLOAT16;
            case INT: return DataType.INT32;
            case LONG: return DataType.INT64;
            case BYTE: return DataType.INT8;
            case UBYTE: return DataType.UINT8;
            case BOOL: return DataType.BOOLEAN;
            default: throw unsupported("ND4J", type.toString());
        }
    }

    private static IllegalArgumentException unsupported(String side, String type) {
        return new IllegalArgumentException(side + " element type " + type + " cannot cross between DJL and ND4J; "
                + "supported: FLOAT32/FLOAT, FLOAT64/DOUBLE, FLOAT16/HALF, INT32/INT, INT64/LONG, INT8/BYTE, "
                + "UINT8/UBYTE, BOOLEAN/BOOL" + ("BFLOAT16".equals(type) ? " (BF16 aborts libtorch's CPU build: "
                + "cast to FLOAT first)" : ""));
    }
}
