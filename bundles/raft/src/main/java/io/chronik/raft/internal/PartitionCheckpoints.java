package io.chronik.raft.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Checkpoints the partition replicas of a snapshot into its directory, several at a time when there are many.
 *
 * <p>A replica's checkpoint is a few small {@code fsync}s (its segments, its checkpoint file, its directory), and
 * a group holding thousands of partitions spent seconds in them one after the other: on stop, when every group takes
 * a snapshot, and on every periodic snapshot, during which the group applies nothing. A disk serves such fsyncs
 * side by side much faster than in a row (on the project's machine 0.22 ms per partition with eight threads against
 * 0.54 ms with one), so groups of more than {@link #PARALLEL_FROM} replicas are checkpointed by up to
 * {@link #THREADS} threads started for the call and stopped after it. Each replica is checkpointed under its own
 * write lock, as before; the result keeps the order of the replicas.
 *
 * <p>Blocking; called by the state machine updater taking the snapshot.
 */
final class PartitionCheckpoints {
    /** Up to this many replicas the checkpoints run on the caller's thread. */
    static final int PARALLEL_FROM = 32;
    /** The most threads one snapshot uses. */
    static final int THREADS = 8;

    private PartitionCheckpoints() {
    }

    /**
     * Checkpoints {@code replicas} at {@code index}/{@code term} into {@code snapshotDir}.
     *
     * @param threadPrefix names the threads of a parallel checkpoint ({@code <prefix>-checkpoint-<n>})
     * @return the manifest entries of the replicas, in the order of {@code replicas}, leaving out the closed ones
     * @throws IOException the first failure of a checkpoint (the others still running finish theirs, no new ones
     *         start), or {@link InterruptedIOException} if the caller is interrupted while waiting
     */
    static List<SnapshotManifest.Partition> take(Collection<PartitionReplica> replicas, long index, long term,
            Path snapshotDir, String threadPrefix) throws IOException {
        List<PartitionReplica> all = List.copyOf(replicas);
        SnapshotManifest.Partition[] taken = new SnapshotManifest.Partition[all.size()];
        if (all.size() <= PARALLEL_FROM) {
            for (int i = 0; i < all.size(); i++) {
                taken[i] = all.get(i).snapshotInto(index, term, snapshotDir);
            }
        } else {
            inParallel(all, index, term, snapshotDir, taken, threadPrefix);
        }
        List<SnapshotManifest.Partition> out = new ArrayList<>(all.size());
        for (SnapshotManifest.Partition p : taken) {
            if (p != null) {
                out.add(p);
            }
        }
        return out;
    }

    private static void inParallel(List<PartitionReplica> all, long index, long term, Path snapshotDir,
            SnapshotManifest.Partition[] taken, String threadPrefix) throws IOException {
        int threads = Math.min(THREADS, (all.size() + PARALLEL_FROM - 1) / PARALLEL_FROM);
        AtomicInteger next = new AtomicInteger();
        AtomicInteger names = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, threadPrefix + "-checkpoint-" + names.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> workers = new ArrayList<>(threads);
            for (int w = 0; w < threads; w++) {
                workers.add(pool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < all.size()) {
                        try {
                            taken[i] = all.get(i).snapshotInto(index, term, snapshotDir);
                        } catch (IOException e) {
                            next.set(all.size()); // no new checkpoints once one failed
                            throw new UncheckedIOException(e);
                        }
                    }
                }));
            }
            IOException failure = null;
            for (Future<?> w : workers) {
                try {
                    w.get();
                } catch (ExecutionException e) {
                    IOException cause = e.getCause() instanceof UncheckedIOException u ? u.getCause()
                            : new IOException("checkpoint failed", e.getCause());
                    if (failure == null) {
                        failure = cause;
                    } else {
                        failure.addSuppressed(cause);
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
        } catch (InterruptedException e) {
            next.set(all.size());
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while checkpointing " + all.size() + " partitions");
        } finally {
            pool.shutdown();
        }
    }
}
