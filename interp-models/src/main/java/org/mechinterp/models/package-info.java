/**
 * Small models on the class path, usable with {@code interp-core} alone: {@link org.mechinterp.models.EmbeddedModel}
 * (llama2.c's stories260K, MIT) and {@link org.mechinterp.models.EmbeddedPhysicsModel} (this project's physics
 * model, Apache-2.0). Each {@code path()} extracts the files once into a cache folder and returns it, ready for
 * {@code HookedTransformer.load} and {@code Tokenizer.load}.
 */
package org.mechinterp.models;
