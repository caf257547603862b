package org.mechinterp.core.io;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Releases a memory mapping now instead of whenever the garbage collector finds its buffer.
 *
 * <p>Why: pages of a mapped file count as resident memory of the process for as long as the mapping exists. A
 * loader that maps a 1.2 GB checkpoint, converts it and drops the buffers would otherwise carry that 1.2 GB beside
 * the converted weights until some later GC. Java 17 has no public unmap; {@code sun.misc.Unsafe.invokeCleaner}
 * (module {@code jdk.unsupported}, open by default) does exactly this and is what Lucene and Netty use. Where it is
 * unavailable, {@link #unmap} does nothing and the mapping goes with the next GC.
 *
 * <p>Touching a buffer after {@link #unmap} crashes the JVM: call it only on buffers nobody else holds.
 */
public final class Unmapper {
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        Method cleaner = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            cleaner = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            unsafe = null;
            cleaner = null;
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = cleaner;
    }

    private Unmapper() {}

    /**
     * True when mappings can be released at once on this JVM.
     *
     * @return true when mappings can be released at once on this JVM
     */
    public static boolean available() {
        return INVOKE_CLEANER != null;
    }

    /**
     * Unmaps a buffer returned by {@code FileChannel.map} (not a slice or duplicate of one; such buffers and heap
     * buffers are ignored). The caller guarantees that no one uses the buffer afterwards.
     *
     * @param mapped the mapped
     */
    public static void unmap(ByteBuffer mapped) {
        if (mapped == null || !mapped.isDirect() || INVOKE_CLEANER == null || mapped.capacity() == 0) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, mapped);
        } catch (ReflectiveOperationException | IllegalArgumentException e) {
            // a slice or duplicate: its mapping is released with the original buffer
        }
    }
}
