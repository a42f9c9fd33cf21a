package io.chronik.raft.internal;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The readers of one partition that wait for its log end to pass an offset (long-polling fetches, through
 * {@link io.chronik.api.consensus.PartitionLog#awaitBeyond}), and their wake-up when it does or the partition
 * closes.
 *
 * <p>Thread-safe. Readers {@link #await} on any thread; the partition's writers call {@link #wake} after each
 * append and on close, outside their write lock. Nothing blocks beyond this class's short internal lock; the
 * waiting stages complete on the thread that calls {@link #wake} (or {@link #await}), outside that lock.
 */
final class EndOffsetWaiters {

    private record Waiter(long offset, CompletableFuture<Void> future) {
    }

    private final Set<Waiter> waiters = new LinkedHashSet<>();
    private final LongSupplier logEnd;
    private final BooleanSupplier closed;

    /**
     * @param logEnd the partition's current log end offset
     * @param closed whether the partition is closed (then every waiter completes)
     */
    EndOffsetWaiters(LongSupplier logEnd, BooleanSupplier closed) {
        this.logEnd = logEnd;
        this.closed = closed;
    }

    /**
     * A stage that completes (with {@code null}) once the log end is beyond {@code offset} or the partition is
     * closed; already complete if it is now. A caller that gives up cancels the stage, which forgets the waiter.
     */
    CompletableFuture<Void> await(long offset) {
        if (closed.getAsBoolean() || logEnd.getAsLong() > offset) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        Waiter waiter = new Waiter(offset, f);
        synchronized (waiters) {
            waiters.add(waiter);
        }
        // a caller that gives up cancels its stage: forget it now, an idle partition may see no append for long
        f.whenComplete((v, t) -> {
            if (f.isCancelled()) {
                synchronized (waiters) {
                    waiters.remove(waiter);
                }
            }
        });
        if (closed.getAsBoolean() || logEnd.getAsLong() > offset) {
            wake();
        }
        return f;
    }

    /** Completes the waiters whose offset the log end has passed, or all of them once the partition is closed. */
    void wake() {
        List<CompletableFuture<Void>> ready = null;
        synchronized (waiters) {
            if (waiters.isEmpty()) {
                return;
            }
            long end = logEnd.getAsLong();
            for (Iterator<Waiter> i = waiters.iterator(); i.hasNext(); ) {
                Waiter w = i.next();
                if (closed.getAsBoolean() || end > w.offset() || w.future().isDone()) {
                    i.remove();
                    if (ready == null) {
                        ready = new ArrayList<>();
                    }
                    ready.add(w.future());
                }
            }
        }
        if (ready != null) {
            ready.forEach(f -> f.complete(null));
        }
    }
}
