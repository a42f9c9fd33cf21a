package io.chronik.raft.internal;

import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;

import java.nio.file.Path;

import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.junit.Test;

public class SnapshotMarkerStorageTest {

    private static SingleFileSnapshotInfo marker(long term, long index) {
        return new SingleFileSnapshotInfo(new FileInfo(Path.of("snapshot." + term + "_" + index), null),
                TermIndex.valueOf(term, index));
    }

    /** What a leader's log appender met: a snapshot was recorded, then a directory listing found none. */
    @Test
    public void anUpdateWithNothingFoundOnDiskKeepsTheKnownSnapshot() {
        SimpleStateMachineStorage ratis = new SimpleStateMachineStorage();
        ratis.updateLatestSnapshot(marker(1, 10));
        assertThrows(NullPointerException.class, () -> ratis.updateLatestSnapshot(null));

        SnapshotMarkerStorage storage = new SnapshotMarkerStorage();
        SingleFileSnapshotInfo first = marker(1, 10);
        assertSame(first, storage.updateLatestSnapshot(first));
        assertSame(first, storage.updateLatestSnapshot(null));
        assertSame(first, storage.getLatestSnapshot());
    }

    @Test
    public void theNewestSnapshotWins() {
        SnapshotMarkerStorage storage = new SnapshotMarkerStorage();
        SingleFileSnapshotInfo older = marker(1, 10);
        SingleFileSnapshotInfo newer = marker(2, 20);
        storage.updateLatestSnapshot(newer);
        assertSame(newer, storage.updateLatestSnapshot(older));
        assertSame(newer, storage.getLatestSnapshot());
    }

    @Test
    public void nothingRecordedAndNoDirectoryIsNoSnapshot() {
        assertSame(null, new SnapshotMarkerStorage().getLatestSnapshot());
    }
}
