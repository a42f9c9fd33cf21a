package io.chronik.raft.internal;

import java.util.Locale;

/**
 * When an appended entry is forced to disk before it counts as written on a replica (and so before it can commit
 * and be acknowledged).
 */
enum FlushPolicy {
    /**
     * {@code raft} (default): the Ratis log is fsynced before an entry counts as written on a replica; an entry is
     * committed (and the producer acknowledged) only when a quorum has it on stable storage. Acknowledged data
     * survives power loss of the whole cluster. Flushes are grouped: Ratis' log worker writes every queued entry
     * and then forces once (at most {@code raft.server.log.force.sync.num} entries between forces), and the
     * provider batches concurrent produce requests of one group into one entry. The partition segment files are
     * fsynced at checkpoints (Raft snapshots); after a crash they are truncated to the last checkpoint and the Raft
     * log is replayed from there.
     */
    RAFT,
    /**
     * {@code os}: the Ratis log is written to the operating system (page cache) before an entry counts as written,
     * and forced asynchronously afterwards (Ratis' unsafe-flush). Like Kafka's default of leaving flushing to the
     * OS: acknowledged data survives a crash or kill -9 of the broker process, but not the loss of power or of the
     * OS of a quorum of nodes at the same time.
     */
    OS;

    static FlushPolicy parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("flush.policy must be 'raft' or 'os', got '" + s + "'");
        }
    }
}
