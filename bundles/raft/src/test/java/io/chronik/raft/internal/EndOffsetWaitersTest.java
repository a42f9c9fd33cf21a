package io.chronik.raft.internal;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.Test;

/** The long-poll waiters of a partition: woken when the log end passes their offset, or on close. */
public class EndOffsetWaitersTest {
    private final AtomicLong end = new AtomicLong(10);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final EndOffsetWaiters waiters = new EndOffsetWaiters(end::get, closed::get);

    @Test
    public void anOffsetBelowTheEndIsAlreadyPassed() {
        assertTrue(waiters.await(9).isDone());
        assertFalse(waiters.await(10).isDone());
    }

    @Test
    public void wakeCompletesOnlyThePassedOffsets() {
        CompletableFuture<Void> at10 = waiters.await(10);
        CompletableFuture<Void> at12 = waiters.await(12);
        waiters.wake();
        assertFalse(at10.isDone());
        end.set(12);
        waiters.wake();
        assertTrue(at10.isDone());
        assertFalse(at12.isDone());
        closed.set(true);
        waiters.wake();
        assertTrue("closing completes every waiter", at12.isDone());
        assertTrue(waiters.await(100).isDone());
    }

    @Test
    public void aCancelledWaiterIsNotCompleted() {
        CompletableFuture<Void> f = waiters.await(10);
        f.cancel(false);
        end.set(20);
        waiters.wake();
        assertTrue(f.isCancelled());
    }
}
