package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.Test;

import io.chronik.api.consensus.ConsensusException.Reason;
import io.chronik.api.net.HostPort;

/** Encodings, placement and Ratis settings, without a running node. */
public class UnitsTest {

    @Test
    public void dataEntryRoundTrip() throws Exception {
        UUID topicId = UUID.randomUUID();
        ByteString p1 = ByteString.copyFrom("first payload", StandardCharsets.UTF_8);
        List<DataEntry.Op> ops = List.of(
                new DataEntry.Op(DataEntry.APPEND, 7L, 1L, topicId, "t", 0, 1234L, p1),
                new DataEntry.Op(DataEntry.DELETE_RECORDS, 7L, 2L, topicId, "t", 1, 42L, ByteString.EMPTY),
                new DataEntry.Op(DataEntry.APPEND, 7L, 3L, topicId, "tópico", 2, 99L, ByteString.copyFromUtf8("x")));
        List<DataEntry.Op> decoded = DataEntry.decode(DataEntry.encode(ops));
        assertEquals(ops, decoded);
        ByteBuffer b = decoded.get(0).payloadBuffer();
        assertEquals("first payload", StandardCharsets.UTF_8.decode(b).toString());
        try {
            DataEntry.decode(ByteString.copyFrom(new byte[] {0, 0, 0, 99, 0, 0, 0, 1}));
            fail();
        } catch (java.io.IOException expected) {
            assertTrue(expected.getMessage().contains("header length"));
        }
    }

    @Test
    public void metadataCommandsAndSnapshotRoundTrip() throws Exception {
        MetadataState s = MetadataState.EMPTY;
        s = apply(s, new MetaCommand.RegisterBroker(1, "h1", 9092, null, "r1", 5001, "cluster-a"));
        s = apply(s, new MetaCommand.RegisterBroker(2, "h2", 9092, "rack2", "r2", 5002, "cluster-b"));
        assertEquals("cluster-a", s.clusterId);
        s = apply(s, new MetaCommand.CreateTopic("a", UUID.randomUUID(), 3, 2, Map.of("retention.ms", "1"), 4));
        s = apply(s, new MetaCommand.CreateTopic("b", UUID.randomUUID(), 3, 2, Map.of(), 4));
        // budget 4: 4 groups, then the least loaded group with the same replication factor
        assertEquals(4, s.groups.size());
        assertEquals(List.of(0, 1, 2), s.topics.get("a").groups());
        assertEquals(3, s.topics.get("b").groups().get(0).intValue());
        assertEquals(2, s.groups.get(0).replicas().size());
        MetaCommand.Applied dup = new MetaCommand.CreateTopic("a", UUID.randomUUID(), 1, 1, Map.of(), 4).apply(s);
        assertEquals(Reason.TOPIC_EXISTS, ((MetaResult.Failed) dup.result()).error());
        MetaCommand.Applied rf = new MetaCommand.CreateTopic("c", UUID.randomUUID(), 1, 3, Map.of(), 4).apply(s);
        assertEquals(Reason.INVALID_REPLICATION_FACTOR, ((MetaResult.Failed) rf.result()).error());
        MetaCommand.Applied pids = new MetaCommand.AllocateProducerIds(1, 1000).apply(s);
        assertEquals(0, pids.result().orThrow().value());
        s = pids.state();
        assertEquals(1000, new MetaCommand.AllocateProducerIds(2, 1000).apply(s).result().orThrow().value());
        s = apply(s, new MetaCommand.GroupLeader(1, 2, 5));
        assertEquals(new MetadataState.Leader(2, 5), s.leaders.get(1));
        s = apply(s, new MetaCommand.GroupLeader(1, 1, 4)); // stale term: ignored
        assertEquals(new MetadataState.Leader(2, 5), s.leaders.get(1));
        UUID aId = s.topics.get("a").id();
        s = apply(s, new MetaCommand.DeleteTopic("a"));
        assertTrue(s.deletedTopics.contains(aId));

        // commands and the state survive their encodings
        MetaCommand cmd = new MetaCommand.AlterConfigs("b", Map.of("segment.bytes", "100000"), java.util.Set.of("retention.ms"));
        assertEquals(cmd, MetaCommand.decode(cmd.encode()));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        MetadataSnapshotCodec.write(s, new DataOutputStream(bytes));
        MetadataState read = MetadataSnapshotCodec.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(s.clusterId, read.clusterId);
        assertEquals(s.brokers, read.brokers);
        assertEquals(s.topics, read.topics);
        assertEquals(s.groups, read.groups);
        assertEquals(s.nextProducerId, read.nextProducerId);
        assertEquals(s.deletedTopics, read.deletedTopics);
        assertEquals(s.leaders, read.leaders);
        MetaResult r = MetaResult.fail(Reason.UNKNOWN_TOPIC, "gone");
        assertEquals(r, MetaResult.decode(new DataInputStream(new ByteArrayInputStream(r.encode()))));
        MetaResult ok = MetaResult.ok(42);
        assertEquals(ok, MetaResult.decode(new DataInputStream(new ByteArrayInputStream(ok.encode()))));
    }

    private static MetadataState apply(MetadataState s, MetaCommand c) throws Exception {
        MetaCommand.Applied a = MetaCommand.decode(c.encode()).apply(s);
        assertTrue(a.result() instanceof MetaResult.Ok);
        return a.state();
    }

    @Test
    public void flushPolicyAndRatisSettings() {
        NodeSettings raft = NodeSettings.singleNode(1, 5001, Path.of("/data/x"), FlushPolicy.RAFT);
        RaftProperties p = RatisSetup.properties(raft);
        assertFalse(RaftServerConfigKeys.Log.unsafeFlushEnabled(p));
        assertFalse(RaftServerConfigKeys.Log.asyncFlushEnabled(p));
        assertEquals(List.of(Path.of("/data/x/raft").toFile()), RaftServerConfigKeys.storageDir(p));
        assertTrue(RaftServerConfigKeys.Log.writeBufferSize(p).getSize()
                >= RaftServerConfigKeys.Log.Appender.bufferByteLimit(p).getSize() + 8);
        assertTrue(RaftServerConfigKeys.Snapshot.autoTriggerEnabled(p));
        assertTrue(RaftServerConfigKeys.Rpc.timeoutMin(p).toLong(java.util.concurrent.TimeUnit.MILLISECONDS) > 300);

        RaftProperties os = RatisSetup.properties(NodeSettings.singleNode(1, 5001, Path.of("/d"), FlushPolicy.OS));
        assertTrue(RaftServerConfigKeys.Log.unsafeFlushEnabled(os));
        assertEquals(FlushPolicy.OS, FlushPolicy.parse(" os "));
        try {
            FlushPolicy.parse("never");
            fail();
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("flush.policy"));
        }
    }

    @Test
    public void settingsParsing() {
        HostPort self = NodeSettings.address("127.0.0.1:5001", "raft.addr");
        assertEquals(Map.of(1, self), NodeSettings.parsePeers("", 1, self));
        Map<Integer, HostPort> peers = NodeSettings.parsePeers("1@a:1, 2@b:2,3@[::1]:3", 1, self);
        assertEquals(new HostPort("::1", 3), peers.get(3));
        assertEquals("[::1]:3", peers.get(3).toString());
        try {
            NodeSettings.parsePeers("1@a:1,2@::1:2", 1, self);
            fail();
        } catch (IllegalArgumentException expected) {
            assertEquals("peers entry '2@::1:2': '::1:2' is not host:port: write an IPv6 address in brackets, as "
                    + "[address]:port", expected.getMessage());
        }
        for (String bad : new String[] {"x@a:1", "1@a", "1@a:1,1@b:2", "a:1", "1@a:0", "1@:1"}) {
            try {
                NodeSettings.parsePeers(bad, 1, self);
                fail(bad);
            } catch (IllegalArgumentException expected) {
                // ok
            }
        }
        assertEquals(22, Ids.kafkaUuid(UUID.randomUUID()).length());
        assertEquals(7, Ids.nodeId(Ids.peerId(7)));
        assertFalse(Ids.dataGroup(1).equals(Ids.dataGroup(2)));
        assertEquals(Ids.dataGroup(3), Ids.dataGroup(3));
    }

    @Test
    public void automaticDivisionBudgetFollowsNodesAndProcessors() {
        assertEquals(64, NodeSettings.divisionBudget(64, 3, 2)); // configured wins
        assertEquals(1, NodeSettings.divisionBudget(0, 1, 2)); // one node, two cores: one pipeline
        assertEquals(1, NodeSettings.divisionBudget(0, 1, 1));
        assertEquals(3, NodeSettings.divisionBudget(0, 3, 2)); // a group per node: leadership still spreads
        assertEquals(24, NodeSettings.divisionBudget(0, 3, 16));
    }
}
