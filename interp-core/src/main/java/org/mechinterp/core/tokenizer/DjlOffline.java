package org.mechinterp.core.tokenizer;

/**
 * Puts DJL into offline mode with usage tracking disabled, before any DJL object is created.
 *
 * <p>DJL 0.35 reads offline mode from env {@code DJL_OFFLINE}, else system property {@code ai.djl.offline}
 * ({@code Utils.isOfflineMode}), and its "call home" ({@code Ec2Utils.callHome}, run when a tokenizer is
 * created) is skipped when offline or when {@code OPT_OUT_TRACKING} is true, read from the environment first
 * and then from a system property of the same name ({@code Utils.getEnvOrSystemProperty}). The environment
 * cannot be changed from Java, so both system properties are set.
 */
final class DjlOffline {

    private DjlOffline() {
    }

    static void ensure() {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
    }
}
