package org.mechinterp.core.generate;

/** Why a sequence stopped growing. */
public enum FinishReason {
    /** It produced a stop token (the last token of its new tokens). */
    STOP_TOKEN,
    /** It reached the maximum number of new tokens. */
    MAX_NEW_TOKENS
}
