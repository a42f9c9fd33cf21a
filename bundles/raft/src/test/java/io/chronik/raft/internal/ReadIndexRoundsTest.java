package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.Test;

/** ReadIndex barriers share rounds, but never one that started before they were asked for. */
public class ReadIndexRoundsTest {
    private final List<CompletableFuture<Void>> started = new ArrayList<>();
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final ReadIndexMetrics metrics = new ReadIndexMetrics(7, clock::get);
    private final ReadIndexRounds rounds = new ReadIndexRounds(() -> {
        CompletableFuture<Void> f = new CompletableFuture<>();
        started.add(f);
        return f;
    }, metrics);

    @Test
    public void barriersAskedDuringARoundShareTheNextOne() {
        CompletableFuture<Void> first = rounds.await();
        List<CompletableFuture<Void>> later = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            later.add(rounds.await());
        }
        assertEquals(1, started.size());
        started.get(0).complete(null);
        assertTrue(first.isDone());
        assertTrue("served by the round after theirs only", later.stream().noneMatch(CompletableFuture::isDone));
        assertEquals(2, started.size());
        started.get(1).complete(null);
        assertTrue(later.stream().allMatch(f -> f.isDone() && !f.isCompletedExceptionally()));
        assertEquals(2, rounds.rounds());
        assertEquals(101, rounds.barriers());
        assertEquals(2, metrics.rounds());
        assertEquals(101, metrics.barriers());
        assertEquals(0, metrics.failures());
        // idle again: the next barrier starts a round of its own at once
        rounds.await();
        assertEquals(3, started.size());
    }

    @Test
    public void aFailedRoundFailsOnlyItsBarriers() {
        CompletableFuture<Void> first = rounds.await();
        CompletableFuture<Void> second = rounds.await();
        started.get(0).completeExceptionally(new IllegalStateException("no leader"));
        assertTrue(first.isCompletedExceptionally());
        assertFalse(second.isDone());
        started.get(1).complete(null);
        assertTrue(second.isDone() && !second.isCompletedExceptionally());
    }

    @Test
    public void aRoundThatCannotStartFailsItsBarrier() {
        ReadIndexRounds failing = new ReadIndexRounds(() -> {
            throw new IllegalStateException("not running");
        }, metrics);
        assertTrue(failing.await().isCompletedExceptionally());
        assertTrue("and leaves no round in flight", failing.await().isCompletedExceptionally());
        assertEquals(2, failing.rounds());
        assertEquals(2, metrics.failures());
        assertEquals(2, metrics.duration().count());
    }

    @Test
    public void theNodesMetricsCountRoundsBarriersFailuresAndRoundLatency() {
        ReadIndexRounds otherGroup = new ReadIndexRounds(() -> {
            CompletableFuture<Void> f = new CompletableFuture<>();
            started.add(f);
            return f;
        }, metrics);
        CompletableFuture<Void> a = rounds.await();        // round 0, starts at t
        rounds.await();                                     // waits for round 1
        rounds.await();                                     // shares round 1
        otherGroup.await();                                 // round 2 of another group, same node
        clock.addAndGet(3_000_000);                         // 3 ms
        started.get(0).complete(null);                      // round 0 done after 3 ms; round 1 starts
        assertTrue(a.isDone());
        clock.addAndGet(200_000_000);                       // 200 ms more
        started.get(1).completeExceptionally(new IllegalStateException("no leader"));
        started.get(2).complete(null);                      // 203 ms after it started
        assertEquals(3, metrics.rounds());
        assertEquals(4, metrics.barriers());
        assertEquals(1, metrics.failures());
        double[] bounds = metrics.duration().upperBoundsSeconds();
        long[] counts = metrics.duration().bucketCounts();
        assertEquals(3, metrics.duration().count());
        assertEquals(0.003 + 0.2 + 0.203, metrics.duration().sumSeconds(), 1e-9);
        assertEquals("3 ms lands in the 5 ms bucket", 1, counts[java.util.Arrays.binarySearch(bounds, 0.005)]);
        assertEquals("200 and 203 ms in the 250 ms bucket", 2, counts[java.util.Arrays.binarySearch(bounds, 0.25)]);
    }
}
