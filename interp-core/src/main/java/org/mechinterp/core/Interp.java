package org.mechinterp.core;

import java.util.Locale;

/**
 * Process-wide settings of the library.
 *
 * <p>{@link #configureDjl()} is called by every entry point that creates DJL objects (calling it again is harmless).
 * It opts out of DJL's usage telemetry unless {@code OPT_OUT_TRACKING} is already set, and checks once that a
 * libtorch for this platform can be found: when no {@code ai.djl.pytorch:pytorch-native-cpu} jar is on the class
 * path and DJL cannot load an engine otherwise, it throws an {@link IllegalStateException} naming the artifact to add.
 *
 * <p>It does <em>not</em> change DJL's offline mode: a host application's own DJL downloads keep working. Offline
 * mode ({@code ai.djl.offline=true}: DJL never downloads engines or models) is the command line's choice; a library
 * user opts in with {@link #useOfflineMode()} or {@code -Dai.djl.offline=true}. Everything this library loads comes
 * from local files and the bundled native jar, so it works either way.
 */
public final class Interp {
    /** The libtorch version of the {@code pytorch-native-cpu} jar this library is built and tested against. */
    public static final String PYTORCH_NATIVE_VERSION = "2.7.1";

    private static volatile boolean engineChecked;

    private Interp() {}

    /** Opts out of DJL's telemetry (unless already set) and checks once that the PyTorch engine can be loaded. */
    public static void configureDjl() {
        setIfAbsent("OPT_OUT_TRACKING", "true");
        if (!engineChecked) {
            checkEngine();
        }
    }

    /**
     * Opt-in: sets {@code ai.djl.offline=true} for the whole process (unless set explicitly), so that DJL never
     * downloads engines or models. The {@code interp} command line and {@code ./interp shell} do this; a library
     * user calls it (or passes {@code -Dai.djl.offline=true}) only when the whole application should be offline.
     */
    public static void useOfflineMode() {
        setIfAbsent("ai.djl.offline", "true");
        configureDjl();
    }

    /**
     * The {@code pytorch-native-cpu} classifier for this JVM's OS and architecture, or null when DJL ships none.
     *
     * @return the {@code pytorch-native-cpu} classifier for this JVM's OS and architecture, or null when DJL ships none
     */
    public static String nativeClassifier() {
        return nativeClassifier(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
    }

    static String nativeClassifier(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        String arch = osArch.toLowerCase(Locale.ROOT);
        boolean x64 = arch.equals("amd64") || arch.equals("x86_64");
        boolean arm64 = arch.equals("aarch64") || arch.equals("arm64");
        if (os.startsWith("linux")) {
            return x64 ? "linux-x86_64" : arm64 ? "linux-aarch64" : null;
        }
        if (os.startsWith("mac") || os.startsWith("darwin")) {
            return arm64 ? "osx-aarch64" : null;
        }
        if (os.startsWith("windows")) {
            return x64 ? "win-x86_64" : null;
        }
        return null;
    }

    /** The message thrown when no libtorch can be loaded: names the Maven artifact to add for this platform. */
    static String missingNativeMessage(String classifier, String osName, String osArch) {
        String platform = osName + " " + osArch;
        if (classifier == null) {
            return "No PyTorch native library for " + platform + ": DJL ships pytorch-native-cpu " + PYTORCH_NATIVE_VERSION
                    + " for linux-x86_64, linux-aarch64, osx-aarch64 and win-x86_64 only. Point PYTORCH_LIBRARY_PATH"
                    + " at a libtorch " + PYTORCH_NATIVE_VERSION + " installation, or run on a supported platform.";
        }
        return "No PyTorch native library on the class path for " + platform + ". Add the dependency"
                + " ai.djl.pytorch:pytorch-native-cpu:" + PYTORCH_NATIVE_VERSION + ":" + classifier
                + " (<groupId>ai.djl.pytorch</groupId><artifactId>pytorch-native-cpu</artifactId><version>"
                + PYTORCH_NATIVE_VERSION + "</version><classifier>" + classifier + "</classifier>, scope runtime),"
                + " or point PYTORCH_LIBRARY_PATH at a libtorch " + PYTORCH_NATIVE_VERSION + " installation.";
    }

    /** True when a {@code pytorch-native-*} jar is visible to {@code loader}. */
    static boolean nativeJarPresent(ClassLoader loader) {
        return loader != null && loader.getResource("native/lib/pytorch.properties") != null;
    }

    private static synchronized void checkEngine() {
        if (engineChecked) {
            return;
        }
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (nativeJarPresent(loader) || nativeJarPresent(Interp.class.getClassLoader())
                || System.getenv("PYTORCH_LIBRARY_PATH") != null || System.getProperty("PYTORCH_LIBRARY_PATH") != null) {
            engineChecked = true;
            return;
        }
        // No native jar: DJL may still find a cached or downloaded libtorch; if it cannot, say what to add.
        try {
            ai.djl.engine.Engine.getEngine("PyTorch");
            engineChecked = true;
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            String os = System.getProperty("os.name", "");
            String arch = System.getProperty("os.arch", "");
            throw new IllegalStateException(missingNativeMessage(nativeClassifier(os, arch), os, arch), e);
        }
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
