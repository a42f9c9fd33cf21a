package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
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

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.Rule;
import org.junit.Test;

/**
 * A three-broker cluster (three processes): the broker coordinating a consumer group is killed with SIGKILL, and the
 * group carries on with another coordinator from its committed offsets — nothing committed is read again, nothing
 * produced is missed.
 */
public class GroupCoordinatorFailoverIT {
    @Rule
    public final ProcessCluster cluster = new ProcessCluster(3).distribution(GroupSupport::fastGroupsDistribution);

    @Test
    public void theGroupSurvivesTheLossOfItsCoordinator() throws Exception {
        cluster.start();
        String topic = "failover";
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 3))).all().get(30, TimeUnit.SECONDS);
        }
        produce(cluster.bootstrap(), topic, 0, 300);

        // consume everything in the group and commit it
        Set<String> first = consume(cluster.bootstrap(), topic, 300);
        assertEquals(300, first.size());

        int coordinator;
        try (Admin admin = cluster.admin()) {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of("failover-group")).all().get(30, TimeUnit.SECONDS)
                    .get("failover-group");
            coordinator = d.coordinator().id();
        }
        cluster.kill(coordinator);

        String survivors = cluster.bootstrap();
        produce(survivors, topic, 300, 400);
        Set<String> second = consume(survivors, topic, 100);
        for (String key : second) {
            int i = Integer.parseInt(key.substring(key.lastIndexOf('-') + 1));
            assertTrue("record " + key + " was committed before the coordinator was lost and was read again", i >= 300);
        }
        assertEquals(100, second.size());
        try (Admin admin = cluster.admin()) {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of("failover-group")).all().get(30, TimeUnit.SECONDS)
                    .get("failover-group");
            assertNotEquals("the killed broker still coordinates the group", coordinator, d.coordinator().id());
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets =
                    admin.listConsumerGroupOffsets("failover-group").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            long total = offsets.values().stream().mapToLong(o -> o.offset()).sum();
            assertEquals("committed offsets after the fail-over: " + offsets, 400, total);
        }
    }

    private static void produce(String bootstrap, String topic, int from, int to) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
            for (int i = from; i < to; i++) {
                byte[] k = (topic + "-" + i).getBytes(StandardCharsets.UTF_8);
                sent.add(producer.send(new ProducerRecord<>(topic, i % 3, k, k)));
            }
            for (java.util.concurrent.Future<?> f : sent) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
    }

    /** Reads {@code expected} records in group {@code failover-group}, committing after each poll; returns their keys. */
    private static Set<String> consume(String bootstrap, String topic, int expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "failover-group");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Set<String> keys = new HashSet<>();
        Map<String, Integer> duplicates = new HashMap<>();
        long deadline = System.currentTimeMillis() + 90_000;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            while (keys.size() < expected) {
                assertTrue("read " + keys.size() + " of " + expected, System.currentTimeMillis() < deadline);
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    String k = new String(r.key(), StandardCharsets.UTF_8);
                    if (!keys.add(k)) {
                        duplicates.merge(k, 1, Integer::sum);
                    }
                }
                c.commitSync(Duration.ofSeconds(30));
            }
            // nothing beyond what was expected
            for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                keys.add(new String(r.key(), StandardCharsets.UTF_8));
            }
            c.commitSync(Duration.ofSeconds(30));
        }
        assertTrue("records read twice: " + duplicates, duplicates.isEmpty());
        return keys;
    }
}
