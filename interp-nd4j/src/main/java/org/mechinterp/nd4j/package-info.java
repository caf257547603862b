/**
 * ND4J interop, an optional module: {@link org.mechinterp.nd4j.Nd4jArrays} (DJL {@code NDArray} ↔ ND4J
 * {@code INDArray}, views that share memory where it allows, else one copy), {@link org.mechinterp.nd4j.Nd4jNpy}
 * ({@code .npy} through ND4J), {@link org.mechinterp.nd4j.Nd4jStores} (activation stores in and out) and
 * {@link org.mechinterp.nd4j.Nd4jCaches} (an activation cache as {@code INDArray} views), with the element types of
 * {@link org.mechinterp.nd4j.Nd4jTypes}.
 *
 * <p>The module depends on {@code nd4j-api} only. The application adds an ND4J backend, e.g.
 * {@code org.nd4j:nd4j-native} (1.0.0-M2.1, the version this module is tested with) plus the same artifact with its
 * platform's classifier ({@code linux-x86_64}, ...); without a backend ND4J's first call fails saying none was
 * found. Only the CPU backend is supported here: views need both sides in host memory.
 */
package org.mechinterp.nd4j;
