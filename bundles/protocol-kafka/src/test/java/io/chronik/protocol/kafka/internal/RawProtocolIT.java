package io.chronik.protocol.kafka.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.SimpleRecord;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import io.chronik.api.consensus.TopicInfo;

/** Framing, pipelining, version negotiation and bad input at the protocol level, on plain sockets. */
public class RawProtocolIT {
    private static InMemoryCluster cluster;
    private static KafkaServer server;
    private static TopicInfo topic;
    private static TopicInfo idle;

    @BeforeClass
    public static void start() throws Exception {
        cluster = new InMemoryCluster(1);
        server = new KafkaServer(ServerSettings.defaults("127.0.0.1:0").withMaxRequestBytes(1024 * 1024),
                () -> cluster, () -> cluster);
        server.start();
        cluster.setPort(server.port());
        topic = cluster.createTopic("raw", 2, 1, Map.of()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        idle = cluster.createTopic("idle", 1, 1, Map.of()).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @AfterClass
    public static void stop() {
        server.close();
        cluster.close();
    }

    private static void assertServing() throws IOException {
        try (RawClient c = new RawClient(server.port())) {
            c.send(ApiKeys.API_VERSIONS, (short) 3, 42, new ApiVersionsRequestData().setClientSoftwareName("raw")
                    .setClientSoftwareVersion("1.0"));
            ApiVersionsResponseData r = c.receive(ApiKeys.API_VERSIONS, (short) 3, 42);
            assertEquals(Errors.NONE.code(), r.errorCode());
        }
    }

    private static byte[] records(byte magic, String... values) {
        SimpleRecord[] rs = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            rs[i] = new SimpleRecord(System.currentTimeMillis(), null, values[i].getBytes(StandardCharsets.UTF_8));
        }
        MemoryRecords m = MemoryRecords.withRecords(magic, Compression.NONE, rs);
        byte[] b = new byte[m.sizeInBytes()];
        m.buffer().get(b);
        return b;
    }

    private static ProduceRequestData produce(short acks, int partition, byte[] records) {
        ProduceRequestData d = new ProduceRequestData().setAcks(acks).setTimeoutMs(5000);
        ProduceRequestData.TopicProduceData td = new ProduceRequestData.TopicProduceData().setName("raw");
        td.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(partition)
                .setRecords(MemoryRecords.readableRecords(ByteBuffer.wrap(records))));
        d.topicData().add(td);
        return d;
    }

    private static FetchRequestData fetch(int maxWaitMs, int minBytes, int maxBytes, long offset, int... partitions) {
        return fetch(topic, maxWaitMs, minBytes, maxBytes, offset, partitions);
    }

    private static FetchRequestData fetch(TopicInfo topic, int maxWaitMs, int minBytes, int maxBytes, long offset,
            int... partitions) {
        FetchRequestData d = new FetchRequestData().setMaxWaitMs(maxWaitMs).setMinBytes(minBytes).setMaxBytes(maxBytes)
                .setSessionId(0).setSessionEpoch(-1);
        FetchRequestData.FetchTopic ft = new FetchRequestData.FetchTopic().setTopic(topic.name()).setTopicId(Broker0.id(topic));
        for (int p : partitions) {
            ft.partitions().add(new FetchRequestData.FetchPartition().setPartition(p).setFetchOffset(offset)
                    .setPartitionMaxBytes(1024 * 1024));
        }
        d.topics().add(ft);
        return d;
    }

    /** Kafka topic id of a topic info. */
    static final class Broker0 {
        static Uuid id(TopicInfo t) {
            return new Uuid(t.id().getMostSignificantBits(), t.id().getLeastSignificantBits());
        }
    }

    @Test
    public void absurdLengthPrefixesCloseTheConnection() throws Exception {
        for (int length : new int[] {Integer.MAX_VALUE, Integer.MIN_VALUE, -1, 1024 * 1024 + 1}) {
            try (RawClient c = new RawClient(server.port())) {
                c.write(ByteBuffer.allocate(4).putInt(length).array());
                assertTrue("length " + length + " closes the connection", c.closedByServer());
            }
            assertServing();
        }
    }

    @Test
    public void truncatedFrameThenCloseLeavesTheServerServing() throws Exception {
        byte[] full = RawClient.frame(ApiKeys.METADATA, (short) 12, 1, new MetadataRequestData());
        try (RawClient c = new RawClient(server.port())) {
            c.write(java.util.Arrays.copyOf(full, full.length - 3));
            // the server waits for the rest of the frame
            assertTrue(!c.closedByServerQuickly());
        }
        assertServing();
    }

    @Test
    public void unknownOrUnimplementedApiKeyClosesTheConnection() throws Exception {
        for (short key : new short[] {999, ApiKeys.JOIN_GROUP.id, -1}) {
            ByteBuffer b = ByteBuffer.allocate(4 + 14);
            b.putInt(14).putShort(key).putShort((short) 1).putInt(7).putShort((short) 4).put("test".getBytes(StandardCharsets.US_ASCII));
            try (RawClient c = new RawClient(server.port())) {
                c.write(b.array());
                assertTrue("api key " + key, c.closedByServer());
            }
        }
        assertServing();
    }

    @Test
    public void garbageBodyClosesTheConnection() throws Exception {
        // a valid Metadata v12 header followed by a varint that never ends
        byte[] header = RawClient.frame(ApiKeys.METADATA, (short) 12, 5, new MetadataRequestData());
        ByteBuffer hdrOnly = ByteBuffer.wrap(header, 4, header.length - 4).slice();
        // header v2: key(2) version(2) correlation(4) client id (2 + 8) tagged fields (1) = 19 bytes
        byte[] frame = new byte[4 + 19 + 12];
        ByteBuffer f = ByteBuffer.wrap(frame);
        f.putInt(19 + 12);
        byte[] h = new byte[19];
        hdrOnly.get(h);
        f.put(h);
        for (int i = 0; i < 12; i++) {
            f.put((byte) 0xFF);
        }
        try (RawClient c = new RawClient(server.port())) {
            c.write(frame);
            assertTrue(c.closedByServer());
        }
        // a frame too short to hold a request header
        try (RawClient c = new RawClient(server.port())) {
            c.write(new byte[] {0, 0, 0, 3, 0, 3, 0});
            assertTrue(c.closedByServer());
        }
        assertServing();
    }

    @Test
    public void unsupportedApiVersionsVersionIsAnsweredWithRanges() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            // ApiVersions v127: header v2 (flexible) with an empty body of tagged fields
            ByteBuffer b = ByteBuffer.allocate(4 + 17);
            b.putInt(17).putShort(ApiKeys.API_VERSIONS.id).putShort((short) 127).putInt(9).putShort((short) 4)
                    .put("test".getBytes(StandardCharsets.US_ASCII)).put((byte) 0).put((byte) 0).put((byte) 0);
            c.write(b.array());
            ByteBufferAccessor acc = c.receive(9, (short) 0);
            ApiVersionsResponseData r = new ApiVersionsResponseData(acc, (short) 0);
            assertEquals(Errors.UNSUPPORTED_VERSION.code(), r.errorCode());
            ApiVersionsResponseData.ApiVersion av = r.apiKeys().find(ApiKeys.API_VERSIONS.id);
            assertNotNull(av);
            assertEquals(0, av.minVersion());
            assertEquals(ApiKeys.API_VERSIONS.latestVersion(false), av.maxVersion());
            assertEquals(ApiKeys.FETCH.latestVersion(false), r.apiKeys().find(ApiKeys.FETCH.id).maxVersion());
            assertEquals(3, r.apiKeys().find(ApiKeys.PRODUCE.id).minVersion());
            // a header without the tagged fields a v2 header would have: still answered (only the correlation id counts)
            ByteBuffer v1 = ByteBuffer.allocate(4 + 14);
            v1.putInt(14).putShort(ApiKeys.API_VERSIONS.id).putShort((short) 999).putInt(11).putShort((short) 4)
                    .put("test".getBytes(StandardCharsets.US_ASCII));
            c.write(v1.array());
            ApiVersionsResponseData r2 = new ApiVersionsResponseData(c.receive(11, (short) 0), (short) 0);
            assertEquals(Errors.UNSUPPORTED_VERSION.code(), r2.errorCode());
            assertEquals(29, r2.apiKeys().size());
            // the connection stays usable: the client retries with a version it knows
            c.send(ApiKeys.API_VERSIONS, (short) 0, 10, new ApiVersionsRequestData());
            ApiVersionsResponseData ok = c.receive(ApiKeys.API_VERSIONS, (short) 0, 10);
            assertEquals(Errors.NONE.code(), ok.errorCode());
            assertEquals(29, ok.apiKeys().size());
        }
    }

    @Test
    public void unsupportedVersionOfOtherApisClosesTheConnection() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            ByteBuffer b = ByteBuffer.allocate(4 + 14);
            b.putInt(14).putShort(ApiKeys.PRODUCE.id).putShort((short) 2).putInt(7).putShort((short) 4)
                    .put("test".getBytes(StandardCharsets.US_ASCII));
            c.write(b.array());
            assertTrue(c.closedByServer());
        }
    }

    @Test
    public void responsesFollowRequestOrderWhenPipelined() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            long start = System.nanoTime();
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            // 1: a fetch on an empty partition that long-polls for 700 ms; 2, 3: instant requests behind it
            all.write(RawClient.frame(ApiKeys.FETCH, (short) 12, 1, fetch(idle, 700, 1, 1 << 20, 0, 0)));
            all.write(RawClient.frame(ApiKeys.API_VERSIONS, (short) 3, 2, new ApiVersionsRequestData()
                    .setClientSoftwareName("raw").setClientSoftwareVersion("1")));
            all.write(RawClient.frame(ApiKeys.METADATA, (short) 12, 3, new MetadataRequestData().setTopics(null)));
            c.write(all.toByteArray());
            FetchResponseData f = c.receive(ApiKeys.FETCH, (short) 12, 1);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue("the fetch waited for max_wait (" + tookMs + " ms)", tookMs >= 600);
            assertEquals(0, f.sessionId());
            assertEquals(0, ((MemoryRecords) f.responses().get(0).partitions().get(0).records()).sizeInBytes());
            ApiVersionsResponseData a = c.receive(ApiKeys.API_VERSIONS, (short) 3, 2);
            assertEquals(Errors.NONE.code(), a.errorCode());
            MetadataResponseData m = c.receive(ApiKeys.METADATA, (short) 12, 3);
            assertNotNull(m.topics().find("raw"));
            assertEquals("in-memory-cluster", m.clusterId());
        }
    }

    @Test
    public void produceValidatesAndFetchHonoursLimitsAndSessions() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            c.send(ApiKeys.PRODUCE, (short) 9, 1, produce((short) 1, 0, records(RecordBatch.MAGIC_VALUE_V1, "old")));
            ProduceResponseData r1 = c.receive(ApiKeys.PRODUCE, (short) 9, 1);
            assertEquals(Errors.UNSUPPORTED_FOR_MESSAGE_FORMAT.code(),
                    r1.responses().iterator().next().partitionResponses().get(0).errorCode());

            byte[] corrupt = records(RecordBatch.MAGIC_VALUE_V2, "a", "b");
            corrupt[corrupt.length - 1] ^= 0x55; // breaks the CRC: the log rejects it
            c.send(ApiKeys.PRODUCE, (short) 9, 2, produce((short) -1, 0, corrupt));
            ProduceResponseData r2 = c.receive(ApiKeys.PRODUCE, (short) 9, 2);
            assertEquals(Errors.CORRUPT_MESSAGE.code(), r2.responses().iterator().next().partitionResponses().get(0).errorCode());

            byte[] truncated = java.util.Arrays.copyOf(records(RecordBatch.MAGIC_VALUE_V2, "a", "b"), 40);
            c.send(ApiKeys.PRODUCE, (short) 9, 3, produce((short) 1, 0, truncated));
            ProduceResponseData r3 = c.receive(ApiKeys.PRODUCE, (short) 9, 3);
            assertEquals(Errors.CORRUPT_MESSAGE.code(), r3.responses().iterator().next().partitionResponses().get(0).errorCode());

            // acks=0 has no response: the next response is the one for correlation id 5
            c.send(ApiKeys.PRODUCE, (short) 9, 4, produce((short) 0, 0, records(RecordBatch.MAGIC_VALUE_V2, "zero")));
            c.send(ApiKeys.PRODUCE, (short) 9, 5, produce((short) 1, 0, records(RecordBatch.MAGIC_VALUE_V2, "x", "y", "z")));
            ProduceResponseData r5 = c.receive(ApiKeys.PRODUCE, (short) 9, 5);
            ProduceResponseData.PartitionProduceResponse p5 = r5.responses().iterator().next().partitionResponses().get(0);
            assertEquals(Errors.NONE.code(), p5.errorCode());
            assertEquals(1, p5.baseOffset());
            c.send(ApiKeys.PRODUCE, (short) 9, 6, produce((short) 1, 1, records(RecordBatch.MAGIC_VALUE_V2, "p1")));
            assertEquals(Errors.NONE.code(), ((ProduceResponseData) c.receive(ApiKeys.PRODUCE, (short) 9, 6))
                    .responses().iterator().next().partitionResponses().get(0).errorCode());

            // max_bytes 1: the first partition still returns one whole batch, the second nothing
            c.send(ApiKeys.FETCH, (short) 17, 7, fetch(0, 1, 1, 0, 0, 1));
            FetchResponseData f = c.receive(ApiKeys.FETCH, (short) 17, 7);
            FetchResponseData.PartitionData p0 = f.responses().get(0).partitions().get(0);
            FetchResponseData.PartitionData p1 = f.responses().get(0).partitions().get(1);
            assertEquals(Broker0.id(topic), f.responses().get(0).topicId());
            assertEquals(4, p0.highWatermark());
            assertEquals(4, p0.lastStableOffset());
            MemoryRecords got = (MemoryRecords) p0.records();
            assertEquals(1, countBatches(got));
            assertEquals(0, ((MemoryRecords) p1.records()).sizeInBytes());
            assertEquals(1, p1.highWatermark());

            // a full request creating a session (epoch 0) gets session id 0: no session was created
            FetchRequestData create = fetch(0, 1, 1 << 20, 0, 0).setSessionEpoch(0);
            c.send(ApiKeys.FETCH, (short) 17, 8, create);
            FetchResponseData f8 = c.receive(ApiKeys.FETCH, (short) 17, 8);
            assertEquals(0, f8.sessionId());
            assertEquals(Errors.NONE.code(), f8.errorCode());
            assertEquals(4, countRecords((MemoryRecords) f8.responses().get(0).partitions().get(0).records()));
            // an incremental request names a session this broker never created
            c.send(ApiKeys.FETCH, (short) 17, 9, fetch(0, 1, 1 << 20, 0, 0).setSessionId(77).setSessionEpoch(1));
            FetchResponseData f9 = c.receive(ApiKeys.FETCH, (short) 17, 9);
            assertEquals(Errors.FETCH_SESSION_ID_NOT_FOUND.code(), f9.errorCode());
            // out of range
            c.send(ApiKeys.FETCH, (short) 17, 10, fetch(0, 1, 1 << 20, 99, 0));
            FetchResponseData f10 = c.receive(ApiKeys.FETCH, (short) 17, 10);
            assertEquals(Errors.OFFSET_OUT_OF_RANGE.code(), f10.responses().get(0).partitions().get(0).errorCode());
            // old fetch version by name
            c.send(ApiKeys.FETCH, (short) 4, 11, fetch(0, 1, 1 << 20, 2, 0));
            FetchResponseData f11 = c.receive(ApiKeys.FETCH, (short) 4, 11);
            assertEquals("raw", f11.responses().get(0).topic());
            assertEquals(3, countRecords((MemoryRecords) f11.responses().get(0).partitions().get(0).records()));

            // ListOffsets: earliest, latest, max timestamp
            ListOffsetsRequestData lo = new ListOffsetsRequestData().setReplicaId(-1);
            ListOffsetsRequestData.ListOffsetsTopic lt = new ListOffsetsRequestData.ListOffsetsTopic().setName("raw");
            lt.partitions().add(new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(-2));
            lt.partitions().add(new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(1).setTimestamp(-1));
            lt.partitions().add(new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(5).setTimestamp(-1));
            lo.topics().add(lt);
            c.send(ApiKeys.LIST_OFFSETS, (short) 10, 12, lo);
            ListOffsetsResponseData lr = c.receive(ApiKeys.LIST_OFFSETS, (short) 10, 12);
            assertEquals(0, lr.topics().get(0).partitions().get(0).offset());
            assertEquals(1, lr.topics().get(0).partitions().get(1).offset());
            assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(), lr.topics().get(0).partitions().get(2).errorCode());

            OffsetForLeaderEpochRequestData oe = new OffsetForLeaderEpochRequestData().setReplicaId(-1);
            OffsetForLeaderEpochRequestData.OffsetForLeaderTopic ot =
                    new OffsetForLeaderEpochRequestData.OffsetForLeaderTopic().setTopic("raw");
            ot.partitions().add(new OffsetForLeaderEpochRequestData.OffsetForLeaderPartition().setPartition(0)
                    .setCurrentLeaderEpoch(0).setLeaderEpoch(0));
            ot.partitions().add(new OffsetForLeaderEpochRequestData.OffsetForLeaderPartition().setPartition(1)
                    .setCurrentLeaderEpoch(3).setLeaderEpoch(0));
            oe.topics().add(ot);
            c.send(ApiKeys.OFFSET_FOR_LEADER_EPOCH, (short) 4, 13, oe);
            OffsetForLeaderEpochResponseData or = c.receive(ApiKeys.OFFSET_FOR_LEADER_EPOCH, (short) 4, 13);
            OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult otr = or.topics().find("raw");
            assertEquals(4, otr.partitions().get(0).endOffset());
            assertEquals(Errors.UNKNOWN_LEADER_EPOCH.code(), otr.partitions().get(1).errorCode());
        }
    }

    private static int countBatches(MemoryRecords r) {
        int n = 0;
        for (RecordBatch b : r.batches()) {
            n++;
        }
        return n;
    }

    private static int countRecords(MemoryRecords r) {
        int n = 0;
        for (RecordBatch b : r.batches()) {
            for (org.apache.kafka.common.record.Record x : b) {
                n++;
            }
        }
        return n;
    }

    @Test
    public void groupCoordinatorIsFoundAndTransactionsAreRefused() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            // the first lookup creates __consumer_offsets; until its partitions have leaders the answer is retriable
            long deadline = System.currentTimeMillis() + 10_000;
            FindCoordinatorResponseData r;
            int correlation = 100;
            do {
                int id = correlation++;
                c.send(ApiKeys.FIND_COORDINATOR, (short) 4, id, new FindCoordinatorRequestData().setKeyType((byte) 0)
                        .setCoordinatorKeys(List.of("g1", "g2")));
                r = c.receive(ApiKeys.FIND_COORDINATOR, (short) 4, id);
                assertEquals(2, r.coordinators().size());
                assertTrue(r.toString(), r.coordinators().get(1).errorCode() == Errors.NONE.code()
                        || r.coordinators().get(1).errorCode() == Errors.COORDINATOR_NOT_AVAILABLE.code());
                assertTrue("no coordinator in time: " + r, System.currentTimeMillis() < deadline);
            } while (r.coordinators().get(1).errorCode() != Errors.NONE.code());
            assertEquals(server.port(), r.coordinators().get(1).port());
            assertEquals(cluster.localNodeId(), r.coordinators().get(1).nodeId());
            c.send(ApiKeys.FIND_COORDINATOR, (short) 2, 2, new FindCoordinatorRequestData().setKey("g"));
            FindCoordinatorResponseData r2 = c.receive(ApiKeys.FIND_COORDINATOR, (short) 2, 2);
            assertEquals(Errors.NONE.code(), r2.errorCode());
            assertEquals(server.port(), r2.port());
            c.send(ApiKeys.FIND_COORDINATOR, (short) 2, 5, new FindCoordinatorRequestData().setKey("tx").setKeyType((byte) 1));
            assertEquals(Errors.COORDINATOR_NOT_AVAILABLE.code(),
                    ((FindCoordinatorResponseData) c.receive(ApiKeys.FIND_COORDINATOR, (short) 2, 5)).errorCode());
            c.send(ApiKeys.FIND_COORDINATOR, (short) 6, 6, new FindCoordinatorRequestData().setKeyType((byte) 2)
                    .setCoordinatorKeys(List.of("share")));
            assertEquals(Errors.INVALID_REQUEST.code(),
                    ((FindCoordinatorResponseData) c.receive(ApiKeys.FIND_COORDINATOR, (short) 6, 6)).coordinators().get(0).errorCode());

            c.send(ApiKeys.INIT_PRODUCER_ID, (short) 5, 3, new InitProducerIdRequestData().setTransactionalId("tx")
                    .setTransactionTimeoutMs(1000));
            InitProducerIdResponseData i = c.receive(ApiKeys.INIT_PRODUCER_ID, (short) 5, 3);
            assertEquals(Errors.INVALID_REQUEST.code(), i.errorCode());
            c.send(ApiKeys.INIT_PRODUCER_ID, (short) 5, 4, new InitProducerIdRequestData().setTransactionalId(null)
                    .setTransactionTimeoutMs(1000));
            InitProducerIdResponseData i2 = c.receive(ApiKeys.INIT_PRODUCER_ID, (short) 5, 4);
            assertEquals(Errors.NONE.code(), i2.errorCode());
            assertTrue(i2.producerId() > 0);
            assertEquals(0, i2.producerEpoch());
        }
    }

    @Test
    public void createTopicsReportsPerTopicErrors() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            CreateTopicsRequestData d = new CreateTopicsRequestData().setTimeoutMs(5000);
            d.topics().add(new CreateTopicsRequestData.CreatableTopic().setName("raw").setNumPartitions(1).setReplicationFactor((short) 1));
            d.topics().add(new CreateTopicsRequestData.CreatableTopic().setName("bad/name").setNumPartitions(1).setReplicationFactor((short) 1));
            d.topics().add(new CreateTopicsRequestData.CreatableTopic().setName("zero").setNumPartitions(0).setReplicationFactor((short) 1));
            d.topics().add(new CreateTopicsRequestData.CreatableTopic().setName("rf").setNumPartitions(1).setReplicationFactor((short) 3));
            CreateTopicsRequestData.CreatableTopic cfg = new CreateTopicsRequestData.CreatableTopic().setName("cfg")
                    .setNumPartitions(-1).setReplicationFactor((short) -1);
            cfg.configs().add(new CreateTopicsRequestData.CreatableTopicConfig().setName("no.such.config").setValue("1"));
            d.topics().add(cfg);
            CreateTopicsRequestData.CreatableTopic ok = new CreateTopicsRequestData.CreatableTopic().setName("defaults")
                    .setNumPartitions(-1).setReplicationFactor((short) -1);
            d.topics().add(ok);
            c.send(ApiKeys.CREATE_TOPICS, (short) 7, 1, d);
            org.apache.kafka.common.message.CreateTopicsResponseData r = c.receive(ApiKeys.CREATE_TOPICS, (short) 7, 1);
            assertEquals(Errors.TOPIC_ALREADY_EXISTS.code(), r.topics().find("raw").errorCode());
            assertEquals(Errors.INVALID_TOPIC_EXCEPTION.code(), r.topics().find("bad/name").errorCode());
            assertEquals(Errors.INVALID_PARTITIONS.code(), r.topics().find("zero").errorCode());
            assertEquals(Errors.INVALID_REPLICATION_FACTOR.code(), r.topics().find("rf").errorCode());
            assertEquals(Errors.INVALID_CONFIG.code(), r.topics().find("cfg").errorCode());
            org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult created = r.topics().find("defaults");
            assertEquals(Errors.NONE.code(), created.errorCode());
            assertEquals(1, created.numPartitions());
            assertEquals(1, created.replicationFactor());
            assertTrue(!Uuid.ZERO_UUID.equals(created.topicId()));
            assertEquals(InMemoryCluster.DEFAULTS.size(), created.configs().size());
        }
    }

    @Test
    public void alterConfigsReplacesTheOverrides() throws Exception {
        cluster.createTopic("alter", 1, 1, Map.of("retention.ms", "1", "cleanup.policy", "compact"))
                .toCompletableFuture().get(5, TimeUnit.SECONDS);
        try (RawClient c = new RawClient(server.port())) {
            org.apache.kafka.common.message.AlterConfigsRequestData d = new org.apache.kafka.common.message.AlterConfigsRequestData();
            org.apache.kafka.common.message.AlterConfigsRequestData.AlterConfigsResource r =
                    new org.apache.kafka.common.message.AlterConfigsRequestData.AlterConfigsResource()
                            .setResourceType((byte) 2).setResourceName("alter");
            r.configs().add(new org.apache.kafka.common.message.AlterConfigsRequestData.AlterableConfig()
                    .setName("retention.ms").setValue("2"));
            d.resources().add(r);
            org.apache.kafka.common.message.AlterConfigsRequestData.AlterConfigsResource b =
                    new org.apache.kafka.common.message.AlterConfigsRequestData.AlterConfigsResource()
                            .setResourceType((byte) 4).setResourceName("1");
            // broker configs are static (only the replication throttles are accepted, see PartitionReassignmentIT)
            b.configs().add(new org.apache.kafka.common.message.AlterConfigsRequestData.AlterableConfig()
                    .setName("log.retention.hours").setValue("1"));
            d.resources().add(b);
            c.send(ApiKeys.ALTER_CONFIGS, (short) 2, 1, d);
            org.apache.kafka.common.message.AlterConfigsResponseData resp = c.receive(ApiKeys.ALTER_CONFIGS, (short) 2, 1);
            assertEquals(Errors.NONE.code(), resp.responses().get(0).errorCode());
            assertEquals(Errors.INVALID_REQUEST.code(), resp.responses().get(1).errorCode());
            assertEquals(Map.of("retention.ms", "2"), cluster.topic("alter").get().configs());
        }
    }

    @Test
    public void serverWithoutConsensusServicesAnswersRetriably() throws Exception {
        try (KafkaServer bare = new KafkaServer(ServerSettings.defaults("127.0.0.1:0"), () -> null, () -> null)) {
            bare.start();
            try (RawClient c = new RawClient(bare.port())) {
                c.send(ApiKeys.METADATA, (short) 12, 1, new MetadataRequestData().setTopics(null));
                MetadataResponseData m = c.receive(ApiKeys.METADATA, (short) 12, 1);
                assertEquals(0, m.brokers().size());
                c.send(ApiKeys.PRODUCE, (short) 9, 2, produce((short) 1, 0, records(RecordBatch.MAGIC_VALUE_V2, "v")));
                ProduceResponseData p = c.receive(ApiKeys.PRODUCE, (short) 9, 2);
                assertEquals(Errors.NOT_LEADER_OR_FOLLOWER.code(), p.responses().iterator().next().partitionResponses().get(0).errorCode());
            }
        }
    }

    @Test
    public void portInUseFailsWithAClearMessage() throws Exception {
        try (KafkaServer second = new KafkaServer(ServerSettings.defaults("127.0.0.1:" + server.port()), () -> cluster, () -> cluster)) {
            second.start();
            fail("binding a port in use must fail");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("cannot listen on 127.0.0.1:" + server.port() + ": "));
        }
    }
}
