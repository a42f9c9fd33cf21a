package io.chronik.raft.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Runs an asynchronous attempt again, a fixed delay after each failure that {@code retryable} accepts, until one
 * succeeds, a failure is not retryable, the deadline passes or the scheduler refuses (the node is stopping); the result
 * is the last attempt's outcome. Never blocks: attempts after the first start on the scheduler's thread.
 */
final class RetryUntil {
    private RetryUntil() {
    }

    /**
     * @param retryable  sees the failure without its {@link CompletionException} / {@link ExecutionException} wrappers
     * @param deadlineNs no attempt starts after this {@code nanoTime()} of {@code clock}
     */
    static <T> CompletableFuture<T> retry(Supplier<CompletableFuture<T>> attempt, Predicate<Throwable> retryable,
                                          ScheduledExecutorService scheduler, long delayMs, long deadlineNs,
                                          LongSupplier clock) {
        CompletableFuture<T> result = new CompletableFuture<>();
        attempt(attempt, retryable, scheduler, delayMs, deadlineNs, clock, result);
        return result;
    }

    private static <T> void attempt(Supplier<CompletableFuture<T>> attempt, Predicate<Throwable> retryable,
                                    ScheduledExecutorService scheduler, long delayMs, long deadlineNs, LongSupplier clock,
                                    CompletableFuture<T> result) {
        CompletableFuture<T> f;
        try {
            f = attempt.get();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((v, e) -> {
            if (e == null) {
                result.complete(v);
                return;
            }
            if (retryable.test(unwrap(e)) && clock.getAsLong() + TimeUnit.MILLISECONDS.toNanos(delayMs) < deadlineNs) {
                try {
                    scheduler.schedule(() -> attempt(attempt, retryable, scheduler, delayMs, deadlineNs, clock, result),
                            delayMs, TimeUnit.MILLISECONDS);
                    return;
                } catch (RejectedExecutionException stopping) {
                    // fall through: the last failure is the outcome
                }
            }
            result.completeExceptionally(e);
        });
    }

    static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
