package org.mechinterp.examples.physics.prompt;

/** What one character of a serialised series is. */
public enum CharKind {
    /** A digit of a value. */
    DIGIT,
    /** Part of the separator between two components of one time step. */
    COMPONENT_SEP,
    /** Part of the separator closing a time step. */
    STEP_SEP
}
