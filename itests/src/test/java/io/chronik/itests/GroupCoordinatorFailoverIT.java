package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.apache.kafka.clients.admin.AdminClientConfig;
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
import org.junit.After;
import org.junit.Test;

/**
 * A three-broker cluster (three processes): the broker coordinating a consumer group is killed with SIGKILL, and the
 * group carries on with another coordinator from its committed offsets — nothing committed is read again, nothing
 * produced is missed.
 */
public class GroupCoordinatorFailoverIT {
    private final List<ChronikProcess> nodes = new ArrayList<>();
    private final int[] kafkaPorts = new int[3];

    @After
    public void stopNodes() throws InterruptedException {
        for (ChronikProcess p : nodes) {
            p.close();
        }
    }

    private String bootstrap(int... skip) {
        StringBuilder sb = new StringBuilder();
        outer:
        for (int i = 0; i < 3; i++) {
            for (int s : skip) {
                if (s == i + 1) {
                    continue outer;
                }
            }
            sb.append(sb.length() == 0 ? "" : ",").append("127.0.0.1:").append(kafkaPorts[i]);
        }
        return sb.toString();
    }

    @Test
    public void theGroupSurvivesTheLossOfItsCoordinator() throws Exception {
        Path home = GroupSupport.fastGroupsDistribution();
        int[] raftPorts = new int[3];
        StringBuilder peers = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            kafkaPorts[i] = ContainerSupport.freePort();
            raftPorts[i] = ContainerSupport.freePort();
            peers.append(i == 0 ? "" : ",").append(i + 1).append("@127.0.0.1:").append(raftPorts[i]);
        }
        for (int i = 0; i < 3; i++) {
            Path data = Files.createTempDirectory("chronik-node" + (i + 1));
            nodes.add(ChronikProcess.run(home, "start", "--node-id", Integer.toString(i + 1), "--data-dir", data.toString(),
                    "--kafka-addr", "127.0.0.1:" + kafkaPorts[i], "--advertised-addr", "127.0.0.1:" + kafkaPorts[i],
                    "--raft-addr", "127.0.0.1:" + raftPorts[i], "--metrics-addr", "127.0.0.1:" + ContainerSupport.freePort(),
                    "--peers", peers.toString(), "--flush-policy", "os"));
        }
        for (ChronikProcess n : nodes) {
            n.awaitLine("started in", 90_000);
        }
        String topic = "failover";
        try (Admin admin = admin(bootstrap())) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 3))).all().get(30, TimeUnit.SECONDS);
        }
        produce(bootstrap(), topic, 0, 300);

        // consume everything in the group and commit it
        Set<String> first = consume(bootstrap(), topic, 300);
        assertEquals(300, first.size());

        int coordinator;
        try (Admin admin = admin(bootstrap())) {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of("failover-group")).all().get(30, TimeUnit.SECONDS)
                    .get("failover-group");
            coordinator = d.coordinator().id();
        }
        ChronikProcess victim = nodes.get(coordinator - 1);
        victim.process.destroyForcibly().waitFor();

        String survivors = bootstrap(coordinator);
        produce(survivors, topic, 300, 400);
        Set<String> second = consume(survivors, topic, 100);
        for (String key : second) {
            int i = Integer.parseInt(key.substring(key.lastIndexOf('-') + 1));
            assertTrue("record " + key + " was committed before the coordinator was lost and was read again", i >= 300);
        }
        assertEquals(100, second.size());
        try (Admin admin = admin(survivors)) {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of("failover-group")).all().get(30, TimeUnit.SECONDS)
                    .get("failover-group");
            assertNotEquals("the killed broker still coordinates the group", coordinator, d.coordinator().id());
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets =
                    admin.listConsumerGroupOffsets("failover-group").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            long total = offsets.values().stream().mapToLong(o -> o.offset()).sum();
            assertEquals("committed offsets after the fail-over: " + offsets, 400, total);
        }
    }

    private static Admin admin(String bootstrap) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return Admin.create(p);
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
