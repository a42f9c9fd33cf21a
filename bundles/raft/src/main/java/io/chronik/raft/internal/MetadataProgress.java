package io.chronik.raft.internal;

import java.util.concurrent.CompletableFuture;

/** How far this node has applied the metadata group's log. Thread-safe, non-blocking. */
interface MetadataProgress {
    /** Completes once the metadata entry at {@code index} is applied here. */
    CompletableFuture<Void> await(long index);

    /** Whether the metadata entry at {@code index} is applied here. */
    default boolean applied(long index) {
        return await(index).isDone();
    }
}
