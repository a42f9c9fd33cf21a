package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.log.LinkedFile;
import io.chronik.log.LogConfig;
import io.chronik.log.SegmentLog;

/**
 * Checkpointing a snapshot's partitions, one by one for few and side by side for many: every replica is
 * checkpointed at the snapshot's index and linked into the snapshot, the manifest entries keep the replicas' order and
 * leave out closed ones, and a failing checkpoint fails the snapshot.
 */
public class PartitionCheckpointsTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final List<PartitionReplica> replicas = new ArrayList<>();
    private final List<SegmentLog> logs = new ArrayList<>();

    @After
    public void closeReplicas() {
        replicas.forEach(PartitionReplica::close);
    }

    /** {@code count} replicas of topic t, partition i holding i % 5 + 1 batches. */
    private void replicas(int count) throws Exception {
        Path live = tmp.newFolder("live").toPath();
        UUID topicId = UUID.randomUUID();
        for (int i = 0; i < count; i++) {
            Path dir = live.resolve("t-" + i);
            SegmentLog log = SegmentLog.open(dir, LogConfig.defaultConfig());
            for (int b = 0; b <= i % 5; b++) {
                log.append(TestNodes.batch("p" + i + "-" + b), 1, System.currentTimeMillis());
            }
            logs.add(log);
            replicas.add(new PartitionReplica("t", i, topicId, null, log, dir)); // a checkpoint needs no group
        }
    }

    private void assertTaken(List<SnapshotManifest.Partition> taken, Path snapshot, List<Integer> partitions)
            throws IOException {
        assertEquals(partitions.size(), taken.size());
        for (int k = 0; k < taken.size(); k++) {
            SnapshotManifest.Partition p = taken.get(k);
            int i = partitions.get(k);
            assertEquals("order of the replicas", i, p.partition());
            assertEquals("t-" + i, p.dirName());
            assertEquals(i % 5 + 1, p.logEndOffset());
            assertEquals(42, logs.get(i).lastCheckpoint().appliedIndex());
            long bytes = 0;
            for (LinkedFile f : p.files()) {
                Path linked = snapshot.resolve(p.dirName()).resolve(f.name());
                assertTrue(linked + " linked", Files.exists(linked));
                bytes += f.size();
            }
            assertTrue("segment bytes of t-" + i, bytes > 0);
        }
    }

    @Test
    public void fewReplicasAreCheckpointedInOrder() throws Exception {
        replicas(PartitionCheckpoints.PARALLEL_FROM);
        Path snapshot = tmp.newFolder("snapshot").toPath();
        List<SnapshotManifest.Partition> taken = PartitionCheckpoints.take(replicas, 42, 3, snapshot, "test");
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < replicas.size(); i++) {
            all.add(i);
        }
        assertTaken(taken, snapshot, all);
    }

    @Test
    public void manyReplicasAreCheckpointedSideBySideInOrderWithoutTheClosedOnes() throws Exception {
        replicas(300);
        replicas.get(7).close();
        replicas.get(250).close();
        Path snapshot = tmp.newFolder("snapshot").toPath();
        List<SnapshotManifest.Partition> taken = PartitionCheckpoints.take(replicas, 42, 3, snapshot, "test");
        List<Integer> open = new ArrayList<>();
        for (int i = 0; i < replicas.size(); i++) {
            if (i != 7 && i != 250) {
                open.add(i);
            }
        }
        assertTaken(taken, snapshot, open);
    }

    @Test
    public void aFailedCheckpointFailsTheSnapshot() throws Exception {
        replicas(100);
        Path snapshot = tmp.newFolder("snapshot").toPath();
        Files.writeString(snapshot.resolve("t-60"), "a file where the replica's directory goes");
        try {
            PartitionCheckpoints.take(replicas, 42, 3, snapshot, "test");
            fail("the snapshot of t-60 cannot be linked");
        } catch (IOException expected) {
            assertTrue(expected.toString(), expected.toString().contains("t-60"));
        }
    }
}
