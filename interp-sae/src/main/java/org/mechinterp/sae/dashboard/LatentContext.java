package org.mechinterp.sae.dashboard;

import java.util.Comparator;

/**
 * A window of a document around one token where a latent fired: the window's token ids and the latent's activation
 * on each of them, for highlighting. Immutable by convention (arrays held, not copied).
 *
 * @param doc document id (its index in the corpus)
 * @param position index of the firing token in its document
 * @param activation the latent's activation at {@code position}
 * @param start document index of the window's first token
 * @param tokens token ids of the window
 * @param activations the latent's activation on each window token
 * @serial exclude (the serial form of a record is its components, documented above; JDK 17's javadoc would otherwise
 *     ask for comments on the implicit component fields, JDK-8275199)
 */
public record LatentContext(long doc, int position, float activation, int start, int[] tokens, float[] activations)
        implements java.io.Serializable {

    /**
     * The order of "top" contexts: larger activation first, then lower document id, then lower position. A total
     * order on distinct (doc, position), so a top-k under it does not depend on the order contexts arrive in.
     */
    public static final Comparator<LatentContext> TOP_FIRST = Comparator
            .comparingDouble((LatentContext c) -> -c.activation())
            .thenComparingLong(LatentContext::doc)
            .thenComparingInt(LatentContext::position);

    /** @return the firing token's index within the window */
    public int offset() {
        return position - start;
    }
}
