package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.Test;

import io.chronik.api.consensus.ConsensusException.Reason;

/** The metadata side of partition moves: start, replace, cancel, complete, epoch bases, group retirement, snapshots. */
public class PartitionMovesTest {
    private static final int BUDGET = 100;

    private static MetadataState cluster() throws Exception {
        MetadataState s = MetadataState.EMPTY;
        for (int id = 1; id <= 4; id++) {
            s = apply(s, new MetaCommand.RegisterBroker(id, "h" + id, 9092, null, "r" + id, 5001, "c"), 1);
        }
        return apply(s, new MetaCommand.CreateTopic("t", UUID.randomUUID(), 0, 0, Map.of(), BUDGET, true,
                List.of(List.of(1, 2, 3), List.of(2, 3, 1))), 2);
    }

    /** Applies {@code c} (after an encode/decode round trip) as the entry at {@code index}; it must succeed. */
    private static MetadataState apply(MetadataState s, MetaCommand c, long index) throws Exception {
        MetaCommand.Applied a = MetaCommand.decode(c.encode()).apply(s, index);
        a.result().orThrow();
        return a.state();
    }

    private static Reason refusal(MetadataState s, MetaCommand c, long index) throws Exception {
        MetaResult r = MetaCommand.decode(c.encode()).apply(s, index).result();
        assertTrue("expected a refusal, got " + r, r instanceof MetaResult.Failed);
        return ((MetaResult.Failed) r).error();
    }

    private static List<Integer> replicas(MetadataState s, int partition) {
        return s.groups.get(s.topics.get("t").groups().get(partition)).replicas();
    }

    @Test
    public void aMoveIsPendingUntilCompletedThenThePartitionBelongsToTheTargetGroup() throws Exception {
        MetadataState s = cluster();
        int source = s.topics.get("t").groups().get(0);
        s = apply(s, new ReassignPartition("t", 0, List.of(4, 2, 3), BUDGET), 10);
        PartitionMoves.Pending m = s.moves.pending("t", 0);
        assertEquals(10, m.id());
        assertEquals(source, m.sourceGroup());
        assertEquals(List.of(4, 2, 3), s.groups.get(m.targetGroup()).replicas());
        assertEquals("still served by the source until the switch", List.of(1, 2, 3), replicas(s, 0));

        assertEquals(Reason.NO_REASSIGNMENT_IN_PROGRESS, refusal(s, new CompleteReassignment("t", 0, 9, 5), 11));
        s = apply(s, new CompleteReassignment("t", 0, 10, 5), 11);
        assertEquals(List.of(4, 2, 3), replicas(s, 0));
        assertNull(s.moves.pending("t", 0));
        assertEquals(5, s.moves.epochBase("t", 0));
        assertEquals(0, s.moves.epochBase("t", 1));
        assertFalse("the source group is retired", s.groups.containsKey(source));
        assertTrue(source < s.nextGroupNo);
    }

    @Test
    public void aNewMoveReplacesOneInProgressAndACancelRetiresTheUnusedTarget() throws Exception {
        MetadataState s = cluster();
        s = apply(s, new ReassignPartition("t", 0, List.of(4, 2, 3), BUDGET), 10);
        int first = s.moves.pending("t", 0).targetGroup();
        s = apply(s, new ReassignPartition("t", 0, List.of(1, 4, 3), BUDGET), 11);
        assertEquals(11, s.moves.pending("t", 0).id());
        assertFalse("the replaced move's group is retired", s.groups.containsKey(first));
        int second = s.moves.pending("t", 0).targetGroup();
        s = apply(s, new ReassignPartition("t", 0, List.of(), BUDGET), 12);
        assertNull(s.moves.pending("t", 0));
        assertFalse(s.groups.containsKey(second));
        assertEquals(List.of(1, 2, 3), replicas(s, 0));
        assertEquals(Reason.NO_REASSIGNMENT_IN_PROGRESS, refusal(s, new ReassignPartition("t", 0, List.of(), BUDGET), 13));
        // the current replica list: nothing to do
        MetadataState same = apply(s, new ReassignPartition("t", 0, List.of(1, 2, 3), BUDGET), 14);
        assertTrue(same.moves.pending().isEmpty());
        assertEquals(s.groups.keySet(), same.groups.keySet());
    }

    @Test
    public void badReassignmentsAreRefused() throws Exception {
        MetadataState s = cluster();
        assertEquals(Reason.UNKNOWN_TOPIC, refusal(s, new ReassignPartition("x", 0, List.of(1), BUDGET), 10));
        assertEquals(Reason.UNKNOWN_PARTITION, refusal(s, new ReassignPartition("t", 2, List.of(1), BUDGET), 10));
        assertEquals(Reason.INVALID_REPLICA_ASSIGNMENT, refusal(s, new ReassignPartition("t", 0, List.of(1, 1), BUDGET), 10));
        assertEquals(Reason.INVALID_REPLICA_ASSIGNMENT, refusal(s, new ReassignPartition("t", 0, List.of(1, 7), BUDGET), 10));
        MetadataState fenced = new MetaCommand.FenceBroker(4).apply(s, 10).state();
        assertEquals(Reason.INVALID_REPLICA_ASSIGNMENT, refusal(fenced, new ReassignPartition("t", 0, List.of(4, 2, 3), BUDGET), 11));
    }

    @Test
    public void deletingTheTopicDropsItsMovesAndEpochBases() throws Exception {
        MetadataState s = cluster();
        s = apply(s, new ReassignPartition("t", 0, List.of(4, 2, 3), BUDGET), 10);
        s = apply(s, new CompleteReassignment("t", 0, 10, 3), 11);
        s = apply(s, new ReassignPartition("t", 1, List.of(4, 1, 2), BUDGET), 12);
        int target = s.moves.pending("t", 1).targetGroup();
        s = apply(s, new MetaCommand.DeleteTopic("t"), 13);
        assertTrue(s.moves.pending().isEmpty());
        assertTrue(s.moves.epochBases().isEmpty());
        assertFalse(s.groups.containsKey(target));
    }

    @Test
    public void snapshotsKeepTheMoves() throws Exception {
        MetadataState s = cluster();
        s = apply(s, new ReassignPartition("t", 0, List.of(4, 2, 3), BUDGET), 10);
        s = apply(s, new CompleteReassignment("t", 0, 10, 7), 11);
        s = apply(s, new ReassignPartition("t", 1, List.of(4, 1, 2), BUDGET), 12);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        MetadataSnapshotCodec.write(s, new DataOutputStream(bytes));
        MetadataState read = MetadataSnapshotCodec.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(s.moves, read.moves);
        assertEquals(s.groups, read.groups);
        assertEquals(s.topics.get("t").groups(), read.topics.get("t").groups());
    }
}
