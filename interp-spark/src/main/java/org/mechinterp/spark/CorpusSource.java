package org.mechinterp.spark;

import java.util.List;

import org.apache.spark.api.java.JavaRDD;

/** Where a distributed capture's prompts come from: text lines ({@link TextCorpus}) or a table ({@link TableCorpus}). */
interface CorpusSource {
    /** The label columns every prompt carries (empty when none). */
    List<String> labelNames();

    /** SHA-256 identifying the corpus content (recorded in the manifest; a resume requires the same). */
    String sha256();

    /**
     * Every prompt, parsed and tokenized on the executors, with global ids 0..N−1 in corpus order.
     *
     * @param modelPath the model folder whose tokenizer encodes text prompts
     */
    JavaRDD<PromptRow> prompts(String modelPath, int vocabSize, int context, List<String> labelNames);

    /** The file (or table) holding prompt {@code id}, for messages. */
    String fileOfPrompt(long id);
}
