package io.chronik.protocol.kafka.internal.handler;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;

/** Stages from the provider, observed without assuming they are CompletableFutures. */
final class Futures {
    private Futures() {
    }

    /** Runs {@code action} when {@code stage} completes; the result completes after the action (never exceptionally). */
    static <T> CompletableFuture<Void> handle(CompletionStage<T> stage, BiConsumer<? super T, Throwable> action) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            stage.whenComplete((v, t) -> {
                try {
                    action.accept(v, t);
                } finally {
                    done.complete(null);
                }
            });
        } catch (RuntimeException e) {
            action.accept(null, e);
            done.complete(null);
        }
        return done;
    }

    static CompletableFuture<Void> all(java.util.List<CompletableFuture<Void>> futures) {
        return CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]));
    }
}
