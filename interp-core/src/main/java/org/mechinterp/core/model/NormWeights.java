package org.mechinterp.core.model;

import ai.djl.ndarray.NDArray;

/**
 * Weight [D] and bias [D] of a norm; {@code bias} is null for RMSNorm. Owned by the model's manager.
 */
public record NormWeights(NDArray weight, NDArray bias) {}
