package org.mechinterp.core.hooks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.core.testing.Fixtures;

/**
 * Hooks and threads: a hook scope open in one thread never changes another thread's forward pass (that pass, or a
 * registration there, fails naming both threads); hooks of a thread that has ended pass on (JShell runs each
 * snippet in its own thread); plain forward passes run concurrently.
 */
class HookThreadsTest {
    private static final String POINT = "blocks.2.hook_resid_post";
    private static final TokenBatch BATCH = TokenBatch.of(new int[] {1, 403, 407, 261});
    private static HookedTransformer model;

    @BeforeAll
    static void load() throws IOException {
        model = HookedTransformer.load(Fixtures.fixture("stories260K-llama"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static float[] logits() {
        try (NDManager m = NDManager.newBaseManager()) {
            return model.forward(m, BATCH).toFloatArray();
        }
    }

    /**
     * Runs {@code body} here while a thread named "hook-holder" keeps a hook scope open (zero-ablating POINT).
     *
     * @return what {@code body} threw (null when it returned)
     */
    private static RuntimeException whileAnotherThreadHoldsHooks(Runnable body) throws InterruptedException {
        CountDownLatch registered = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            try (HookScope scope = model.hooks().scope()) {
                scope.add(POINT, (x, ctx) -> x.zerosLike());
                registered.countDown();
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "hook-holder");
        holder.start();
        registered.await();
        try {
            body.run();
            return null;
        } catch (RuntimeException e) {
            return e;
        } finally {
            done.countDown();
            holder.join();
        }
    }

    private static void assertNamesBothThreads(RuntimeException e) {
        assertNotNull(e, "expected an IllegalStateException");
        assertTrue(e instanceof IllegalStateException && e.getMessage().contains("'hook-holder'")
                && e.getMessage().contains("'" + Thread.currentThread().getName() + "'"), e.toString());
    }

    @Test
    void anotherThreadsOpenScopeDoesNotReachThisThreadsForwardPass() throws InterruptedException {
        float[] clean = logits();
        AtomicReference<float[]> seen = new AtomicReference<>();
        RuntimeException e = whileAnotherThreadHoldsHooks(() -> seen.set(logits()));
        if (seen.get() != null) {
            assertArrayEquals(clean, seen.get(), 0f, "another thread's hooks changed this thread's logits");
        }
        assertNamesBothThreads(e);
        assertNamesBothThreads(whileAnotherThreadHoldsHooks(() -> model.hooks().add(POINT, (x, ctx) -> x).close()));
        assertEquals(0, model.hooks().size());
        assertArrayEquals(clean, logits(), 0f); // the holder's scope closed: nothing is left behind
    }

    @Test
    void hooksOfAnEndedThreadApplyInTheNextThreadAsInANotebook() throws InterruptedException {
        float[] clean = logits();
        HookHandle[] handle = new HookHandle[1];
        Thread cell = new Thread(() -> handle[0] = model.hooks().add(POINT, (x, ctx) -> x.zerosLike()));
        cell.start();
        cell.join();
        try {
            assertFalse(Arrays.equals(clean, logits()), "the earlier cell's hook should apply");
        } finally {
            handle[0].close();
        }
        assertEquals(0, model.hooks().size());
    }

    @Test
    void plainForwardPassesRunConcurrently() throws InterruptedException {
        float[] clean = logits();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] threads = new Thread[3];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                try {
                    for (int i = 0; i < 5; i++) {
                        assertArrayEquals(clean, logits(), 0f);
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(null, failure.get());
    }
}
