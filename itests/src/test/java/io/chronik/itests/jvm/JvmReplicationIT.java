package io.chronik.itests.jvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * Replication in an in-JVM cluster of three nodes shared by the tests of this class (docs/in-jvm-cluster.md): an
 * acknowledged write is on every replica, a follower refuses writes and names the leader, a consumer reads from a
 * follower what was just committed.
 */
public class JvmReplicationIT {
    @ClassRule
    public static final JvmCluster cluster = new JvmCluster(3);

    @BeforeClass
    public static void startCluster() throws Exception {
        cluster.start();
    }

    /**
     * The harness's premise: every node's transport-memory bundle wires the network package to its system bundle, so
     * the nodes share the test class path's one network, in which every node's Raft address is bound.
     */
    @Test
    public void nodesShareOneMemoryNetwork() {
        org.junit.Assume.assumeTrue(cluster.isMemory());
        for (int id : cluster.ids()) {
            assertEquals("node " + id + " imports io.chronik.transport.memory from its system bundle", 0,
                    cluster.networkPackageProvider(id));
            assertTrue("node " + id + "'s Raft address is bound in the shared network " + cluster.network().addresses(),
                    cluster.network().isBound(cluster.node(id).raftAddress()));
        }
    }

    private static void createTopic(String topic, int partitions) throws Exception {
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 3))).all().get(20, TimeUnit.SECONDS);
        }
        cluster.awaitFullyReplicated(topic, 20_000);
    }

    /** Sends {@code values} to {@code topic}-{@code partition} with acks=all and waits for every acknowledgement. */
    private static void produce(KafkaProducer<byte[], byte[]> producer, String topic, int partition, List<String> values)
            throws Exception {
        List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
        for (String v : values) {
            acks.add(producer.send(new ProducerRecord<>(topic, partition, null, v.getBytes(StandardCharsets.UTF_8))));
        }
        for (java.util.concurrent.Future<?> f : acks) {
            f.get(20, TimeUnit.SECONDS);
        }
    }

    private static List<Integer> replicas(String topic, int partition) throws Exception {
        MetadataResponseData m = cluster.metadata(1, topic);
        return m.topics().find(topic).partitions().get(partition).replicaNodes();
    }

    /**
     * Every acknowledged record is on every replica at once: read back through each node's Kafka listener right
     * after the acknowledgements (a follower serves a fetch after its ReadIndex barrier), each replica holds all of
     * them, in the same order at the same offsets.
     */
    @Test
    public void acknowledgedRecordsAreOnEveryReplica() throws Exception {
        String topic = "replicated";
        createTopic(topic, 3);
        List<List<String>> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            for (int p = 0; p < 3; p++) {
                List<String> values = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    values.add("r" + p + "-" + i);
                }
                produce(producer, topic, p, values);
                sent.add(values);
            }
        }
        for (int p = 0; p < 3; p++) {
            List<RawKafka.Entry> first = null;
            for (int id : replicas(topic, p)) {
                List<RawKafka.Entry> log = Records.read(cluster, id, topic, p);
                assertEquals("node " + id + "'s replica of " + topic + "-" + p, sent.get(p), Records.values(log));
                if (first == null) {
                    first = log;
                } else {
                    assertEquals("node " + id + " has the same offsets and epochs", first, log);
                }
            }
        }
    }

    /**
     * A follower refuses a produce with NOT_LEADER_OR_FOLLOWER and names the current leader, its epoch and its
     * endpoint in the response (KIP-951); nothing of the refused write reaches the log.
     */
    @Test
    public void followerRefusesWritesAndNamesTheLeader() throws Exception {
        String topic = "refusing";
        createTopic(topic, 1);
        MetadataResponseData.MetadataResponsePartition p = cluster.metadata(1, topic).topics().find(topic).partitions().get(0);
        int leader = p.leaderId();
        int follower = p.replicaNodes().stream().filter(id -> id != leader).findFirst().orElseThrow();
        // the follower names the leader once its own metadata has the leader's report and the leader's broker unfenced
        // (only live brokers are named, as Kafka does)
        JvmCluster.await("node " + follower + " knows the leader of " + topic + "-0 as a live broker", 10_000,
                () -> cluster.metadata(follower, topic).topics().find(topic).partitions().get(0).leaderId() == leader
                        && RawKafka.brokers(cluster.metadata(follower)).contains(leader));
        ProduceResponseData r = RawKafka.produce(cluster.kafkaPort(follower), topic, 0, 5000, "to-a-follower");
        ProduceResponseData.PartitionProduceResponse pr = RawKafka.only(r);
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER, Errors.forCode(pr.errorCode()));
        assertEquals("the leader hint names the leader", leader, pr.currentLeader().leaderId());
        assertEquals("and its epoch", p.leaderEpoch(), pr.currentLeader().leaderEpoch());
        ProduceResponseData.NodeEndpoint endpoint = r.nodeEndpoints().find(leader);
        assertNotNull("the response carries the leader's endpoint", endpoint);
        assertEquals(cluster.kafkaPort(leader), endpoint.port());

        ProduceResponseData ok = RawKafka.produce(cluster.kafkaPort(leader), topic, 0, 5000, "to-the-leader");
        assertEquals(Errors.NONE, Errors.forCode(RawKafka.only(ok).errorCode()));
        for (int id : p.replicaNodes()) {
            assertEquals("node " + id + " holds only the leader's write", List.of("to-the-leader"),
                    Records.values(Records.read(cluster, id, topic, 0)));
        }
    }

    /**
     * A consumer in a follower's rack is sent to that follower (KIP-392) and reads every record as soon as it is
     * acknowledged; the bytes it received came from the follower.
     */
    @Test
    public void consumerReadsFromAFollowerRightAfterCommit() throws Exception {
        String topic = "follower-read";
        createTopic(topic, 1);
        int leader = cluster.leader(1, topic, 0);
        int follower = replicas(topic, 0).stream().filter(id -> id != leader).findFirst().orElseThrow();
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer();
                KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(cluster.bootstrap(), "r" + follower)) {
            double followerFetchesBefore = cluster.followerFetches(follower);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            Set<String> received = new LinkedHashSet<>();
            for (int round = 0; round < 5; round++) {
                List<String> values = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    values.add("c" + round + "-" + i);
                }
                produce(producer, topic, 0, values);
                // right after the acknowledgement the follower serves them (its ReadIndex barrier waits for the commit)
                List<String> onFollower = Records.values(Records.read(cluster, follower, topic, 0));
                assertTrue("node " + follower + " serves round " + round + " at once", onFollower.containsAll(values));
                long deadline = System.currentTimeMillis() + 10_000;
                while (!received.containsAll(values) && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> rec : consumer.poll(Duration.ofMillis(100))) {
                        assertTrue("no record twice", received.add(new String(rec.value(), StandardCharsets.UTF_8)));
                    }
                }
                assertTrue("the consumer read round " + round, received.containsAll(values));
            }
            assertEquals(250, received.size());
            double served = cluster.followerFetches(follower) - followerFetchesBefore;
            System.out.printf("consumer in rack r%d: %.0f bytes from follower %d, %.0f from leader %d; the follower "
                    + "served %.0f partition fetches as a follower%n", follower, incomingBytes(consumer, follower), follower,
                    incomingBytes(consumer, leader), leader, served);
            assertTrue("follower " + follower + " served the consumer's fetches", served > 0);
        }
    }

    /** Bytes {@code consumer} received from node {@code id} (its per-node network metric). */
    static double incomingBytes(KafkaConsumer<?, ?> consumer, int id) {
        for (java.util.Map.Entry<MetricName, ? extends Metric> e : consumer.metrics().entrySet()) {
            MetricName n = e.getKey();
            if (n.group().equals("consumer-node-metrics") && n.name().equals("incoming-byte-total")
                    && ("node-" + id).equals(n.tags().get("node-id"))) {
                return (Double) e.getValue().metricValue();
            }
        }
        return 0;
    }
}
