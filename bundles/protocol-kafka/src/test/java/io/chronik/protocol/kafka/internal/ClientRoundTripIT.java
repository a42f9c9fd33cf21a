package io.chronik.protocol.kafka.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/** The real Kafka 4.1.1 Java clients against the server over the in-memory cluster. */
public class ClientRoundTripIT {
    private static InMemoryCluster cluster;
    private static KafkaServer server;
    private static String bootstrap;
    private static Admin admin;

    @BeforeClass
    public static void start() throws Exception {
        cluster = new InMemoryCluster(1);
        server = new KafkaServer(ServerSettings.defaults("127.0.0.1:0"), () -> cluster, () -> cluster);
        server.start();
        cluster.setPort(server.port());
        bootstrap = "127.0.0.1:" + server.port();
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        admin = Admin.create(p);
    }

    @AfterClass
    public static void stop() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        if (server != null) {
            server.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(String compression) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 65536);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> extra) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.putAll(extra);
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    public void roundTripEveryCompressionType() throws Exception {
        for (String compression : List.of("none", "gzip", "snappy", "lz4", "zstd")) {
            roundTrip("rt-" + compression, compression, 10_000);
        }
    }

    private void roundTrip(String topic, String compression, int count) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(10, TimeUnit.SECONDS);
        long baseTs = System.currentTimeMillis() - 60_000;
        List<Future<RecordMetadata>> sent = new ArrayList<>(count);
        try (KafkaProducer<byte[], byte[]> producer = producer(compression)) {
            for (int i = 0; i < count; i++) {
                List<Header> headers = List.of(new RecordHeader("h", bytes("hv" + i)));
                sent.add(producer.send(new ProducerRecord<>(topic, i % 3, baseTs + i, bytes("k" + i),
                        bytes("value-" + i + "-" + compression), headers)));
            }
            producer.flush();
        }
        long[] expectedNext = new long[3];
        for (int i = 0; i < count; i++) {
            RecordMetadata md = sent.get(i).get();
            assertEquals(i % 3, md.partition());
            assertEquals("offsets are assigned in order per partition", expectedNext[md.partition()]++, md.offset());
        }
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(Map.of())) {
            List<TopicPartition> tps = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1),
                    new TopicPartition(topic, 2));
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<Integer, Long> next = new HashMap<>();
            int received = 0;
            long deadline = System.currentTimeMillis() + 30_000;
            while (received < count && System.currentTimeMillis() < deadline) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    int i = Integer.parseInt(new String(r.key(), StandardCharsets.UTF_8).substring(1));
                    assertEquals(i % 3, r.partition());
                    assertEquals((long) next.getOrDefault(r.partition(), 0L), r.offset());
                    next.put(r.partition(), r.offset() + 1);
                    assertEquals(i / 3, r.offset());
                    assertEquals("value-" + i + "-" + compression, new String(r.value(), StandardCharsets.UTF_8));
                    assertEquals(baseTs + i, r.timestamp());
                    Header h = r.headers().lastHeader("h");
                    assertNotNull(h);
                    assertArrayEquals(bytes("hv" + i), h.value());
                    received++;
                }
            }
            assertEquals(compression + ": all records consumed", count, received);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            assertEquals(count, end.values().stream().mapToLong(Long::longValue).sum());
        }
    }

    @Test
    public void longPollWakesOnNewData() throws Exception {
        String topic = "long-poll";
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(10, TimeUnit.SECONDS);
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(Map.of(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10_000));
                KafkaProducer<byte[], byte[]> producer = producer("none")) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            assertTrue(consumer.poll(Duration.ofMillis(300)).isEmpty());
            // the consumer's fetch is now parked on the broker (max wait 10 s)
            Thread.sleep(300);
            long sentAt = System.nanoTime();
            producer.send(new ProducerRecord<>(topic, bytes("k"), bytes("woken"))).get();
            ConsumerRecords<byte[], byte[]> records = ConsumerRecords.empty();
            while (records.isEmpty() && System.nanoTime() - sentAt < TimeUnit.SECONDS.toNanos(8)) {
                records = consumer.poll(Duration.ofMillis(200));
            }
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentAt);
            assertEquals(1, records.count());
            assertEquals("woken", new String(records.iterator().next().value(), StandardCharsets.UTF_8));
            assertTrue("the parked fetch is woken by the append, not by its 10 s timer (took " + tookMs + " ms)",
                    tookMs < 5_000);
        }
    }

    @Test
    public void adminTopicLifecycle() throws Exception {
        String topic = "admin-topic";
        admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1).configs(Map.of("retention.ms", "1000"))))
                .all().get(10, TimeUnit.SECONDS);
        try {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get(10, TimeUnit.SECONDS);
            fail("duplicate creation must fail");
        } catch (ExecutionException e) {
            assertTrue(e.getCause().toString(), e.getCause() instanceof TopicExistsException);
        }
        // validate-only does not create
        admin.createTopics(List.of(new NewTopic("validated-only", 1, (short) 1)), new CreateTopicsOptions().validateOnly(true))
                .all().get(10, TimeUnit.SECONDS);
        assertFalse(cluster.topic("validated-only").isPresent());

        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
        assertEquals(2, d.partitions().size());
        assertEquals(1, d.partitions().get(0).leader().id());
        assertEquals(cluster.topic(topic).get().id().getMostSignificantBits(), d.topicId().getMostSignificantBits());

        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = admin.describeConfigs(List.of(res)).all().get(10, TimeUnit.SECONDS).get(res);
        assertEquals("1000", config.get("retention.ms").value());
        assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, config.get("retention.ms").source());
        assertEquals("delete", config.get("cleanup.policy").value());
        assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, config.get("cleanup.policy").source());
        assertEquals(InMemoryCluster.DEFAULTS.size(), config.entries().size());

        admin.incrementalAlterConfigs(Map.of(res, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", null), AlterConfigOp.OpType.DELETE),
                new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.APPEND),
                new AlterConfigOp(new ConfigEntry("max.message.bytes", "2000000"), AlterConfigOp.OpType.SET))))
                .all().get(10, TimeUnit.SECONDS);
        Map<String, String> overrides = cluster.topic(topic).get().configs();
        assertEquals(Map.of("cleanup.policy", "delete,compact", "max.message.bytes", "2000000"), overrides);
        try {
            admin.incrementalAlterConfigs(Map.of(res, List.of(
                    new AlterConfigOp(new ConfigEntry("retention.ms", "5"), AlterConfigOp.OpType.APPEND))))
                    .all().get(10, TimeUnit.SECONDS);
            fail("APPEND to a non-list config must fail");
        } catch (ExecutionException e) {
            assertTrue(e.getCause().toString(), e.getCause() instanceof InvalidRequestException);
        }

        admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(4))).all().get(10, TimeUnit.SECONDS);
        assertEquals(4, cluster.topic(topic).get().partitions().size());

        try (KafkaProducer<byte[], byte[]> producer = producer("lz4")) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, 0, bytes("k"), bytes("v" + i)));
            }
            producer.flush();
        }
        TopicPartition tp0 = new TopicPartition(topic, 0);
        long low = admin.deleteRecords(Map.of(tp0, RecordsToDelete.beforeOffset(4))).all()
                .thenApply(v -> cluster.logOf(topic, 0).logStartOffset()).get(10, TimeUnit.SECONDS);
        assertEquals(4, low);
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(Map.of())) {
            assertEquals(Long.valueOf(4), consumer.beginningOffsets(List.of(tp0)).get(tp0));
            assertEquals(Long.valueOf(10), consumer.endOffsets(List.of(tp0)).get(tp0));
        }

        DescribeClusterResult dc = admin.describeCluster();
        assertEquals("in-memory-cluster", dc.clusterId().get(10, TimeUnit.SECONDS));
        Collection<org.apache.kafka.common.Node> nodes = dc.nodes().get(10, TimeUnit.SECONDS);
        assertEquals(1, nodes.size());
        assertEquals(server.port(), nodes.iterator().next().port());
        assertEquals(1, dc.controller().get(10, TimeUnit.SECONDS).id());

        ConfigResource brokerRes = new ConfigResource(ConfigResource.Type.BROKER, "1");
        Config brokerConfig = admin.describeConfigs(List.of(brokerRes)).all().get(10, TimeUnit.SECONDS).get(brokerRes);
        assertEquals("604800000", brokerConfig.get("retention.ms").value());

        admin.deleteTopics(List.of(topic)).all().get(10, TimeUnit.SECONDS);
        assertFalse(cluster.topic(topic).isPresent());
        try {
            admin.deleteTopics(List.of(topic)).all().get(10, TimeUnit.SECONDS);
            fail("deleting a missing topic must fail");
        } catch (ExecutionException e) {
            assertTrue(e.getCause().toString(), e.getCause() instanceof UnknownTopicOrPartitionException);
        }
        Set<String> names = admin.listTopics().names().get(10, TimeUnit.SECONDS);
        assertFalse(names.contains(topic));
    }

    @Test
    public void topicsByIdAndSynonyms() throws Exception {
        String topic = "by-id";
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("retention.ms", "5000"))))
                .all().get(10, TimeUnit.SECONDS);
        java.util.UUID id = cluster.topic(topic).get().id();
        org.apache.kafka.common.Uuid kid = new org.apache.kafka.common.Uuid(id.getMostSignificantBits(), id.getLeastSignificantBits());
        TopicDescription d = admin.describeTopics(org.apache.kafka.common.TopicCollection.ofTopicIds(List.of(kid)))
                .allTopicIds().get(10, TimeUnit.SECONDS).get(kid);
        assertEquals(topic, d.name());
        assertEquals(1, d.partitions().size());

        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = admin.describeConfigs(List.of(res),
                new org.apache.kafka.clients.admin.DescribeConfigsOptions().includeSynonyms(true))
                .all().get(10, TimeUnit.SECONDS).get(res);
        List<ConfigEntry.ConfigSynonym> synonyms = config.get("retention.ms").synonyms();
        assertEquals(2, synonyms.size());
        assertEquals("5000", synonyms.get(0).value());
        assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, synonyms.get(0).source());
        assertEquals("604800000", synonyms.get(1).value());
        assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, synonyms.get(1).source());

        admin.deleteTopics(org.apache.kafka.common.TopicCollection.ofTopicIds(List.of(kid))).all().get(10, TimeUnit.SECONDS);
        assertFalse(cluster.topic(topic).isPresent());
    }

    @Test
    public void producerAutoCreatesTopic() throws Exception {
        String topic = "auto-created";
        try (KafkaProducer<byte[], byte[]> producer = producer("none")) {
            RecordMetadata md = producer.send(new ProducerRecord<>(topic, bytes("k"), bytes("v"))).get(20, TimeUnit.SECONDS);
            assertEquals(0, md.offset());
        }
        assertTrue(cluster.topic(topic).isPresent());
        assertEquals(1, cluster.topic(topic).get().partitions().size());
    }
}
