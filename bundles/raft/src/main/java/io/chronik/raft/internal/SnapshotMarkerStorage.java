package io.chronik.raft.internal;

import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;

/**
 * Ratis' {@link SimpleStateMachineStorage} with its latest-snapshot bookkeeping made safe for the threads that use it:
 * a log appender asks for the latest snapshot on every round while the state machine updater records a new one.
 *
 * <p>Ratis 3.2's own {@code getLatestSnapshot} loads from disk when it knows none yet, and its update then fails with
 * a {@link NullPointerException} when a snapshot was recorded between the two and the directory listing found no file
 * (not yet, or no longer). On a leader that kills the follower's log appender; Ratis restarts it as for a new,
 * bootstrapping follower and sends that follower a snapshot, which a replica behind the snapshot cannot take. Here the
 * three methods are serialised, and an update with nothing found on disk keeps the snapshot already known.
 *
 * <p>Thread-safe; the methods hold this object's monitor only while they list the directory or swap a reference.
 */
final class SnapshotMarkerStorage extends SimpleStateMachineStorage {
    /** The latest snapshot this storage has recorded; guarded by this. */
    private SingleFileSnapshotInfo latest;

    @Override
    public synchronized SingleFileSnapshotInfo getLatestSnapshot() {
        return super.getLatestSnapshot();
    }

    @Override
    public synchronized SingleFileSnapshotInfo loadLatestSnapshot() {
        return super.loadLatestSnapshot();
    }

    @Override
    public synchronized SingleFileSnapshotInfo updateLatestSnapshot(SingleFileSnapshotInfo info) {
        if (info == null) {
            return latest; // nothing on disk: keep what is known
        }
        latest = super.updateLatestSnapshot(info);
        return latest;
    }
}
