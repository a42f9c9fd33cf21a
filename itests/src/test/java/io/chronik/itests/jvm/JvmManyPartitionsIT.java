package io.chronik.itests.jvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.MetadataResponseData;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * Many partitions on an in-JVM cluster of three nodes shared by the tests of this class (docs/in-jvm-cluster.md):
 * balanced placement and leadership, concurrent topic operations and writes, follower reads on every partition.
 * Partitions share data groups here as on any node ({@code division.budget}). The tests run in name order, so the
 * placement test sees the cluster before the others created and deleted topics (placement balances the whole
 * cluster, and deleted partitions leave holes that only later topics fill).
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class JvmManyPartitionsIT {
    @ClassRule
    public static final JvmCluster cluster = new JvmCluster(3)
            // leadership goes back to preferred replicas within a second or two, not five minutes
            .flag("leader-imbalance-check-interval-seconds", "1")
            // twelve data groups in the cluster (the automatic budget of a 2-core machine is three): the first
            // partitions get groups of their own, later ones share groups with the same replica list
            .raftConfig("division.budget", "12");

    @BeforeClass
    public static void startCluster() throws Exception {
        cluster.start();
    }

    private static MetadataResponseData.MetadataResponseTopic describe(String topic) throws Exception {
        return cluster.metadata(1, topic).topics().find(topic);
    }

    private static void create(Admin admin, NewTopic... topics) throws Exception {
        admin.createTopics(List.of(topics)).all().get(30, TimeUnit.SECONDS);
    }

    /**
     * Placement spreads preferred leaders (first replicas) within one of each other and replicas within two over the
     * brokers: for partitions with groups of their own (replication factors 2 and 3, up to the division budget of
     * twelve groups) and for 24 more that share those groups; and every partition is soon led by its preferred leader
     * (automatic rebalance every second), so leadership is balanced too.
     */
    @Test
    public void balancedPlacementAndLeadership() throws Exception {
        try (Admin admin = cluster.admin()) {
            // one after the other: placement depends on what was placed before
            create(admin, new NewTopic("placed-rf2", 6, (short) 2));
            create(admin, new NewTopic("placed-rf3", 6, (short) 3));
            create(admin, new NewTopic("placed-shared", 24, (short) 3));
        }
        Map<Integer, Integer> preferred = new TreeMap<>();
        Map<Integer, Integer> held = new TreeMap<>();
        Map<String, Map<Integer, Integer>> byTopic = new TreeMap<>();
        for (int id : cluster.ids()) {
            preferred.put(id, 0);
            held.put(id, 0);
        }
        // the whole cluster: these topics and __consumer_offsets, which the cluster created at start
        List<String> all = cluster.metadata(1).topics().stream().map(MetadataResponseData.MetadataResponseTopic::name).toList();
        for (String topic : all) {
            for (MetadataResponseData.MetadataResponsePartition p : describe(topic).partitions()) {
                preferred.merge(p.replicaNodes().get(0), 1, Integer::sum);
                byTopic.computeIfAbsent(topic, k -> new TreeMap<>()).merge(p.replicaNodes().get(0), 1, Integer::sum);
                p.replicaNodes().forEach(id -> held.merge(id, 1, Integer::sum));
                assertEquals("distinct replicas", p.replicaNodes().size(), new java.util.HashSet<>(p.replicaNodes()).size());
            }
        }
        System.out.printf("placement of topics %s: preferred leaders per broker %s (by topic %s), replicas per broker %s%n", all, preferred, byTopic, held);
        assertTrue("preferred leaders within one: " + preferred,
                Collections.max(preferred.values()) - Collections.min(preferred.values()) <= 1);
        assertTrue("replicas within two: " + held, Collections.max(held.values()) - Collections.min(held.values()) <= 2);

        Map<Integer, Integer> leaders = new TreeMap<>();
        long t0 = System.currentTimeMillis();
        JvmCluster.await("every partition led by its preferred leader", 30_000, () -> {
            leaders.clear();
            for (String topic : all) {
                for (MetadataResponseData.MetadataResponsePartition p : describe(topic).partitions()) {
                    if (p.leaderId() != p.replicaNodes().get(0)) {
                        return false;
                    }
                    leaders.merge(p.leaderId(), 1, Integer::sum);
                }
            }
            return true;
        }, () -> "leaders per broker " + leaders);
        System.out.printf("leaders per broker %s, %d ms after the topics were created%n", leaders,
                System.currentTimeMillis() - t0);
        assertTrue("leaders within one: " + leaders, Collections.max(leaders.values()) - Collections.min(leaders.values()) <= 1);
    }

    /**
     * Four clients at once each create a topic, grow it, and write to all its partitions with their own idempotent
     * producer, while a fifth deletes a topic and creates it again: every acknowledged record is on every replica of
     * its partition, in the order sent, once.
     */
    @Test
    public void concurrentTopicOperationsAndWrites() throws Exception {
        int clients = 4;
        ExecutorService pool = Executors.newFixedThreadPool(clients + 1);
        try (Admin admin = cluster.admin()) {
            create(admin, new NewTopic("churn", 2, (short) 3));
            List<Future<Map<Integer, List<String>>>> results = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                String topic = "concurrent-" + c;
                results.add(pool.submit(() -> {
                    create(admin, new NewTopic(topic, 3, (short) 3));
                    admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(6))).all().get(30, TimeUnit.SECONDS);
                    Map<Integer, List<String>> sent = new HashMap<>();
                    try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
                        List<Future<?>> acks = new ArrayList<>();
                        for (int i = 0; i < 600; i++) {
                            int p = i % 6;
                            String v = topic + "/" + i;
                            sent.computeIfAbsent(p, k -> new ArrayList<>()).add(v);
                            acks.add(producer.send(new ProducerRecord<>(topic, p, null, v.getBytes(StandardCharsets.UTF_8))));
                        }
                        for (Future<?> f : acks) {
                            f.get(30, TimeUnit.SECONDS);
                        }
                    }
                    return sent;
                }));
            }
            Future<?> churn = pool.submit(() -> {
                admin.deleteTopics(List.of("churn")).all().get(30, TimeUnit.SECONDS);
                JvmCluster.await("churn deleted", 20_000, () -> !admin.listTopics().names().get().contains("churn"));
                create(admin, new NewTopic("churn", 4, (short) 3));
                return null;
            });
            churn.get(60, TimeUnit.SECONDS);
            for (int c = 0; c < clients; c++) {
                String topic = "concurrent-" + c;
                Map<Integer, List<String>> sent = results.get(c).get(60, TimeUnit.SECONDS);
                assertEquals(6, describe(topic).partitions().size());
                for (MetadataResponseData.MetadataResponsePartition p : describe(topic).partitions()) {
                    for (int id : p.replicaNodes()) {
                        assertEquals("node " + id + "'s replica of " + topic + "-" + p.partitionIndex(),
                                sent.get(p.partitionIndex()), Records.values(Records.read(cluster, id, topic, p.partitionIndex())));
                    }
                }
            }
            assertEquals(4, describe("churn").partitions().size());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * On every one of 24 partitions, every replica serves what was acknowledged (read right after the acknowledgements
     * through each node's Kafka listener), and a consumer in each node's rack reads every record, fetching from its
     * own node where that node is a follower.
     */
    @Test
    public void followerReadsOnEveryPartition() throws Exception {
        String topic = "reads";
        int partitions = 24;
        try (Admin admin = cluster.admin()) {
            create(admin, new NewTopic(topic, partitions, (short) 3));
        }
        cluster.awaitFullyReplicated(topic, 30_000);
        Map<Integer, List<String>> sent = new TreeMap<>();
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            List<Future<?>> acks = new ArrayList<>();
            for (int i = 0; i < partitions * 20; i++) {
                int p = i % partitions;
                String v = "p" + p + "-" + i;
                sent.computeIfAbsent(p, k -> new ArrayList<>()).add(v);
                acks.add(producer.send(new ProducerRecord<>(topic, p, null, v.getBytes(StandardCharsets.UTF_8))));
            }
            for (Future<?> f : acks) {
                f.get(30, TimeUnit.SECONDS);
            }
        }
        int followerReads = 0;
        for (MetadataResponseData.MetadataResponsePartition p : describe(topic).partitions()) {
            for (int id : p.replicaNodes()) {
                assertEquals("node " + id + " serves " + topic + "-" + p.partitionIndex(), sent.get(p.partitionIndex()),
                        Records.values(Records.read(cluster, id, topic, p.partitionIndex())));
                followerReads += id == p.leaderId() ? 0 : 1;
            }
        }
        assertEquals("two followers per partition served it", 2 * partitions, followerReads);

        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            tps.add(new TopicPartition(topic, p));
        }
        for (int id : cluster.ids()) {
            double before = cluster.followerFetches(id);
            try (KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(cluster.bootstrap(), "r" + id)) {
                consumer.assign(tps);
                consumer.seekToBeginning(tps);
                Map<Integer, List<String>> got = new TreeMap<>();
                int total = 0;
                long deadline = System.currentTimeMillis() + 20_000;
                while (total < partitions * 20 && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        got.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(new String(r.value(), StandardCharsets.UTF_8));
                        total++;
                    }
                }
                assertEquals("the consumer in rack r" + id + " read every partition", sent, got);
                double served = cluster.followerFetches(id) - before;
                System.out.printf("consumer in rack r%d: %.0f bytes from node %d, which served %.0f partition fetches "
                        + "as a follower%n", id, JvmReplicationIT.incomingBytes(consumer, id), id, served);
                assertTrue("node " + id + " served the consumer in its rack as a follower", served > 0);
            }
        }
    }
}
