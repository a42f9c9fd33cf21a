package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.After;
import org.junit.Test;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;

public class RetryUntilTest {
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final AtomicInteger attempts = new AtomicInteger();

    @After
    public void stop() {
        scheduler.shutdownNow();
    }

    /** Fails {@code failures} times with {@code error}, then succeeds with the attempt's number. */
    private CompletableFuture<Integer> failing(int failures, Exception error) {
        int n = attempts.incrementAndGet();
        return n <= failures ? CompletableFuture.failedFuture(error) : CompletableFuture.completedFuture(n);
    }

    @Test(timeout = 10_000)
    public void retryableFailuresAreTriedAgainUntilOneSucceeds() throws Exception {
        CompletableFuture<Integer> r = RetryUntil.retry(() -> failing(3, new IOException("connection refused")),
                e -> e instanceof IOException, scheduler, 10, System.nanoTime() + TimeUnit.SECONDS.toNanos(5),
                System::nanoTime);
        assertEquals(4, (int) r.get(5, TimeUnit.SECONDS));
    }

    @Test(timeout = 10_000)
    public void anotherFailureEndsAtOnce() throws Exception {
        ConsensusException notLeader = new ConsensusException(Reason.NOT_LEADER, "not the leader");
        CompletableFuture<Integer> r = RetryUntil.retry(() -> failing(3, notLeader), e -> e instanceof IOException,
                scheduler, 10, System.nanoTime() + TimeUnit.SECONDS.toNanos(5), System::nanoTime);
        try {
            r.get(5, TimeUnit.SECONDS);
            fail("not retried");
        } catch (ExecutionException e) {
            assertSame(notLeader, RetryUntil.unwrap(e));
        }
        assertEquals(1, attempts.get());
    }

    @Test(timeout = 10_000)
    public void theDeadlineEndsTheRetriesWithTheLastFailure() throws Exception {
        CompletableFuture<Integer> r = RetryUntil.retry(() -> failing(1000, new IOException("unreachable")),
                e -> e instanceof IOException, scheduler, 20, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300),
                System::nanoTime);
        try {
            r.get(5, TimeUnit.SECONDS);
            fail("the deadline passed");
        } catch (ExecutionException e) {
            assertTrue(RetryUntil.unwrap(e) instanceof IOException);
        }
        assertTrue("a few attempts within 300 ms, was " + attempts.get(), attempts.get() > 1 && attempts.get() <= 16);
    }

    @Test(timeout = 10_000)
    public void aStoppedSchedulerEndsTheRetries() throws Exception {
        scheduler.shutdown();
        CompletableFuture<Integer> r = RetryUntil.retry(() -> failing(3, new IOException("unreachable")),
                e -> e instanceof IOException, scheduler, 10, System.nanoTime() + TimeUnit.SECONDS.toNanos(5),
                System::nanoTime);
        assertTrue(r.isCompletedExceptionally());
        assertEquals(1, attempts.get());
    }
}
