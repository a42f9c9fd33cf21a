package io.chronik.raft.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Batches ReadIndex barriers of one data group: at most one Raft ReadIndex round is in flight, and every barrier asked
 * for while it runs is served by the single round that starts after it. A barrier must not share a round that
 * started before it was asked for (that round's read index may precede a write the caller has seen acknowledged),
 * so callers wait at most for the round in flight plus their own; under load one round serves any number of fetches.
 *
 * <p>Thread-safe; {@link #await} never blocks. A failed round fails exactly the barriers it serves. Barriers, rounds,
 * failures and round latency are also counted in the node's {@link ReadIndexMetrics}.
 */
final class ReadIndexRounds {
    private final Supplier<CompletableFuture<Void>> round;
    private final ReadIndexMetrics metrics;
    private final Object lock = new Object();
    /** Completes when the round in flight is done; null while none is. */
    private CompletableFuture<Void> inFlight;
    /** The barriers asked for while a round is in flight: served by the next round. */
    private CompletableFuture<Void> next;
    private final AtomicLong rounds = new AtomicLong();
    private final AtomicLong barriers = new AtomicLong();

    /**
     * @param round   starts one ReadIndex round; its future completes once this replica has applied up to the index
     * @param metrics the node's counters, shared by its groups
     */
    ReadIndexRounds(Supplier<CompletableFuture<Void>> round, ReadIndexMetrics metrics) {
        this.round = round;
        this.metrics = metrics;
    }

    /** A barrier: completes once this replica has applied everything committed when it was asked for. */
    CompletableFuture<Void> await() {
        barriers.incrementAndGet();
        metrics.barrierAsked();
        synchronized (lock) {
            if (inFlight == null) {
                return start();
            }
            if (next == null) {
                next = new CompletableFuture<>();
            }
            return next;
        }
    }

    /** Starts a round; called holding the lock. */
    private CompletableFuture<Void> start() {
        rounds.incrementAndGet();
        long startNanos = metrics.roundStarted();
        CompletableFuture<Void> started = new CompletableFuture<>();
        inFlight = started;
        CompletableFuture<Void> r;
        try {
            r = round.get();
        } catch (RuntimeException e) {
            r = CompletableFuture.failedFuture(e);
        }
        r.whenComplete((v, e) -> {
            metrics.roundFinished(startNanos, e != null);
            if (e == null) {
                started.complete(null);
            } else {
                started.completeExceptionally(e);
            }
            finished();
        });
        return started;
    }

    /** The round in flight is done: the barriers that waited for the next one get it. */
    private void finished() {
        CompletableFuture<Void> waiting;
        CompletableFuture<Void> following;
        synchronized (lock) {
            inFlight = null;
            waiting = next;
            next = null;
            if (waiting == null) {
                return;
            }
            following = start();
        }
        following.whenComplete((v, e) -> {
            if (e == null) {
                waiting.complete(null);
            } else {
                waiting.completeExceptionally(e);
            }
        });
    }

    /** ReadIndex rounds of this group started so far. */
    long rounds() {
        return rounds.get();
    }

    /** Barriers of this group asked for so far. */
    long barriers() {
        return barriers.get();
    }
}
