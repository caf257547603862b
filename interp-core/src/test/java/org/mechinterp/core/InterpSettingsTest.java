package org.mechinterp.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import org.junit.jupiter.api.Test;

/** Library hygiene: offline mode is opt-in, and a missing engine native is named. */
class InterpSettingsTest {

    @Test
    void configureDjlLeavesOfflineModeToTheHostApplication() {
        String before = System.clearProperty("ai.djl.offline");   // surefire sets it for the tests
        try {
            Interp.configureDjl();
            assertNull(System.getProperty("ai.djl.offline"), "a library call must not switch DJL offline");
            Interp.useOfflineMode();
            assertEquals("true", System.getProperty("ai.djl.offline"));
            System.setProperty("ai.djl.offline", "false");
            Interp.useOfflineMode();
            assertEquals("false", System.getProperty("ai.djl.offline"), "an explicit setting is kept");
        } finally {
            if (before == null) {
                System.clearProperty("ai.djl.offline");
            } else {
                System.setProperty("ai.djl.offline", before);
            }
        }
    }

    @Test
    void classifierPerPlatform() {
        assertEquals("linux-x86_64", Interp.nativeClassifier("Linux", "amd64"));
        assertEquals("linux-aarch64", Interp.nativeClassifier("Linux", "aarch64"));
        assertEquals("osx-aarch64", Interp.nativeClassifier("Mac OS X", "aarch64"));
        assertEquals("win-x86_64", Interp.nativeClassifier("Windows 11", "amd64"));
        assertNull(Interp.nativeClassifier("Mac OS X", "x86_64"));
        assertNull(Interp.nativeClassifier("FreeBSD", "amd64"));
    }

    @Test
    void missingNativeIsNamedWithTheArtifactToAdd() throws Exception {
        assertTrue(Interp.nativeJarPresent(Interp.class.getClassLoader()), "the test class path bundles this platform's native");
        try (var empty = new URLClassLoader(new URL[0], null)) {
            assertFalse(Interp.nativeJarPresent(empty));
        }
        String m = Interp.missingNativeMessage("osx-aarch64", "Mac OS X", "aarch64");
        assertTrue(m.contains("ai.djl.pytorch:pytorch-native-cpu:" + Interp.PYTORCH_NATIVE_VERSION + ":osx-aarch64"), m);
        assertTrue(Interp.missingNativeMessage(null, "FreeBSD", "amd64").contains("PYTORCH_LIBRARY_PATH"));
    }
}
