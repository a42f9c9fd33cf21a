package io.chronik.protocol.kafka.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import io.chronik.api.consensus.PartitionLog;
import io.chronik.protocol.kafka.internal.group.GroupSettings;

/**
 * The group coordinator with the real Java consumer, in-process over the in-memory consensus fixture: membership,
 * assignment, commits, and reloading the groups from {@code __consumer_offsets} when a new coordinator takes over.
 */
public class ConsumerGroupIT {
    private InMemoryCluster cluster;
    private KafkaServer server;

    @Before
    public void start() throws Exception {
        cluster = new InMemoryCluster(1);
        server = startServer();
    }

    private KafkaServer startServer() throws Exception {
        return startServer(0);
    }

    private KafkaServer startServer(int port) throws Exception {
        KafkaServer s = new KafkaServer(ServerSettings.defaults("127.0.0.1:" + port)
                .withGroups(GroupSettings.defaults().withInitialRebalanceDelayMs(0)), () -> cluster, () -> cluster);
        s.start();
        cluster.setPort(s.port());
        return s;
    }

    @After
    public void stop() {
        if (server != null) {
            server.close();
        }
        cluster.close();
    }

    private String bootstrap() {
        return "127.0.0.1:" + server.port();
    }

    private KafkaConsumer<byte[], byte[]> consumer(String group, String clientId) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500);
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private void produce(String topic, int partitions, int perPartition) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int part = 0; part < partitions; part++) {
                for (int i = 0; i < perPartition; i++) {
                    producer.send(new ProducerRecord<>(topic, part, null, (part + ":" + i).getBytes(StandardCharsets.UTF_8)));
                }
            }
            producer.flush();
        }
    }

    @Test
    public void membersSharePartitionsConsumeOnceAndTakeOverFromOneThatLeaves() throws Exception {
        cluster.createTopic("orders", 6, 1, Map.of()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        produce("orders", 6, 20);
        List<KafkaConsumer<byte[], byte[]>> consumers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            KafkaConsumer<byte[], byte[]> c = consumer("g1", "c" + i);
            c.subscribe(List.of("orders"));
            consumers.add(c);
        }
        Set<String> seen = new HashSet<>();
        int duplicates = 0;
        long deadline = System.currentTimeMillis() + 30_000;
        while (seen.size() < 120 || !balanced(consumers, 6)) {
            assertTrue("group did not settle: seen " + seen.size(), System.currentTimeMillis() < deadline);
            for (KafkaConsumer<byte[], byte[]> c : consumers) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(50))) {
                    if (!seen.add(new String(r.value(), StandardCharsets.UTF_8))) {
                        duplicates++;
                    }
                }
                c.commitSync();
            }
        }
        assertEquals(0, duplicates);
        for (KafkaConsumer<byte[], byte[]> c : consumers) {
            assertEquals(2, c.assignment().size());
        }
        consumers.remove(2).close();
        deadline = System.currentTimeMillis() + 30_000;
        while (!balanced(consumers, 6)) {
            assertTrue("the remaining members did not take over", System.currentTimeMillis() < deadline);
            for (KafkaConsumer<byte[], byte[]> c : consumers) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(50))) {
                    throw new AssertionError("record read twice after a rebalance: " + new String(r.value(), StandardCharsets.UTF_8));
                }
            }
        }
        Map<TopicPartition, OffsetAndMetadata> committed = consumers.get(0).committed(partitions("orders", 6));
        for (TopicPartition tp : partitions("orders", 6)) {
            assertEquals(tp.toString(), 20, committed.get(tp).offset());
        }
        consumers.forEach(KafkaConsumer::close);
    }

    private static boolean balanced(List<KafkaConsumer<byte[], byte[]>> consumers, int partitions) {
        Set<TopicPartition> union = new HashSet<>();
        int total = 0;
        for (KafkaConsumer<byte[], byte[]> c : consumers) {
            if (c.assignment().isEmpty()) {
                return false;
            }
            union.addAll(c.assignment());
            total += c.assignment().size();
        }
        return union.size() == partitions && total == partitions;
    }

    private static Set<TopicPartition> partitions(String topic, int n) {
        Set<TopicPartition> s = new HashSet<>();
        for (int i = 0; i < n; i++) {
            s.add(new TopicPartition(topic, i));
        }
        return s;
    }

    @Test
    public void committedOffsetsAndMetadataSurviveANewCoordinator() throws Exception {
        cluster.createTopic("events", 2, 1, Map.of()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        TopicPartition p0 = new TopicPartition("events", 0);
        TopicPartition p1 = new TopicPartition("events", 1);
        try (KafkaConsumer<byte[], byte[]> c = consumer("g2", "a")) {
            c.assign(List.of(p0, p1));
            Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
            commit.put(p0, new OffsetAndMetadata(7, "meta-7"));
            commit.put(p1, new OffsetAndMetadata(3));
            c.commitSync(commit);
            c.commitSync(Map.of(p0, new OffsetAndMetadata(9, "meta-9")));
        }
        // a new broker process over the same replicated logs: the coordinator replays __consumer_offsets
        server.close();
        server = startServer();
        try (KafkaConsumer<byte[], byte[]> c = consumer("g2", "b")) {
            Map<TopicPartition, OffsetAndMetadata> committed = c.committed(Set.of(p0, p1), Duration.ofSeconds(20));
            assertEquals(9, committed.get(p0).offset());
            assertEquals("meta-9", committed.get(p0).metadata());
            assertEquals(3, committed.get(p1).offset());
        }
    }

    @Test
    public void theOffsetsPartitionIsCompactedAndStillReplaysToTheSameState() throws Exception {
        cluster.createTopic("t", 1, 1, Map.of()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        TopicPartition tp = new TopicPartition("t", 0);
        try (KafkaConsumer<byte[], byte[]> c = consumer("g3", "a")) {
            c.assign(List.of(tp));
            // the default threshold is 10,000 superseded records; 12,000 commits of one partition cross it
            for (int i = 1; i <= 12_000; i++) {
                c.commitAsync(Map.of(tp, new OffsetAndMetadata(i)), null);
                if (i % 500 == 0) {
                    c.commitSync(Map.of(tp, new OffsetAndMetadata(i)));
                }
            }
            c.commitSync(Map.of(tp, new OffsetAndMetadata(12_345, "last")));
        }
        int partition = (("g3".hashCode()) & 0x7fffffff) % GroupSettings.defaults().offsetsTopicPartitions();
        PartitionLog log = cluster.log("__consumer_offsets", partition).orElseThrow();
        long deadline = System.currentTimeMillis() + 10_000;
        while (log.logStartOffset() == 0) {
            assertTrue("the offsets partition was never compacted", System.currentTimeMillis() < deadline);
            Thread.sleep(20);
        }
        assertTrue("log holds " + (log.highWatermark() - log.logStartOffset()) + " records",
                log.highWatermark() - log.logStartOffset() < 10_000);
        server.close();
        server = startServer();
        try (KafkaConsumer<byte[], byte[]> c = consumer("g3", "b")) {
            OffsetAndMetadata committed = c.committed(Set.of(tp), Duration.ofSeconds(20)).get(tp);
            assertNotNull(committed);
            assertEquals(12_345, committed.offset());
            assertEquals("last", committed.metadata());
        }
    }

    @Test
    public void activeMembersCarryOnThroughACoordinatorRestartWithoutARebalance() throws Exception {
        cluster.createTopic("live", 2, 1, Map.of()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        List<KafkaConsumer<byte[], byte[]>> consumers = List.of(consumer("g4", "a"), consumer("g4", "b"));
        consumers.forEach(c -> c.subscribe(List.of("live")));
        long deadline = System.currentTimeMillis() + 30_000;
        while (!balanced(consumers, 2)) {
            assertTrue("group did not settle", System.currentTimeMillis() < deadline);
            consumers.forEach(c -> c.poll(Duration.ofMillis(50)));
        }
        Map<KafkaConsumer<byte[], byte[]>, Set<TopicPartition>> before = new HashMap<>();
        consumers.forEach(c -> before.put(c, Set.copyOf(c.assignment())));
        String generation = consumers.get(0).groupMetadata().memberId() + "@" + consumers.get(0).groupMetadata().generationId();

        // the broker restarts on the same address; the coordinator reloads the group from __consumer_offsets
        int port = server.port();
        server.close();
        server = startServer(port);
        produce("live", 2, 10);
        Set<String> seen = new HashSet<>();
        deadline = System.currentTimeMillis() + 30_000;
        while (seen.size() < 20) {
            assertTrue("consumption did not resume: " + seen.size(), System.currentTimeMillis() < deadline);
            for (KafkaConsumer<byte[], byte[]> c : consumers) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(50))) {
                    seen.add(new String(r.value(), StandardCharsets.UTF_8));
                }
                c.commitSync();
            }
        }
        for (KafkaConsumer<byte[], byte[]> c : consumers) {
            assertEquals("the assignment changed", before.get(c), c.assignment());
        }
        assertEquals("the members rejoined instead of carrying on", generation,
                consumers.get(0).groupMetadata().memberId() + "@" + consumers.get(0).groupMetadata().generationId());
        consumers.forEach(KafkaConsumer::close);
    }

    @Test
    public void offsetsOfADeletedTopicAreRemoved() throws Exception {
        cluster.createTopic("doomed", 1, 1, Map.of()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        cluster.createTopic("kept", 1, 1, Map.of()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        TopicPartition doomed = new TopicPartition("doomed", 0);
        TopicPartition kept = new TopicPartition("kept", 0);
        try (KafkaConsumer<byte[], byte[]> c = consumer("g5", "a")) {
            c.assign(List.of(doomed, kept));
            c.commitSync(Map.of(doomed, new OffsetAndMetadata(3), kept, new OffsetAndMetadata(4)));
            Thread.sleep(1200); // two coordinator sweeps: the topics are known before one of them goes
            cluster.deleteTopic("doomed").toCompletableFuture().get(5, TimeUnit.SECONDS);
            long deadline = System.currentTimeMillis() + 10_000;
            while (c.committed(Set.of(doomed)).get(doomed) != null) {
                assertTrue("the deleted topic's offset is still committed", System.currentTimeMillis() < deadline);
                Thread.sleep(100);
            }
            assertEquals(4, c.committed(Set.of(kept)).get(kept).offset());
        }
    }
}
