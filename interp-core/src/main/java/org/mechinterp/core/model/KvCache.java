package org.mechinterp.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;

/**
 * The keys and values of the tokens seen so far, per layer, for {@link HookedTransformer#forward(NDManager,
 * TokenBatch, KvCache)}: keys after RoPE and after the {@code hook_rot_k} hooks ({@code hook_k} for learned-position
 * models), values after the {@code hook_v} hooks, so a patch or steering of k or v made when a token was new persists
 * for every later token, as in a full recomputation with the same hooks.
 *
 * <p>The first call fills the cache from a (left-padded) prompt batch and fixes the batch size and each row's
 * padding; later calls append the same number of new tokens to every row, at positions continuing from each row's
 * real length. A call that throws leaves the cache as it was.
 *
 * <p>Ownership: the cache owns a sub-manager of the model's manager holding the stored arrays; {@link #close()}
 * frees them (closing the model frees them too). Stored arrays are replaced, and the old ones freed, on every call.
 * Not thread-safe; no autograd (do not use inside a {@code GradientCollector}).
 */
public final class KvCache implements AutoCloseable {
    private final HookedTransformer model;
    private final NDManager manager;
    /** Per layer [B,S,Hkv,Dh]; null while empty. */
    private final NDArray[] keys;
    private final NDArray[] values;
    /** Per layer, the arrays of the call in progress: [B,S+Tq,Hkv,Dh]. */
    private final NDArray[] pendingKeys;
    private final NDArray[] pendingValues;
    private int[] padding = new int[0];
    private int length;

    KvCache(HookedTransformer model, NDManager manager, int layers) {
        this.model = model;
        this.manager = manager;
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.pendingKeys = new NDArray[layers];
        this.pendingValues = new NDArray[layers];
    }

    /**
     * Number of cached slots S per row (padding included).
     *
     * @return number of cached slots S per row (padding included)
     */
    public int length() {
        return length;
    }

    /**
     * Whether nothing is cached yet.
     *
     * @return true before the first forward pass through this cache
     */
    public boolean isEmpty() {
        return length == 0;
    }

    /**
     * Rows B fixed by the first call (0 while empty).
     *
     * @return rows B fixed by the first call (0 while empty)
     */
    public int batchSize() {
        return padding.length;
    }

    /**
     * Left-padded slots of row {@code b}; its real tokens are slots {@code padding(b)..length()-1}.
     *
     * @param b the batch row
     * @return left-padded slots of row {@code b}; its real tokens are slots {@code padding(b)..length()-1}
     */
    public int padding(int b) {
        return padding[b];
    }

    /**
     * The cached keys of a layer [B,S,Hkv,Dh], owned by this cache (valid until the next call or close).
     *
     * @param layer the layer index (0-based)
     * @return the cached keys of a layer [B,S,Hkv,Dh], owned by this cache (valid until the next call or close)
     */
    public NDArray keys(int layer) {
        return requireFilled(keys[layer]);
    }

    /**
     * The cached values of a layer [B,S,Hkv,Dh], owned by this cache (valid until the next call or close).
     *
     * @param layer the layer index (0-based)
     * @return the cached values of a layer [B,S,Hkv,Dh], owned by this cache (valid until the next call or close)
     */
    public NDArray values(int layer) {
        return requireFilled(values[layer]);
    }

    void requireOwner(HookedTransformer caller) {
        if (caller != model) {
            throw new IllegalArgumentException("this key/value cache belongs to another model");
        }
        if (!manager.isOpen()) {
            throw new IllegalStateException("the key/value cache is closed");
        }
    }

    /**
     * The slots of a call with {@code batch}: the whole (left-padded) batch when empty, else its tokens appended.
     *
     * @throws IllegalArgumentException if the batch size differs from the cached one, or a continuation is padded
     */
    SlotLayout layoutFor(TokenBatch batch) {
        if (isEmpty()) {
            return SlotLayout.of(batch);
        }
        if (batch.batchSize() != padding.length) {
            throw new IllegalArgumentException("the cache holds " + padding.length + " sequences but the batch has "
                    + batch.batchSize());
        }
        if (batch.isPadded()) {
            throw new IllegalArgumentException("tokens appended to a filled cache must have the same length in every "
                    + "sequence (padding goes only into the first call)");
        }
        return new SlotLayout(padding, length, batch.length());
    }

    /**
     * Appends a call's new keys and values of one layer (pending until {@link #commit}).
     *
     * @param k new keys [B,Tq,Hkv,Dh]
     * @param v new values [B,Tq,Hkv,Dh]
     * @param pass the forward pass's manager, which will own the returned views
     * @return all keys and values [B,S+Tq,Hkv,Dh], views owned by {@code pass}
     */
    NDArray[] append(int layer, NDArray k, NDArray v, NDManager pass) {
        discard(layer);
        if (keys[layer] == null) {
            pendingKeys[layer] = ForwardPass.handOut(k, manager);
            pendingValues[layer] = ForwardPass.handOut(v, manager);
        } else {
            pendingKeys[layer] = keys[layer].concat(k, 1);                    // lands in this cache's manager
            pendingValues[layer] = values[layer].concat(v, 1);
        }
        return new NDArray[] {ForwardPass.handOut(pendingKeys[layer], pass),
                ForwardPass.handOut(pendingValues[layer], pass)};
    }

    /** Makes the pending arrays of a successful call the cache's content. */
    void commit(SlotLayout layout) {
        for (int l = 0; l < keys.length; l++) {
            if (pendingKeys[l] == null) {
                throw new IllegalStateException("layer " + l + " added nothing to the cache");
            }
        }
        for (int l = 0; l < keys.length; l++) {
            close(keys[l]);
            close(values[l]);
            keys[l] = pendingKeys[l];
            values[l] = pendingValues[l];
            pendingKeys[l] = null;
            pendingValues[l] = null;
        }
        padding = new int[layout.batchSize()];
        Arrays.setAll(padding, layout::padding);
        length = layout.keyLength();
    }

    /** Frees the pending arrays of a failed call; the cache keeps its previous content. */
    void discard() {
        for (int l = 0; l < keys.length; l++) {
            discard(l);
        }
    }

    private void discard(int layer) {
        close(pendingKeys[layer]);
        close(pendingValues[layer]);
        pendingKeys[layer] = null;
        pendingValues[layer] = null;
    }

    private static void close(NDArray a) {
        if (a != null) {
            a.close();
        }
    }

    private NDArray requireFilled(NDArray a) {
        if (a == null) {
            throw new IllegalStateException("the cache is empty");
        }
        return a;
    }

    /** Frees every cached array. */
    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return "KvCache[" + padding.length + " sequences, " + length + " slots, " + keys.length + " layers]";
    }
}
