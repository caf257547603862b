package org.mechinterp.examples.physics.prompt;

/** What one token of a tokenised series covers; see {@link TokenAlignment}. */
public enum TokenKind {
    /** Exactly one digit of one value (digit-per-token vocabularies such as Qwen or Llama-2). */
    DIGIT,
    /** Two or more digits of one value and nothing else (GPT-2, Llama-3 number chunks). */
    VALUE,
    /** Only component-separator characters. */
    COMPONENT_SEP,
    /** Only step-separator characters. */
    STEP_SEP,
    /** Series characters of more than one value or kind, or series and non-series characters together. */
    MIXED,
    /** No series character: special tokens (BOS), text before or after the series. */
    OTHER
}
