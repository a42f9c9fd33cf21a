package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.consensus.BrokerInfo;
import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;
import io.chronik.api.consensus.PartitionLog;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.log.AppendInfo;

/** The real provider classes on one node, with the gRPC transport on a loopback port. */
public class SingleNodeIT {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Path dir;
    private int port;
    private ChronikNode node;

    @Before
    public void startNode() throws Exception {
        dir = tmp.newFolder("node1").toPath();
        port = TestNodes.freePort();
        node = TestNodes.start(TestNodes.single(dir, port));
    }

    @After
    public void stopNode() {
        if (node != null) {
            node.stop();
        }
    }

    private static <T> T get(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static Reason reasonOf(CompletionStage<?> stage) throws Exception {
        try {
            stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ConsensusException c) {
                return c.reason();
            }
            throw e;
        }
        throw new AssertionError("expected a failure");
    }

    @Test
    public void metadataTopicsAndBrokers() throws Exception {
        ClusterMetadataImpl md = node.metadata();
        assertEquals(1, md.localNodeId());
        assertEquals(1, md.controllerId());
        assertEquals(22, md.clusterId().length());
        assertTrue(md.clusterId().matches("[A-Za-z0-9_-]{22}"));
        BrokerInfo broker = md.brokers().iterator().next();
        assertEquals(1, broker.nodeId());
        assertEquals("localhost", broker.host());
        assertEquals(9092, broker.port());

        List<String> notified = new ArrayList<>();
        md.addListener(m -> notified.add("changed"));
        TopicInfo t = get(md.createTopic("orders", 3, 1, Map.of("retention.ms", "3600000")));
        assertEquals("orders", t.name());
        assertEquals(3, t.partitions().size());
        assertEquals(Map.of("retention.ms", "3600000"), t.configs());
        for (int p = 0; p < 3; p++) {
            assertEquals(List.of(1), t.partitions().get(p).replicas());
            assertTrue(node.replicas().log("orders", p).isPresent());
        }
        assertEquals(t.id(), md.topic("orders").get().id());
        assertEquals("604800000", md.topicConfigDefaults().get("retention.ms"));

        assertEquals(Reason.TOPIC_EXISTS, reasonOf(md.createTopic("orders", 1, 1, Map.of())));
        assertEquals(Reason.INVALID_TOPIC, reasonOf(md.createTopic("bad/name", 1, 1, Map.of())));
        assertEquals(Reason.INVALID_TOPIC, reasonOf(md.createTopic("..", 1, 1, Map.of())));
        assertEquals(Reason.INVALID_TOPIC, reasonOf(md.createTopic("x".repeat(250), 1, 1, Map.of())));
        assertEquals(Reason.INVALID_CONFIG, reasonOf(md.createTopic("t2", 1, 1, Map.of("no.such.config", "1"))));
        assertEquals(Reason.INVALID_CONFIG, reasonOf(md.createTopic("t2", 1, 1, Map.of("retention.ms", "abc"))));
        assertEquals(Reason.INVALID_REPLICATION_FACTOR, reasonOf(md.createTopic("t2", 1, 3, Map.of())));
        assertEquals(Reason.INVALID_PARTITIONS, reasonOf(md.createTopic("t2", 0, 1, Map.of())));
        try {
            md.validateTopic("orders", 1, 1, Map.of());
            fail();
        } catch (ConsensusException e) {
            assertEquals(Reason.TOPIC_EXISTS, e.reason());
        }
        md.validateTopic("fine.name_1-x", 2, 1, Map.of("cleanup.policy", "delete"));
        assertFalse(md.topic("fine.name_1-x").isPresent());

        TopicInfo altered = get(md.alterTopicConfigs("orders", Map.of("segment.bytes", "1048576"), Set.of("retention.ms")));
        assertEquals(Map.of("segment.bytes", "1048576"), altered.configs());

        TopicInfo grown = get(md.createPartitions("orders", 5));
        assertEquals(5, grown.partitions().size());
        assertTrue(node.replicas().log("orders", 4).isPresent());
        assertEquals(Reason.INVALID_PARTITIONS, reasonOf(md.createPartitions("orders", 2)));

        TopicInfo defaults = get(md.createTopic("defaulted", -1, -1, Map.of()));
        assertEquals(1, defaults.partitions().size());

        Path logDir = dir.resolve("logs").resolve("orders-0");
        assertTrue(Files.isDirectory(logDir));
        get(md.deleteTopic("orders"));
        assertFalse(md.topic("orders").isPresent());
        assertFalse(node.replicas().log("orders", 0).isPresent());
        assertFalse(Files.exists(logDir));
        assertEquals(Reason.UNKNOWN_TOPIC, reasonOf(md.deleteTopic("orders")));
        assertFalse(notified.isEmpty());
    }

    @Test
    public void appendReadAndOffsets() throws Exception {
        TopicInfo created = get(node.metadata().createTopic("events", 2, 1, Map.of()));
        // createTopic waits (briefly) for the new groups' leaders, so the topic is usable at once
        assertEquals(1, created.partitions().get(0).leader());
        assertEquals(List.of(1), created.partitions().get(0).inSyncReplicas());
        PartitionLog log = TestNodes.awaitLeader(node, "events", 0);
        assertTrue(log.isLeader());
        assertTrue(log.leaderEpoch() >= 1);
        assertEquals(log.leaderEpoch(), node.metadata().topic("events").get().partitions().get(0).leaderEpoch());

        PartitionLog.AppendResult r1 = get(log.append(TestNodes.batch("a", "b", "c")));
        assertEquals(0, r1.baseOffset());
        PartitionLog.AppendResult r2 = get(log.append(TestNodes.batch("d")));
        assertEquals(3, r2.baseOffset());
        assertEquals(4, log.highWatermark());
        assertEquals(0, log.logStartOffset());
        assertEquals(List.of("0:a", "1:b", "2:c", "3:d"), TestNodes.readAll(log, 0));
        assertEquals(List.of("3:d"), TestNodes.readAll(log, 3));
        assertEquals(0, log.read(4, 1000).remaining());
        try {
            log.read(5, 1000);
            fail();
        } catch (ConsensusException e) {
            assertEquals(Reason.OFFSET_OUT_OF_RANGE, e.reason());
        }
        assertEquals(4, log.offsetForTimestamp(-1).offset());
        assertEquals(0, log.offsetForTimestamp(-2).offset());
        get(log.readBarrier());

        // long poll
        CompletableFuture<Void> waiting = log.awaitBeyond(4).toCompletableFuture();
        assertFalse(waiting.isDone());
        get(log.append(TestNodes.batch("e")));
        waiting.get(10, TimeUnit.SECONDS);
        assertTrue(log.awaitBeyond(0).toCompletableFuture().isDone());

        // a corrupt batch fails alone
        ByteBuffer corrupt = TestNodes.batch("x");
        corrupt.put(corrupt.limit() - 1, (byte) (corrupt.get(corrupt.limit() - 1) ^ 0x5a));
        assertEquals(Reason.CORRUPT_RECORD, reasonOf(log.append(corrupt)));

        // idempotent retry: answered with the original offsets
        ByteBuffer idem = TestNodes.idempotentBatch(42L, (short) 0, 0, "p1", "p2");
        AppendInfo first = (AppendInfo) get(log.append(idem.duplicate()));
        AppendInfo again = (AppendInfo) get(log.append(idem.duplicate()));
        assertEquals(first.baseOffset(), again.baseOffset());
        assertTrue(again.duplicate());
        assertEquals(7, log.highWatermark());

        // the other partition is independent
        PartitionLog other = TestNodes.awaitLeader(node, "events", 1);
        assertEquals(0, get(other.append(TestNodes.batch("z"))).baseOffset());
    }

    @Test
    public void deleteRecordsBefore() throws Exception {
        get(node.metadata().createTopic("trim", 1, 1, Map.of()));
        PartitionLog log = TestNodes.awaitLeader(node, "trim", 0);
        for (int i = 0; i < 5; i++) {
            get(log.append(TestNodes.batch("v" + i)));
        }
        assertEquals(3L, (long) get(log.deleteRecordsBefore(3)));
        assertEquals(3, log.logStartOffset());
        assertEquals(List.of("3:v3", "4:v4"), TestNodes.readAll(log, 3));
        try {
            log.read(1, 1000);
            fail();
        } catch (ConsensusException e) {
            assertEquals(Reason.OFFSET_OUT_OF_RANGE, e.reason());
        }
        assertEquals(Reason.OFFSET_OUT_OF_RANGE, reasonOf(log.deleteRecordsBefore(99)));
    }

    @Test
    public void crashRestartReplaysOnlyTheTailOfTheRaftLog() throws Exception {
        node.stop();
        NodeSettings settings = TestNodes.single(dir, port);
        node = new ChronikNode(settings, new io.chronik.transport.grpc.internal.GrpcRaftTransport());
        node.snapshotOnStop = false; // like kill -9: no checkpoint at shutdown
        node.start();
        node.ready().get(60, TimeUnit.SECONDS);
        get(node.metadata().createTopic("crashy", 1, 1, Map.of()));
        PartitionLog log = TestNodes.awaitLeader(node, "crashy", 0);
        for (int i = 0; i < 10; i++) {
            assertEquals(i, get(log.append(TestNodes.batch("c" + i))).baseOffset());
        }
        // a snapshot = checkpoint of the partition logs at the last applied index
        DataStateMachine before = node.replicas().replica("crashy", 0).group().machine();
        long snapshotIndex = before.takeSnapshot();
        assertTrue(snapshotIndex > 0);
        for (int i = 10; i < 23; i++) {
            assertEquals(i, get(log.append(TestNodes.batch("c" + i))).baseOffset());
        }
        node.stop();

        node = TestNodes.start(settings);
        PartitionLog again = TestNodes.awaitLeader(node, "crashy", 0);
        DataStateMachine machine = node.replicas().replica("crashy", 0).group().machine();
        assertEquals(snapshotIndex, machine.getLatestSnapshot().getIndex());
        // the log was truncated to its checkpoint; only the 13 entries after it were applied again
        assertEquals(13, machine.appliedOps.get());
        assertEquals(0, machine.skippedOps.get());
        assertEquals(23, again.highWatermark());
        List<String> all = TestNodes.readAll(again, 0);
        assertEquals(23, all.size());
        for (int i = 0; i < 23; i++) {
            assertEquals(i + ":c" + i, all.get(i));
        }
        assertEquals(23, get(again.append(TestNodes.batch("next"))).baseOffset());
    }

    @Test
    public void entriesAlreadyInACheckpointAreNotAppliedAgain() throws Exception {
        node.stop();
        NodeSettings settings = TestNodes.single(dir, port);
        node = new ChronikNode(settings, new io.chronik.transport.grpc.internal.GrpcRaftTransport());
        node.snapshotOnStop = false;
        node.start();
        node.ready().get(60, TimeUnit.SECONDS);
        get(node.metadata().createTopic("ahead", 1, 1, Map.of()));
        PartitionLog log = TestNodes.awaitLeader(node, "ahead", 0);
        for (int i = 0; i < 10; i++) {
            get(log.append(TestNodes.batch("a" + i)));
        }
        // the partition log is checkpointed but the group's snapshot marker is not written (a crash in between)
        PartitionReplica replica = node.replicas().replica("ahead", 0);
        long applied = replica.group().lastAppliedIndex();
        replica.checkpoint(applied, replica.leaderEpoch());
        for (int i = 10; i < 15; i++) {
            get(log.append(TestNodes.batch("a" + i)));
        }
        node.stop();

        node = TestNodes.start(settings);
        PartitionLog again = TestNodes.awaitLeader(node, "ahead", 0);
        DataStateMachine machine = node.replicas().replica("ahead", 0).group().machine();
        assertEquals(10, machine.skippedOps.get());
        assertEquals(5, machine.appliedOps.get());
        List<String> all = TestNodes.readAll(again, 0);
        assertEquals(15, all.size());
        assertEquals("14:a14", all.get(14));
    }

    @Test
    public void retentionRunsLocally() throws Exception {
        get(node.metadata().createTopic("short", 1, 1, Map.of("segment.bytes", "100", "retention.ms", "1")));
        PartitionLog log = TestNodes.awaitLeader(node, "short", 0);
        for (int i = 0; i < 10; i++) {
            get(log.append(TestNodes.batch("old-" + i)));
        }
        Thread.sleep(20);
        node.replicas().applyRetention();
        assertTrue("retention did not advance the log start: " + log.logStartOffset(), log.logStartOffset() > 0);
        assertEquals(10, log.highWatermark());
        assertEquals(10, get(log.append(TestNodes.batch("new"))).baseOffset());
    }

    @Test
    public void concurrentAppendsShareEntries() throws Exception {
        get(node.metadata().createTopic("busy", 1, 1, Map.of()));
        PartitionLog log = TestNodes.awaitLeader(node, "busy", 0);
        GroupAppender appender = node.replicas().replica("busy", 0).group().appender();
        long entriesBefore = appender.entries.get();
        long requestsBefore = appender.requests.get();
        int n = 500;
        List<CompletableFuture<PartitionLog.AppendResult>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(log.append(TestNodes.batch("m" + i)).toCompletableFuture());
        }
        Set<Long> offsets = new HashSet<>();
        for (CompletableFuture<PartitionLog.AppendResult> f : futures) {
            offsets.add(f.get(30, TimeUnit.SECONDS).baseOffset());
        }
        assertEquals(n, offsets.size());
        assertEquals(n, log.highWatermark());
        long entries = appender.entries.get() - entriesBefore;
        long requests = appender.requests.get() - requestsBefore;
        assertEquals(n, requests);
        assertTrue("expected batching, got " + entries + " entries for " + n + " requests", entries < n / 2);
        // order of the log = order of submission
        List<String> all = TestNodes.readAll(log, 0);
        for (int i = 0; i < n; i++) {
            assertEquals(i + ":m" + i, all.get(i));
        }
    }

    @Test
    public void sharedGroupsBeyondTheDivisionBudget() throws Exception {
        node.stop();
        node = null;
        Path d = tmp.newFolder("budget").toPath();
        node = TestNodes.start(TestNodes.single(d, TestNodes.freePort()).withDivisionBudget(2));
        get(node.metadata().createTopic("wide", 5, 1, Map.of()));
        Set<Integer> groups = new HashSet<>();
        for (MetadataState.Topic t : node.metadataState().topics.values()) {
            groups.addAll(t.groups());
        }
        assertEquals(2, groups.size());
        for (int p = 0; p < 5; p++) {
            PartitionLog log = TestNodes.awaitLeader(node, "wide", p);
            assertEquals(0, get(log.append(TestNodes.batch("w" + p))).baseOffset());
        }
        for (int p = 0; p < 5; p++) {
            assertEquals(List.of("0:w" + p), TestNodes.readAll(node.replicas().log("wide", p).get(), 0));
        }

        // one produce request over all five partitions: one Raft entry per data group, not one per partition
        Map<GroupAppender, Long> entriesBefore = new java.util.HashMap<>();
        List<PartitionLog> logs = new java.util.ArrayList<>();
        List<java.nio.ByteBuffer> batches = new java.util.ArrayList<>();
        for (int p = 0; p < 5; p++) {
            PartitionReplica r = node.replicas().replica("wide", p);
            entriesBefore.putIfAbsent(r.group().appender(), r.group().appender().entries.get());
            logs.add(r);
            batches.add(TestNodes.batch("x" + p));
        }
        var results = node.replicas().appendAll(logs, batches);
        for (int p = 0; p < 5; p++) {
            assertEquals(1, get(results.get(p)).baseOffset());
            assertEquals("1:x" + p, TestNodes.readAll(node.replicas().log("wide", p).get(), 1).get(0));
        }
        assertEquals(2, entriesBefore.size());
        entriesBefore.forEach((appender, before) -> assertEquals(before + 1, appender.entries.get()));
    }

    @Test
    public void restartResumesFromCheckpointsAndProducerIdsStayUnique() throws Exception {
        get(node.metadata().createTopic("durable", 1, 1, Map.of()));
        PartitionLog log = TestNodes.awaitLeader(node, "durable", 0);
        for (int i = 0; i < 20; i++) {
            get(log.append(TestNodes.batch("r" + i, "s" + i)));
        }
        Set<Long> pids = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            pids.add(get(node.metadata().allocateProducerId()));
        }
        String clusterId = node.metadata().clusterId();
        int groupNo = node.replicas().replica("durable", 0).group().groupNo();
        long appliedBefore = node.groups().get(groupNo).lastAppliedIndex();
        node.stop();

        node = TestNodes.start(TestNodes.single(dir, port));
        assertEquals(clusterId, node.metadata().clusterId());
        PartitionLog again = TestNodes.awaitLeader(node, "durable", 0);
        assertEquals(40, again.highWatermark());
        DataStateMachine machine = node.replicas().replica("durable", 0).group().machine();
        // resumed from the checkpoint taken at shutdown: nothing of the old log was applied again
        assertTrue(machine.getLatestSnapshot().getIndex() >= appliedBefore);
        assertEquals(0, machine.appliedOps.get());
        assertEquals(40, get(again.append(TestNodes.batch("after"))).baseOffset());
        List<String> all = TestNodes.readAll(again, 0);
        assertEquals(41, all.size());
        assertEquals("0:r0", all.get(0));
        assertEquals("40:after", all.get(40));
        for (int i = 0; i < 5; i++) {
            assertTrue("producer id reused", pids.add(get(node.metadata().allocateProducerId())));
        }
    }
}
