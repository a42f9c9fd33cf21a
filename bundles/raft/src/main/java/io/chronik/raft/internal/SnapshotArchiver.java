package io.chronik.raft.internal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a data group's snapshots are kept beyond this node (the object store, through the archive), and where a node
 * that has none of a group's data finds one to start from.
 */
interface SnapshotArchiver {

    /**
     * A snapshot of a group was taken on this node: keep it (in the background; never blocks the caller, the state
     * machine updater).
     */
    void snapshotTaken(int groupNo, DataSnapshotStorage.DataSnapshot snapshot);

    /**
     * The metadata group took a snapshot into {@code file} (complete, renamed into place): keep it (in the background;
     * never blocks the caller, the state machine updater).
     */
    default void metadataSnapshotTaken(org.apache.ratis.server.protocol.TermIndex at, Path file) {
    }

    /**
     * Fetches the newest usable archived snapshot of group {@code groupNo} into {@code snapshotsDir}, as a complete
     * snapshot directory in the layout of {@link DataSnapshotStorage} (written as {@code <name>.tmp}, renamed when
     * complete). Blocking.
     *
     * @return the snapshot directory, or null if the archive has no usable snapshot of the group (or none is bound)
     */
    Path fetchLatest(int groupNo, Path snapshotsDir) throws IOException;

    /** No archive: snapshots stay on the node. */
    SnapshotArchiver NONE = new SnapshotArchiver() {
        @Override
        public void snapshotTaken(int groupNo, DataSnapshotStorage.DataSnapshot snapshot) {
        }

        @Override
        public Path fetchLatest(int groupNo, Path snapshotsDir) {
            return null;
        }
    };
}
