package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.Test;

/** ReadIndex barriers share rounds, but never one that started before they were asked for. */
public class ReadIndexRoundsTest {
    private final List<CompletableFuture<Void>> started = new ArrayList<>();
    private final ReadIndexRounds rounds = new ReadIndexRounds(() -> {
        CompletableFuture<Void> f = new CompletableFuture<>();
        started.add(f);
        return f;
    });

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
        });
        assertTrue(failing.await().isCompletedExceptionally());
        assertTrue("and leaves no round in flight", failing.await().isCompletedExceptionally());
        assertEquals(2, failing.rounds());
    }
}
