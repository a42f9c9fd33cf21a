package io.chronik.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.ClassRule;
import org.junit.Test;

/** The stock Java clients of kafka-clients 4.x against {@code bin/chronik start}, unchanged. */
public class KafkaClientsIT {
    private static final int RECORDS = 100_000;

    @ClassRule
    public static final RunningBroker RUNNING = new RunningBroker(ChronikProcess::copyDistribution);

    static byte[] key(int i) {
        return ("key-" + i).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] value(int i) {
        byte[] v = new byte[100];
        ByteBuffer.wrap(v).putInt(i).putLong(i * 31L);
        for (int j = 12; j < v.length; j++) {
            v[j] = (byte) ('a' + (i + j) % 26);
        }
        return v;
    }

    static int indexOf(ConsumerRecord<byte[], byte[]> r) {
        return Integer.parseInt(new String(r.key(), StandardCharsets.UTF_8).substring(4));
    }

    /** Sends {@code count} records round-robin over the partitions, each with key, value, header and timestamp. */
    static List<RecordMetadata> produce(Broker b, String topic, int partitions, int count, long baseTimestamp, String compression)
            throws Exception {
        var props = b.producerConfig();
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
        ConcurrentLinkedQueue<Exception> errors = new ConcurrentLinkedQueue<>();
        List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>(count);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < count; i++) {
                RecordHeaders headers = new RecordHeaders();
                headers.add("index", Integer.toString(i).getBytes(StandardCharsets.UTF_8));
                sent.add(producer.send(new ProducerRecord<>(topic, i % partitions, baseTimestamp + i, key(i), value(i), headers),
                        (metadata, e) -> {
                            if (e != null) {
                                errors.add(e);
                            }
                        }));
            }
            producer.flush();
        }
        assertTrue("produce errors: " + errors, errors.isEmpty());
        List<RecordMetadata> acks = new ArrayList<>(count);
        for (var f : sent) {
            acks.add(f.get());
        }
        return acks;
    }

    /** Reads every record of the partitions from the beginning until {@code expected} have arrived. */
    static List<ConsumerRecord<byte[], byte[]>> consumeAll(Broker b, String topic, int partitions, int expected) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>(expected);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(b.consumerConfig())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                tps.add(new TopicPartition(topic, p));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            long deadline = System.currentTimeMillis() + 120_000;
            while (out.size() < expected && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(out::add);
            }
        }
        assertEquals("records consumed from " + topic, expected, out.size());
        return out;
    }

    static void createTopic(Broker b, String topic, int partitions) throws Exception {
        try (Admin a = Admin.create(b.adminConfig())) {
            a.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
        }
    }

    @Test
    public void producerAndConsumerRoundTripWithEveryCompressionCodec() throws Exception {
        for (String codec : List.of("none", "gzip", "snappy", "lz4", "zstd")) {
            String topic = "roundtrip-" + codec;
            RUNNING.admin().createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
            long base = System.currentTimeMillis() - 3_600_000L;
            produce(RUNNING.broker(), topic, 3, RECORDS, base, codec);

            long[] nextOffset = new long[3];
            boolean[] seen = new boolean[RECORDS];
            for (ConsumerRecord<byte[], byte[]> r : consumeAll(RUNNING.broker(), topic, 3, RECORDS)) {
                int i = indexOf(r);
                assertFalse(codec + ": record " + i + " twice", seen[i]);
                seen[i] = true;
                assertEquals(codec, i % 3, r.partition());
                assertEquals(codec + ": offsets are dense per partition", nextOffset[r.partition()]++, r.offset());
                assertArrayEquals(codec, value(i), r.value());
                assertEquals(codec, base + i, r.timestamp());
                assertArrayEquals(codec, Integer.toString(i).getBytes(StandardCharsets.UTF_8), r.headers().lastHeader("index").value());
            }
        }
    }

    @Test
    public void adminClientCreatesDescribesAltersAndDeletesTopicsAndConfigs() throws Exception {
        String topic = "admin-topic";
        RUNNING.admin().createTopics(List.of(new NewTopic(topic, 2, (short) 1).configs(Map.of("retention.ms", "3600000")))).all().get();
        ExecutionException dup = assertThrows(ExecutionException.class,
                () -> RUNNING.admin().createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get());
        assertTrue(dup.getCause().toString(), dup.getCause() instanceof TopicExistsException);
        ExecutionException bad = assertThrows(ExecutionException.class, () -> RUNNING.admin().createTopics(
                List.of(new NewTopic("bad-config", 1, (short) 1).configs(Map.of("retention.ms", "soon")))).all().get());
        assertTrue(bad.getCause().toString(), bad.getCause() instanceof InvalidConfigurationException);
        RUNNING.admin().createTopics(List.of(new NewTopic("validate-only", 1, (short) 1)), new CreateTopicsOptions().validateOnly(true)).all().get();
        assertFalse(RUNNING.admin().listTopics().names().get().contains("validate-only"));

        TopicDescription description = RUNNING.admin().describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        assertEquals(2, description.partitions().size());

        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = RUNNING.admin().describeConfigs(List.of(resource)).all().get().get(resource);
        assertEquals("3600000", config.get("retention.ms").value());
        assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, config.get("retention.ms").source());
        assertNotNull("broker default reported", config.get("segment.bytes"));
        assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, config.get("segment.bytes").source());

        RUNNING.admin().incrementalAlterConfigs(Map.of(resource, List.of(
                new AlterConfigOp(new ConfigEntry("retention.bytes", "1048576"), AlterConfigOp.OpType.SET),
                new AlterConfigOp(new ConfigEntry("retention.ms", ""), AlterConfigOp.OpType.DELETE)))).all().get();
        config = RUNNING.admin().describeConfigs(List.of(resource)).all().get().get(resource);
        assertEquals("1048576", config.get("retention.bytes").value());
        assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, config.get("retention.ms").source());

        RUNNING.admin().createPartitions(Map.of(topic, NewPartitions.increaseTo(4))).all().get();
        assertEquals(4,
                RUNNING.admin().describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size());

        produce(RUNNING.broker(), topic, 4, 400, System.currentTimeMillis(), "none");
        TopicPartition p0 = new TopicPartition(topic, 0);
        RUNNING.admin().deleteRecords(Map.of(p0, RecordsToDelete.beforeOffset(60))).all().get();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(RUNNING.broker().consumerConfig())) {
            assertEquals(Long.valueOf(60), consumer.beginningOffsets(List.of(p0)).get(p0));
            assertEquals(Long.valueOf(100), consumer.endOffsets(List.of(p0)).get(p0));
        }

        assertNotNull(RUNNING.admin().describeCluster().clusterId().get());
        assertEquals(1, RUNNING.admin().describeCluster().nodes().get().size());

        RUNNING.admin().deleteTopics(List.of(topic)).all().get();
        long deadline = System.currentTimeMillis() + 10_000;
        while (RUNNING.admin().listTopics().names().get().contains(topic) && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertFalse(RUNNING.admin().listTopics().names().get().contains(topic));
    }

    @Test
    public void producingToAnUnknownTopicCreatesIt() throws Exception {
        String topic = "auto-created";
        produce(RUNNING.broker(), topic, 1, 10, System.currentTimeMillis(), "none");
        assertTrue(RUNNING.admin().listTopics().names().get().contains(topic));
        assertEquals(10, consumeAll(RUNNING.broker(), topic, 1, 10).size());
    }

    @Test
    public void aRestartKeepsAllDataAndOffsetsContinue() throws Exception {
        try (Broker own = Broker.start(RUNNING.broker().home)) {
            createTopic(own, "restart", 3);
            produce(own, "restart", 3, 3_000, System.currentTimeMillis(), "lz4");
            own.stop();
            own.start();
            assertEquals(3_000, consumeAll(own, "restart", 3, 3_000).size());
            List<RecordMetadata> acks = produce(own, "restart", 3, 300, System.currentTimeMillis(), "none");
            for (RecordMetadata m : acks) {
                assertTrue("offsets continue after the restart: " + m, m.offset() >= 1_000);
            }
            assertEquals(3_300, consumeAll(own, "restart", 3, 3_300).size());
        }
    }

    @Test
    public void killMinus9RightAfterAcknowledgementsLosesNone() throws Exception {
        try (Broker own = Broker.start(RUNNING.broker().home)) {
            createTopic(own, "durable", 3);
            List<RecordMetadata> acks = produce(own, "durable", 3, 20_000, System.currentTimeMillis(), "none");
            own.kill();
            own.start();
            Map<TopicPartition, Set<Long>> stored = new HashMap<>();
            Collection<ConsumerRecord<byte[], byte[]>> records = consumeAll(own, "durable", 3, 20_000);
            for (ConsumerRecord<byte[], byte[]> r : records) {
                stored.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), k -> new java.util.HashSet<>()).add(r.offset());
                assertArrayEquals(value(indexOf(r)), r.value());
            }
            for (RecordMetadata m : acks) {
                assertTrue("acknowledged " + m + " survives kill -9",
                        stored.getOrDefault(new TopicPartition(m.topic(), m.partition()), Set.of()).contains(m.offset()));
            }
        }
    }
}
