package org.mechinterp.core;

/**
 * Where the library's optional {@code jdk.incubator.vector} kernels come from. Each has a plain-Java twin with the
 * same results bit for bit; the vector one is used only when the JVM was started with
 * {@code --add-modules jdk.incubator.vector} (the {@code ./interp} script, the tests and the benchmarks do so) and
 * the system property {@code interp.vectorKernels} is not {@code false}. The vector classes are loaded by name,
 * because they link against the incubator module, which is absent unless added. No native resources.
 */
public final class VectorKernels {
    private VectorKernels() {}

    /**
     * Whether vector kernels may be used in this JVM: the incubator module is in the boot layer and
     * {@code -Dinterp.vectorKernels=false} is not set.
     *
     * @return true when {@link #load} may succeed
     */
    public static boolean enabled() {
        return Boolean.parseBoolean(System.getProperty("interp.vectorKernels", "true"))
                && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /**
     * A new instance of the named vector kernel class (public, with a public no-argument constructor), or null when
     * vector kernels are not {@link #enabled()} or the class cannot be loaded or linked.
     *
     * @param className the fully qualified name of the implementation
     * @param type the interface it implements
     * @param <T> that interface
     * @return the instance, or null (the caller then uses its scalar twin)
     */
    public static <T> T load(String className, Class<T> type) {
        if (!enabled()) {
            return null;
        }
        try {
            return type.cast(Class.forName(className).getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
            return null;
        }
    }
}
