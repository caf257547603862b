package org.mechinterp.spark;

import java.io.Serializable;

import org.mechinterp.sae.store.Corpus;

/**
 * One parsed corpus prompt as it travels between Spark stages: its global prompt id, the line (or table row) it
 * came from, its token ids and labels [T, nLabels] row-major (NaN for a missing value). Immutable by convention:
 * nobody writes into the arrays after parsing.
 */
final class PromptRow implements Serializable {
    private static final long serialVersionUID = 1L;

    final long id;
    final long line;
    final int[] tokens;
    final float[] labels;

    PromptRow(Corpus.Prompt p) {
        this.id = p.id();
        this.line = p.line();
        this.tokens = p.tokens();
        this.labels = p.labels();
    }

    /** As the single-machine capture's prompt record (sharing the arrays). */
    Corpus.Prompt toPrompt() {
        return new Corpus.Prompt(id, line, tokens, labels);
    }
}
