/**
 * The activation store: model activations on disk for SAE training and analysis.
 *
 * <ul>
 *   <li>{@link org.mechinterp.sae.store.ActivationCapture} runs a model over a {@link org.mechinterp.sae.store.Corpus}
 *   (.txt or .jsonl with optional per-token labels) and writes the rows at one or more hook points; an interrupted
 *   capture resumes without duplicating rows.</li>
 *   <li>{@link org.mechinterp.sae.store.ActivationImport} makes a store from an [N, d] matrix (.npy, .safetensors,
 *   or an array).</li>
 *   <li>{@link org.mechinterp.sae.store.StoreBatches} is the trainer's {@link org.mechinterp.sae.store.ActivationBatches}
 *   over one hook: seeded chunk shuffle with exact resume, BOS and high-norm filters, metadata and labels on
 *   request.</li>
 *   <li>{@link org.mechinterp.sae.store.StoreReader} gives random and sequential access to rows with their
 *   metadata, verifying each shard's size and SHA-256 on first access.</li>
 * </ul>
 *
 * <p>On disk (see {@link org.mechinterp.sae.store.StoreManifest}): {@code manifest.json} plus
 * {@code shard-NNNNN.safetensors} files, each with one F32 [rows, d] tensor per hook and the row metadata
 * {@code prompt_id}, {@code position}, {@code token_id} and optional {@code labels}. Every file is written
 * atomically (temporary file in the same folder, then an atomic rename).
 */
package org.mechinterp.sae.store;
