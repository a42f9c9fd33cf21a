package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
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

/** Fencing, unfencing, published ISRs and broker sessions as pure functions, without a running node. */
public class LivenessTest {
    private static final long MS = 1_000_000L;

    /** Three brokers, one topic of RF 3 in group 0, led by broker 1 with ISR [1, 2, 3]. */
    private static MetadataState threeBrokers() throws Exception {
        MetadataState s = MetadataState.EMPTY;
        for (int id = 1; id <= 3; id++) {
            s = apply(s, new MetaCommand.RegisterBroker(id, "h" + id, 9092, null, "r" + id, 5000 + id, "c"), id);
        }
        s = apply(s, new MetaCommand.CreateTopic("t", UUID.randomUUID(), 1, 3, Map.of(), 4), 4);
        return apply(s, new MetaCommand.GroupIsr(0, 1, 5, List.of(1, 2, 3)), 5);
    }

    @Test
    public void fencingRemovesTheBrokerFromIsrsLeadershipAndPlacement() throws Exception {
        MetadataState s = threeBrokers();
        s = apply(s, new MetaCommand.FenceBroker(1), 10);
        assertTrue(s.brokers.get(1).fenced());
        assertEquals(10, s.brokers.get(1).fencedAt());
        assertEquals(List.of(2, 3), s.isrs.get(0));
        assertEquals(List.of(2, 3), s.liveBrokerIds());

        // the partition as every node describes it: its leader is dead, no successor reported yet
        Infos.Partition p = ClusterMetadataImpl.partition(s, "t", 0, 0, null);
        assertEquals(-1, p.leader());
        assertEquals(List.of(1, 2, 3), p.replicas());
        assertEquals(List.of(2, 3), p.inSyncReplicas());
        assertEquals(List.of(1), p.offlineReplicas());

        // fencing twice changes nothing (the fence index stays the first one)
        assertEquals(10, apply(s, new MetaCommand.FenceBroker(1), 11).brokers.get(1).fencedAt());

        // placement avoids the fenced broker, and the replication factor counts live brokers only
        MetaCommand.Applied rf3 = new MetaCommand.CreateTopic("u", UUID.randomUUID(), 1, 3, Map.of(), 4).apply(s, 12);
        assertEquals(Reason.INVALID_REPLICATION_FACTOR, ((MetaResult.Failed) rf3.result()).error());
        s = apply(s, new MetaCommand.CreateTopic("v", UUID.randomUUID(), 3, 2, Map.of(), 8), 12);
        for (Integer g : s.topics.get("v").groups()) {
            assertFalse(s.groups.get(g).replicas().contains(1));
        }

        // a successor reports itself with a later term; the fenced broker cannot join its ISR
        s = apply(s, new MetaCommand.GroupIsr(0, 2, 6, List.of(1, 2, 3)), 13);
        p = ClusterMetadataImpl.partition(s, "t", 0, 0, null);
        assertEquals(2, p.leader());
        assertEquals(6, p.leaderEpoch());
        assertEquals(List.of(2, 3), p.inSyncReplicas());
        // a stale report of the old term changes nothing
        assertEquals(s.leaders, apply(s, new MetaCommand.GroupIsr(0, 1, 5, List.of(1)), 14).leaders);
    }

    @Test
    public void aHostingNodeDescribesTheLeaderItsReplicaKnowsWhenTheMetadataIsBehind() throws Exception {
        MetadataState s = threeBrokers(); // group 0 led by node 1 in term 5 (reported)
        // the metadata is current: the replica's view changes nothing
        Infos.Partition p = ClusterMetadataImpl.partition(s, "t", 0, 0, new Infos.LocalLeader(2, 1, 5));
        assertEquals(1, p.leader());
        assertEquals(5, p.leaderEpoch());
        // a later term than reported: the replica knows the new leader, or that there is none yet
        p = ClusterMetadataImpl.partition(s, "t", 0, 0, new Infos.LocalLeader(2, 3, 7));
        assertEquals(3, p.leader());
        assertEquals(7, p.leaderEpoch());
        p = ClusterMetadataImpl.partition(s, "t", 0, 0, new Infos.LocalLeader(2, -1, 6));
        assertEquals(-1, p.leader());
        assertEquals(6, p.leaderEpoch());
        // the reported leader itself, stepped down (cut off) in the same term: no longer named
        p = ClusterMetadataImpl.partition(s, "t", 0, 0, new Infos.LocalLeader(1, -1, 5));
        assertEquals(-1, p.leader());
        assertEquals(5, p.leaderEpoch());
        // a replica that lags behind the reported term does not override it
        p = ClusterMetadataImpl.partition(s, "t", 0, 0, new Infos.LocalLeader(3, -1, 4));
        assertEquals(1, p.leader());
        assertEquals(5, p.leaderEpoch());
    }

    @Test
    public void unfencingWaitsForTheFenceToBeApplied() throws Exception {
        MetadataState s = apply(threeBrokers(), new MetaCommand.FenceBroker(3), 20);
        // the broker restarts and re-registers: still fenced
        s = apply(s, new MetaCommand.RegisterBroker(3, "h3", 9093, null, "r3", 5003, "other"), 21);
        assertTrue(s.brokers.get(3).fenced());
        assertEquals(9093, s.brokers.get(3).port());
        // it has not applied the entry that fenced it yet
        assertTrue(apply(s, new MetaCommand.UnfenceBroker(3, 19), 22).brokers.get(3).fenced());
        s = apply(s, new MetaCommand.UnfenceBroker(3, 20), 22);
        assertFalse(s.brokers.get(3).fenced());
        assertEquals(List.of(1, 2), s.isrs.get(0)); // back in the ISR once the leader publishes it again
        s = apply(s, new MetaCommand.GroupIsr(0, 1, 5, List.of(3, 2, 1)), 23);
        assertEquals(List.of(1, 2, 3), s.isrs.get(0)); // replica order
    }

    @Test
    public void commandsAndTheSnapshotKeepFencingAndIsrs() throws Exception {
        MetadataState s = apply(threeBrokers(), new MetaCommand.FenceBroker(2), 30);
        for (MetaCommand c : List.of(new MetaCommand.FenceBroker(2), new MetaCommand.UnfenceBroker(2, 7L),
                new MetaCommand.GroupIsr(4, 1, 9, List.of(1, 3)))) {
            assertEquals(c, MetaCommand.decode(c.encode()));
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        MetadataSnapshotCodec.write(s, new DataOutputStream(bytes));
        MetadataState read = MetadataSnapshotCodec.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(s.brokers, read.brokers);
        assertEquals(s.isrs, read.isrs);
        assertEquals(s.leaders, read.leaders);
    }

    @Test
    public void formatOneSnapshotsAreStillRead() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(1);
        Codec.writeNullableString(out, "c");
        out.writeInt(1); // brokers
        out.writeInt(7);
        out.writeUTF("h");
        out.writeInt(9092);
        Codec.writeNullableString(out, null);
        out.writeUTF("r");
        out.writeInt(5001);
        out.writeInt(0); // topics
        out.writeInt(0); // groups
        out.writeInt(3); // next group
        out.writeLong(1000); // next producer id
        out.writeInt(0); // deleted topics
        out.writeInt(0); // leaders
        out.flush();
        MetadataState read = MetadataSnapshotCodec.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(new MetadataState.Broker(7, "h", 9092, null, "r", 5001), read.brokers.get(7));
        assertFalse(read.brokers.get(7).fenced());
        assertEquals(3, read.nextGroupNo);
        assertTrue(read.isrs.isEmpty());
    }

    @Test
    public void sessionsFenceAfterTheTimeoutAndGrantANewLeaderAFullSession() throws Exception {
        MetadataState s = threeBrokers();
        BrokerSessions sessions = new BrokerSessions(1000);
        assertEquals(List.of(), sessions.due(s, 1, 0)); // not leading: nothing
        sessions.leading(3, 0);
        sessions.heartbeat(2, 5, 500 * MS);
        sessions.heartbeat(3, 5, 500 * MS);
        assertEquals(List.of(), sessions.due(s, 1, 1000 * MS));
        sessions.heartbeat(2, 6, 1200 * MS);
        // 3 stopped at 500 ms; the leader (1) never fences itself
        assertEquals(List.of(new MetaCommand.FenceBroker(3)), sessions.due(s, 1, 1600 * MS));

        // a new term: heartbeats are forgotten, every session counts from the takeover
        sessions.leading(4, 5000 * MS);
        assertEquals(List.of(), sessions.due(s, 1, 5900 * MS));
        sessions.heartbeat(2, 7, 5950 * MS);
        assertEquals(List.of(new MetaCommand.FenceBroker(3)), sessions.due(s, 1, 6100 * MS));

        // fenced at index 40: unfenced only after a recent heartbeat that covers it
        s = apply(s, new MetaCommand.FenceBroker(3), 40);
        sessions.heartbeat(3, 39, 6200 * MS);
        assertEquals(List.of(), sessions.due(s, 1, 6300 * MS));
        sessions.receive(new DataInputStream(new ByteArrayInputStream(BrokerSessions.encodeHeartbeat(3, 41))), 6400 * MS);
        assertEquals(List.of(new MetaCommand.UnfenceBroker(3, 41)), sessions.due(s, 1, 6500 * MS));
        assertEquals(List.of(new MetaCommand.FenceBroker(2)), sessions.due(apply(s, new MetaCommand.UnfenceBroker(3, 41), 41),
                1, 7400 * MS));
        sessions.following();
        assertEquals(List.of(), sessions.due(s, 1, 9000 * MS));
    }

    @Test
    public void followersAreInSyncIfTheyReachTheCommitIndexOfOneLagLimitAgo() {
        Liveness.CommitHistory h = new Liveness.CommitHistory();
        long lag = 1000 * MS;
        assertEquals(-1, h.sample(1, 0, 10, lag)); // a new leader: no history, every responsive follower counts
        assertEquals(-1, h.sample(1, 500 * MS, 20, lag));
        assertEquals(10, h.sample(1, 1000 * MS, 30, lag));
        assertEquals(20, h.sample(1, 1600 * MS, 40, lag));
        assertEquals(30, h.sample(1, 2100 * MS, 50, lag));
        assertEquals(-1, h.sample(2, 2200 * MS, 60, lag)); // a new term starts over
    }

    private static MetadataState apply(MetadataState s, MetaCommand c, long index) throws Exception {
        MetaCommand.Applied a = MetaCommand.decode(c.encode()).apply(s, index);
        assertTrue(a.result() instanceof MetaResult.Ok);
        return a.state();
    }
}
