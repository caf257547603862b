package org.mechinterp.core;

/**
 * Process-wide settings of the library.
 *
 * <p>{@link #configureDjl()} makes DJL work without a network: it never downloads engines or models (the CPU
 * libtorch ships in the {@code pytorch-native-cpu} jar) and never sends usage telemetry. Every entry point that
 * creates DJL objects calls it first; calling it again is harmless. Values set explicitly beforehand (system
 * properties) are kept.
 */
public final class Interp {
    private Interp() {}

    /** Sets {@code ai.djl.offline=true} and opts out of DJL's telemetry, unless already set. */
    public static void configureDjl() {
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("OPT_OUT_TRACKING", "true");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
