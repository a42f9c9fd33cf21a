package io.chronik.protocol.kafka.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.AlterPartitionReassignmentsOptions;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.PartitionReassignment;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.NoReassignmentInProgressException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * AlterPartitionReassignments, ListPartitionReassignments and the replication throttles of
 * {@code kafka-reassign-partitions}, through the real Java Admin client against the in-memory cluster: node 1 serves,
 * node 2 is registered (a reassignment target), node 3 is registered but fenced.
 */
public class PartitionReassignmentIT {
    private static InMemoryCluster cluster;
    private static KafkaServer server;
    private static Admin admin;

    @BeforeClass
    public static void start() throws Exception {
        cluster = new InMemoryCluster(1);
        server = new KafkaServer(ServerSettings.defaults("127.0.0.1:0"), () -> cluster, () -> cluster);
        server.start();
        cluster.setPort(server.port());
        cluster.registerBroker(2, false);
        cluster.registerBroker(3, true);
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + server.port());
        admin = Admin.create(p);
    }

    @AfterClass
    public static void stop() {
        admin.close(Duration.ofSeconds(5));
        server.close();
        cluster.close();
    }

    @After
    public void release() throws Exception {
        cluster.holdReassignments(false);
        cluster.completeReassignments().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    private static void topic(String name, int partitions) throws Exception {
        cluster.createTopic(name, partitions, 1, Map.of()).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    private static Optional<NewPartitionReassignment> to(Integer... replicas) {
        return Optional.of(new NewPartitionReassignment(List.of(replicas)));
    }

    private static Map<TopicPartition, Throwable> alter(Map<TopicPartition, Optional<NewPartitionReassignment>> moves,
            AlterPartitionReassignmentsOptions options) throws Exception {
        Map<TopicPartition, Throwable> errors = new HashMap<>();
        for (Map.Entry<TopicPartition, KafkaFuture<Void>> e : admin.alterPartitionReassignments(moves, options).values().entrySet()) {
            try {
                e.getValue().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException x) {
                errors.put(e.getKey(), x.getCause());
            }
        }
        return errors;
    }

    private static Map<TopicPartition, Throwable> alter(Map<TopicPartition, Optional<NewPartitionReassignment>> moves)
            throws Exception {
        return alter(moves, new AlterPartitionReassignmentsOptions());
    }

    private static List<Integer> replicas(String topic, int partition) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic).partitions()
                .get(partition).replicas().stream().map(Node::id).toList();
    }

    @Test
    public void aMoveCompletesAndTheReplicasChange() throws Exception {
        topic("move", 2);
        TopicPartition p0 = new TopicPartition("move", 0);
        TopicPartition p1 = new TopicPartition("move", 1);
        // p1's target is its current replica list: accepted, nothing to do
        assertEquals(Map.of(), alter(Map.of(p0, to(2, 1), p1, to(1))));
        assertEquals(List.of(2, 1), replicas("move", 0));
        assertEquals(List.of(1), replicas("move", 1));
        assertEquals(Map.of(), admin.listPartitionReassignments().reassignments().get(10, TimeUnit.SECONDS));
        // nothing in progress any more: cancelling is NO_REASSIGNMENT_IN_PROGRESS
        Throwable cancel = alter(Map.of(p0, Optional.empty())).get(p0);
        assertTrue(String.valueOf(cancel), cancel instanceof NoReassignmentInProgressException);
    }

    @Test
    public void aPendingReassignmentIsListedReplacedAndCancelled() throws Exception {
        topic("pending", 3);
        TopicPartition p0 = new TopicPartition("pending", 0);
        TopicPartition p1 = new TopicPartition("pending", 1);
        TopicPartition p2 = new TopicPartition("pending", 2);
        cluster.holdReassignments(true);
        assertEquals(Map.of(), alter(Map.of(p0, to(1, 2), p1, to(2))));

        Map<TopicPartition, PartitionReassignment> all = admin.listPartitionReassignments().reassignments()
                .get(10, TimeUnit.SECONDS);
        assertEquals(Set.of(p0, p1), all.keySet());
        assertEquals(List.of(1, 2), all.get(p0).replicas());
        assertEquals(List.of(2), all.get(p0).addingReplicas());
        assertEquals(List.of(), all.get(p0).removingReplicas());
        assertEquals(List.of(1, 2), all.get(p1).replicas());
        assertEquals(List.of(2), all.get(p1).addingReplicas());
        assertEquals(List.of(1), all.get(p1).removingReplicas());
        // until the move is done, the partition keeps its current replicas
        assertEquals(List.of(1), replicas("pending", 1));

        // named partitions: only those being reassigned; unknown topics and partitions are left out
        TopicPartition unknown = new TopicPartition("no-such-topic", 0);
        Map<TopicPartition, PartitionReassignment> named = admin.listPartitionReassignments(Set.of(p1, p2, unknown,
                new TopicPartition("pending", 9))).reassignments().get(10, TimeUnit.SECONDS);
        assertEquals(Set.of(p1), named.keySet());

        // without replication factor changes: a target of another size is refused, one of the same size replaces
        TopicPartition p1Invalid = new TopicPartition("pending", 1);
        Map<TopicPartition, Throwable> strict = alter(Map.of(p0, to(2, 1), p2, to(1, 2), p1Invalid, to(2, 2)),
                new AlterPartitionReassignmentsOptions().allowReplicationFactorChange(false));
        assertEquals(Set.of(p2, p1Invalid), strict.keySet());
        // an invalid list is reported as such, whatever its length
        assertTrue(String.valueOf(strict.get(p1Invalid)), strict.get(p1Invalid) instanceof InvalidReplicaAssignmentException);
        assertTrue(String.valueOf(strict.get(p2)), strict.get(p2) instanceof InvalidReplicationFactorException);
        assertEquals("The replication factor is changed from 1 to 2", strict.get(p2).getMessage());
        assertEquals(List.of(List.of(2, 1)), cluster.reassignments().stream()
                .filter(r -> r.topic().equals("pending") && r.partition() == 0).map(r -> r.targetReplicas()).toList());

        // the current replica list as target ends p0's reassignment; cancelling ends p1's; p1 keeps its replicas
        assertEquals(Map.of(), alter(Map.of(p0, to(1), p1, Optional.empty())));
        assertEquals(Map.of(), admin.listPartitionReassignments().reassignments().get(10, TimeUnit.SECONDS));
        assertEquals(List.of(1), replicas("pending", 1));
        Throwable again = alter(Map.of(p1, Optional.empty())).get(p1);
        assertTrue(String.valueOf(again), again instanceof NoReassignmentInProgressException);

        // a held move completes when the cluster finishes it
        assertEquals(Map.of(), alter(Map.of(p2, to(2))));
        assertEquals(Set.of(p2), admin.listPartitionReassignments().reassignments().get(10, TimeUnit.SECONDS).keySet());
        cluster.completeReassignments().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertEquals(Map.of(), admin.listPartitionReassignments().reassignments().get(10, TimeUnit.SECONDS));
        assertEquals(List.of(2), replicas("pending", 2));
    }

    @Test
    public void eachBadPartitionGetsItsOwnError() throws Exception {
        topic("bad", 6);
        Map<TopicPartition, Optional<NewPartitionReassignment>> moves = new HashMap<>();
        TopicPartition good = new TopicPartition("bad", 0);
        moves.put(good, to(2));
        // (the Admin client refuses an empty list itself: see anEmptyReplicaListIsInvalid)
        moves.put(new TopicPartition("bad", 1), to(2, 3));
        moves.put(new TopicPartition("bad", 2), to(1, 1));
        moves.put(new TopicPartition("bad", 3), to(7));
        moves.put(new TopicPartition("bad", 4), to(3));
        moves.put(new TopicPartition("bad", 5), Optional.empty());
        moves.put(new TopicPartition("bad", 6), to(1));
        moves.put(new TopicPartition("no-such-topic", 0), to(1));
        Map<TopicPartition, Throwable> errors = alter(moves);
        assertNull(errors.get(good));
        assertEquals(List.of(2), replicas("bad", 0));
        for (int p = 1; p <= 4; p++) { // fenced among others, duplicate, unknown, fenced
            Throwable e = errors.get(new TopicPartition("bad", p));
            assertTrue("bad-" + p + ": " + e, e instanceof InvalidReplicaAssignmentException);
            assertEquals(List.of(1), replicas("bad", p));
        }
        assertTrue(String.valueOf(errors.get(new TopicPartition("bad", 5))),
                errors.get(new TopicPartition("bad", 5)) instanceof NoReassignmentInProgressException);
        assertTrue(String.valueOf(errors.get(new TopicPartition("bad", 6))),
                errors.get(new TopicPartition("bad", 6)) instanceof UnknownTopicOrPartitionException);
        assertTrue(String.valueOf(errors.get(new TopicPartition("no-such-topic", 0))),
                errors.get(new TopicPartition("no-such-topic", 0)) instanceof UnknownTopicOrPartitionException);
    }

    @Test
    public void anEmptyReplicaListIsInvalid() throws Exception {
        topic("empty", 1);
        try (RawClient c = new RawClient(server.port())) {
            for (short v = 0; v <= 1; v++) {
                AlterPartitionReassignmentsRequestData d = new AlterPartitionReassignmentsRequestData();
                d.topics().add(new AlterPartitionReassignmentsRequestData.ReassignableTopic().setName("empty").setPartitions(
                        List.of(new AlterPartitionReassignmentsRequestData.ReassignablePartition().setPartitionIndex(0)
                                .setReplicas(List.of()))));
                c.send(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, v, v, d);
                AlterPartitionReassignmentsResponseData r = c.receive(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, v, v);
                assertEquals(Errors.NONE.code(), r.errorCode());
                assertEquals(Errors.INVALID_REPLICA_ASSIGNMENT.code(), r.responses().get(0).partitions().get(0).errorCode());
            }
        }
        assertEquals(List.of(1), replicas("empty", 0));
    }

    @Test
    public void unavailableMetadataIsNotControllerForTheWholeRequest() throws Exception {
        topic("unavailable", 2);
        AlterPartitionReassignmentsRequestData d = new AlterPartitionReassignmentsRequestData();
        d.topics().add(new AlterPartitionReassignmentsRequestData.ReassignableTopic().setName("unavailable").setPartitions(List.of(
                new AlterPartitionReassignmentsRequestData.ReassignablePartition().setPartitionIndex(0).setReplicas(List.of(2)),
                new AlterPartitionReassignmentsRequestData.ReassignablePartition().setPartitionIndex(1).setReplicas(null))));
        cluster.failReassignments(io.chronik.api.consensus.ConsensusException.Reason.NOT_AVAILABLE);
        try (RawClient c = new RawClient(server.port())) {
            c.send(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, (short) 1, 1, d);
            AlterPartitionReassignmentsResponseData r = c.receive(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, (short) 1, 1);
            // the Java client refreshes its metadata and sends the request again
            assertEquals(Errors.NOT_CONTROLLER.code(), r.errorCode());
            assertEquals(Errors.NOT_CONTROLLER.code(), r.responses().get(0).partitions().get(1).errorCode());
        } finally {
            cluster.failReassignments(null);
        }
        // without the consensus services: NOT_CONTROLLER for both APIs
        try (KafkaServer bare = new KafkaServer(ServerSettings.defaults("127.0.0.1:0"), () -> null, () -> null)) {
            bare.start();
            try (RawClient c = new RawClient(bare.port())) {
                c.send(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, (short) 0, 2, d);
                AlterPartitionReassignmentsResponseData r = c.receive(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, (short) 0, 2);
                assertEquals(Errors.NOT_CONTROLLER.code(), r.errorCode());
                c.send(ApiKeys.LIST_PARTITION_REASSIGNMENTS, (short) 0, 3, new ListPartitionReassignmentsRequestData());
                ListPartitionReassignmentsResponseData l = c.receive(ApiKeys.LIST_PARTITION_REASSIGNMENTS, (short) 0, 3);
                assertEquals(Errors.NOT_CONTROLLER.code(), l.errorCode());
            }
        }
    }

    private static final List<String> BROKER_THROTTLES = List.of("leader.replication.throttled.rate",
            "follower.replication.throttled.rate", "replica.alter.log.dirs.io.max.bytes.per.second");
    private static final List<String> TOPIC_THROTTLES = List.of("leader.replication.throttled.replicas",
            "follower.replication.throttled.replicas");

    private static ConfigResource broker(int id) {
        return new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(id));
    }

    private static void incremental(ConfigResource resource, AlterConfigOp.OpType type, Map<String, String> configs)
            throws Exception {
        List<AlterConfigOp> ops = configs.entrySet().stream()
                .map(e -> new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue()), type)).toList();
        admin.incrementalAlterConfigs(Map.of(resource, ops)).all().get(10, TimeUnit.SECONDS);
    }

    private static Config describe(ConfigResource resource) throws Exception {
        return admin.describeConfigs(List.of(resource)).all().get(10, TimeUnit.SECONDS).get(resource);
    }

    /** The IncrementalAlterConfigs calls of {@code --execute --throttle} and of {@code --verify}, as the tool makes them. */
    @Test
    public void throttlesAreAcceptedRememberedAndCleared() throws Exception {
        topic("throttled", 1);
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "throttled");
        // --execute --throttle 1000: topic replica lists, then both rates on every broker taking part (node 2 is
        // advertised at node 1's address, so the Admin client's request for it reaches this server too)
        incremental(topic, AlterConfigOp.OpType.SET, Map.of("leader.replication.throttled.replicas", "0:1",
                "follower.replication.throttled.replicas", "0:2"));
        for (int id : List.of(1, 2)) {
            incremental(broker(id), AlterConfigOp.OpType.SET, Map.of("leader.replication.throttled.rate", "1000",
                    "follower.replication.throttled.rate", "1000"));
        }
        incremental(broker(1), AlterConfigOp.OpType.SET, Map.of("replica.alter.log.dirs.io.max.bytes.per.second", "500"));

        Config b1 = describe(broker(1));
        assertEquals("1000", b1.get("leader.replication.throttled.rate").value());
        assertEquals(ConfigEntry.ConfigSource.DYNAMIC_BROKER_CONFIG, b1.get("leader.replication.throttled.rate").source());
        assertFalse(b1.get("leader.replication.throttled.rate").isReadOnly());
        assertEquals("500", b1.get("replica.alter.log.dirs.io.max.bytes.per.second").value());
        assertEquals("604800000", b1.get("retention.ms").value());
        Config t = describe(topic);
        assertEquals("0:2", t.get("follower.replication.throttled.replicas").value());
        assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, t.get("follower.replication.throttled.replicas").source());
        // APPEND works on the remembered list
        incremental(topic, AlterConfigOp.OpType.APPEND, Map.of("leader.replication.throttled.replicas", "0:2"));
        assertEquals("0:1,0:2", describe(topic).get("leader.replication.throttled.replicas").value());
        // the cluster-wide default resource takes them too
        incremental(new ConfigResource(ConfigResource.Type.BROKER, ""), AlterConfigOp.OpType.SET,
                Map.of("follower.replication.throttled.rate", "2000"));
        assertEquals("1000", describe(broker(1)).get("follower.replication.throttled.rate").value());

        // --verify, once everything is done: DELETE of the rates on every broker and of the lists on each topic
        Map<String, String> brokerKeys = new HashMap<>();
        BROKER_THROTTLES.forEach(k -> brokerKeys.put(k, null));
        Map<String, String> topicKeys = new HashMap<>();
        TOPIC_THROTTLES.forEach(k -> topicKeys.put(k, null));
        for (int id : List.of(1, 2)) {
            incremental(broker(id), AlterConfigOp.OpType.DELETE, brokerKeys);
        }
        incremental(topic, AlterConfigOp.OpType.DELETE, topicKeys);
        Config cleared = describe(broker(1));
        assertNull(cleared.get("leader.replication.throttled.rate"));
        assertEquals(ConfigEntry.ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
                cleared.get("follower.replication.throttled.rate").source());
        assertNull(describe(topic).get("leader.replication.throttled.replicas"));
        assertEquals(Map.of(), cluster.topic("throttled").get().configs());
        // clearing again, as --verify does on every run, succeeds; so does a topic without throttles
        incremental(broker(2), AlterConfigOp.OpType.DELETE, brokerKeys);
        incremental(topic, AlterConfigOp.OpType.DELETE, topicKeys);
    }

    @Test
    public void badThrottlesAndOtherBrokerConfigsAreRefused() throws Exception {
        topic("refused", 1);
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "refused");
        expect(InvalidConfigurationException.class, broker(1), "leader.replication.throttled.rate", "-5");
        expect(InvalidConfigurationException.class, broker(1), "leader.replication.throttled.rate", "fast");
        expect(InvalidConfigurationException.class, topic, "leader.replication.throttled.replicas", "0-1");
        expect(InvalidRequestException.class, broker(1), "log.retention.ms", "1000");
        incremental(topic, AlterConfigOp.OpType.SET, Map.of("leader.replication.throttled.replicas", "*"));
        assertEquals("*", describe(topic).get("leader.replication.throttled.replicas").value());
    }

    private static void expect(Class<? extends Throwable> type, ConfigResource resource, String name, String value)
            throws Exception {
        try {
            incremental(resource, AlterConfigOp.OpType.SET, Map.of(name, value));
            fail(name + "=" + value + " on " + resource + " must fail");
        } catch (ExecutionException e) {
            assertTrue(e.getCause().toString(), type.isInstance(e.getCause()));
        }
    }
}
