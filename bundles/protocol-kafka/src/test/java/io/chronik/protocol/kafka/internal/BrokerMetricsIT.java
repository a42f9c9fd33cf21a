package io.chronik.protocol.kafka.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import io.chronik.testing.RecordingMetricSink;

/**
 * The broker metrics (requests, errors, traffic per topic with its label cap, partition gauges) of a server over the
 * in-memory cluster, driven by the real Kafka clients, with {@code metrics.topic.labels.max} 1.
 */
public class BrokerMetricsIT {
    private InMemoryCluster cluster;
    private KafkaServer server;
    private Admin admin;
    private String bootstrap;

    @Before
    public void start() throws Exception {
        cluster = new InMemoryCluster(1);
        ServerSettings d = ServerSettings.defaults("127.0.0.1:0");
        ServerSettings node1 = new ServerSettings(d.addr(), 1, d.maxRequestBytes(), d.autoCreateTopics(), d.numPartitions(),
                d.defaultReplicationFactor(), d.fetchMaxWaitCapMs(), d.ioThreads(), d.maxInflightRequests(), d.groups(),
                d.followerFetch(), 1);
        server = new KafkaServer(node1, () -> cluster, () -> cluster);
        server.start();
        cluster.setPort(server.port());
        bootstrap = "127.0.0.1:" + server.port();
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        admin = Admin.create(p);
    }

    @After
    public void stop() {
        admin.close(Duration.ofSeconds(5));
        server.close();
        cluster.close();
    }

    private Map<String, Double> metrics() {
        return RecordingMetricSink.collect(server.metrics());
    }

    private static String topic(String name, String topic) {
        return name + "{node_id=\"1\",topic=\"" + topic + "\"}";
    }

    private static String api(String name, String api) {
        return name + "{node_id=\"1\",api=\"" + api + "\"}";
    }

    private void produce(String topic, int count) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, new byte[50]));
            }
            producer.flush();
        }
    }

    private int consume(String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            int read = 0;
            long deadline = System.currentTimeMillis() + 10_000;
            while (System.currentTimeMillis() < deadline && consumer.position(tp) < consumer.endOffsets(List.of(tp)).get(tp)) {
                read += consumer.poll(Duration.ofMillis(100)).count();
            }
            return read;
        }
    }

    @Test
    public void requestsErrorsAndTrafficPerTopicWithTheLabelCap() throws Exception {
        admin.createTopics(List.of(new NewTopic("first", 1, (short) 1), new NewTopic("second", 1, (short) 1))).all()
                .get(10, TimeUnit.SECONDS);
        produce("first", 10);
        produce("second", 5);
        assertEquals(10, consume("first"));

        Map<String, Double> m = metrics();
        assertEquals(10.0, m.get(topic("chronik_topic_records_in_total", "first")), 0);
        assertEquals("the second topic is beyond the cap of 1", 5.0, m.get(topic("chronik_topic_records_in_total", "_other")), 0);
        assertNull(m.get(topic("chronik_topic_records_in_total", "second")));
        double bytesIn = m.get(topic("chronik_topic_bytes_in_total", "first"));
        assertTrue("10 values of 50 bytes in " + bytesIn + " bytes", bytesIn > 500);
        assertTrue("the consumer read what was produced", m.get(topic("chronik_topic_bytes_out_total", "first")) >= bytesIn);
        assertEquals(0.0, m.get(topic("chronik_topic_bytes_out_total", "_other")), 0);

        assertTrue(m.get(api("chronik_kafka_requests_total", "Produce")) >= 2);
        assertEquals(m.get(api("chronik_kafka_requests_total", "Produce")),
                m.get(api("chronik_kafka_request_duration_seconds_count", "Produce")));
        assertTrue(m.get(api("chronik_kafka_requests_total", "Fetch")) >= 1);
        assertTrue(m.get(api("chronik_kafka_requests_total", "ApiVersions")) >= 3);
        assertEquals(1.0, m.get(api("chronik_kafka_requests_total", "CreateTopics")), 0);
        assertFalse("no errors so far: " + m, m.keySet().stream().anyMatch(k -> k.startsWith("chronik_kafka_request_errors")));

        try {
            admin.createTopics(List.of(new NewTopic("first", 1, (short) 1))).all().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertTrue(e.getCause() instanceof TopicExistsException);
        }
        assertEquals(1.0, metrics().get("chronik_kafka_request_errors_total{node_id=\"1\",api=\"CreateTopics\","
                + "error=\"TOPIC_ALREADY_EXISTS\"}"), 0);

        // the partition gauges of the one-node cluster: it hosts, leads and controls everything
        assertEquals(2.0, m.get("chronik_partitions{node_id=\"1\"}"), 0);
        assertEquals(2.0, m.get("chronik_partition_leaders{node_id=\"1\"}"), 0);
        assertEquals(0.0, m.get("chronik_under_replicated_partitions{node_id=\"1\"}"), 0);
        assertEquals(1.0, m.get("chronik_controller{node_id=\"1\"}"), 0);

        // a deleted topic's series go and its slot is free for the next topic
        admin.deleteTopics(List.of("first")).all().get(10, TimeUnit.SECONDS);
        assertNull(metrics().get(topic("chronik_topic_records_in_total", "first")));
        admin.createTopics(List.of(new NewTopic("third", 1, (short) 1))).all().get(10, TimeUnit.SECONDS);
        produce("third", 3);
        m = metrics();
        assertEquals(3.0, m.get(topic("chronik_topic_records_in_total", "third")), 0);
        assertEquals(5.0, m.get(topic("chronik_topic_records_in_total", "_other")), 0);
    }
}
