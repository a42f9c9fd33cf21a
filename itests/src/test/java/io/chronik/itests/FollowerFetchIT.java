package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.Rule;
import org.junit.Test;

/**
 * Follower reads on three processes in racks r1, r2, r3 (KIP-392 with read-your-writes): a Java consumer with
 * {@code client.rack=r2} reading a partition led by node 1 is sent to node 2 and reads everything there, and each
 * record acknowledged by the leader afterwards reaches it from that follower; switched off, it reads from the leader.
 */
public class FollowerFetchIT {
    @Rule
    public final ProcessCluster cluster = new ProcessCluster(3).nodeArgs(id -> List.of("--rack", "r" + id));

    @Test
    public void aConsumerInTheFollowersRackReadsFromItAndSeesEveryAcknowledgedRecord() throws Exception {
        cluster.start();
        TopicPartition tp = new TopicPartition("near", 0);
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic("near", Map.of(0, List.of(1, 2, 3))))).all().get(30, TimeUnit.SECONDS);
            ProcessCluster.await("node 1 leads near-0 with three in-sync replicas", 30_000, () -> {
                var p = admin.describeTopics(List.of("near")).allTopicNames().get(10, TimeUnit.SECONDS).get("near")
                        .partitions().get(0);
                if (p.leader() != null && p.leader().id() != 1 && p.isr().size() == 3) {
                    admin.electLeaders(ElectionType.PREFERRED, Set.of(tp)).all().get(10, TimeUnit.SECONDS);
                }
                return p.leader() != null && p.leader().id() == 1 && p.isr().size() == 3;
            });
        }
        try (KafkaProducer<byte[], byte[]> producer = producer(); KafkaConsumer<byte[], byte[]> consumer = consumer("r2")) {
            List<String> acked = new ArrayList<>();
            String padding = "x".repeat(500);
            for (int i = 0; i < 2000; i++) {
                producer.send(new ProducerRecord<>("near", 0, null, ("v" + i + padding).getBytes(StandardCharsets.UTF_8)));
                acked.add("v" + i + padding);
            }
            producer.flush();
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<String> read = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 60_000;
            while (read.size() < acked.size() && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    read.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
            assertEquals(acked, read);
            double fromFollower = incomingBytes(consumer, 2);
            double fromLeader = incomingBytes(consumer, 1);
            assertTrue("read " + fromFollower + " bytes from node 2 and " + fromLeader + " from node 1",
                    fromFollower > 900_000 && fromLeader < 200_000);

            // read-your-writes: every record acknowledged by the leader is returned by the follower's next fetches
            for (int i = 0; i < 50; i++) {
                String value = "ryw-" + i;
                producer.send(new ProducerRecord<>("near", 0, null, value.getBytes(StandardCharsets.UTF_8))).get(10, TimeUnit.SECONDS);
                long sent = System.currentTimeMillis();
                String seen = null;
                while (seen == null && System.currentTimeMillis() - sent < 5_000) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        seen = new String(r.value(), StandardCharsets.UTF_8);
                    }
                }
                assertEquals("record " + i + " after its acknowledgement", value, seen);
            }
            assertTrue("still reading from node 2", incomingBytes(consumer, 2) > fromFollower);
        }
    }

    /** With follower fetch switched off, the same consumer is never sent to its rack's follower. */
    @Test
    public void switchedOffTheConsumerReadsFromTheLeader() throws Exception {
        cluster.start("--fetch-from-followers", "false");
        TopicPartition tp = new TopicPartition("far", 0);
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic("far", Map.of(0, List.of(1, 2, 3))))).all().get(30, TimeUnit.SECONDS);
            ProcessCluster.await("node 1 leads far-0 with three in-sync replicas", 30_000, () -> {
                var p = admin.describeTopics(List.of("far")).allTopicNames().get(10, TimeUnit.SECONDS).get("far")
                        .partitions().get(0);
                if (p.leader() != null && p.leader().id() != 1 && p.isr().size() == 3) {
                    admin.electLeaders(ElectionType.PREFERRED, Set.of(tp)).all().get(10, TimeUnit.SECONDS);
                }
                return p.leader() != null && p.leader().id() == 1 && p.isr().size() == 3;
            });
        }
        try (KafkaProducer<byte[], byte[]> producer = producer(); KafkaConsumer<byte[], byte[]> consumer = consumer("r2")) {
            String padding = "x".repeat(500);
            for (int i = 0; i < 2000; i++) {
                producer.send(new ProducerRecord<>("far", 0, null, ("v" + i + padding).getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            int read = 0;
            long deadline = System.currentTimeMillis() + 60_000;
            while (read < 2000 && System.currentTimeMillis() < deadline) {
                read += consumer.poll(Duration.ofMillis(500)).count();
            }
            assertEquals(2000, read);
            double fromFollower = incomingBytes(consumer, 2);
            double fromLeader = incomingBytes(consumer, 1);
            assertTrue("read " + fromFollower + " bytes from node 2 and " + fromLeader + " from node 1",
                    fromLeader > 900_000 && fromFollower < 200_000);
        }
    }

    /** Bytes the consumer received from node {@code id} (its per-node network metric). */
    private static double incomingBytes(KafkaConsumer<?, ?> consumer, int id) {
        for (Map.Entry<MetricName, ? extends Metric> e : consumer.metrics().entrySet()) {
            MetricName n = e.getKey();
            if (n.group().equals("consumer-node-metrics") && n.name().equals("incoming-byte-total")
                    && ("node-" + id).equals(n.tags().get("node-id"))) {
                return (Double) e.getValue().metricValue();
            }
        }
        return 0;
    }

    private KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private KafkaConsumer<byte[], byte[]> consumer(String rack) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap());
        p.put(ConsumerConfig.CLIENT_RACK_CONFIG, rack);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
