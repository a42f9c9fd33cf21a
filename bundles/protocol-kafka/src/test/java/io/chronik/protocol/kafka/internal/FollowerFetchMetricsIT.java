package io.chronik.protocol.kafka.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.SimpleRecord;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import io.chronik.testing.RecordingMetricSink;

/**
 * The follower-read metrics of the Kafka protocol (FetchMetrics), driven by real Fetch requests on a socket against
 * the in-memory cluster, whose logs can be made followers, fenced, out of sync or failing their barriers.
 */
public class FollowerFetchMetricsIT {
    private static final short FETCH_V12 = 12;
    private static final String NODE = "{node_id=\"1\"}";

    private InMemoryCluster cluster;
    private KafkaServer server;
    private InMemoryCluster.Log follower;
    private InMemoryCluster.Log leader;
    private int correlation;

    @Before
    public void start() throws Exception {
        cluster = new InMemoryCluster(1);
        server = new KafkaServer(settings(ServerSettings.FollowerFetch.DEFAULTS), () -> cluster, () -> cluster);
        server.start();
        cluster.setPort(server.port());
        cluster.createTopic("f", 2, 1, Map.of()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        follower = cluster.logOf("f", 0);
        leader = cluster.logOf("f", 1);
        append(follower, "a", "b");
        append(follower, "c");
        follower.setLeader(false); // the metadata still names this node leader and in sync: it serves as a follower
    }

    @After
    public void stop() {
        server.close();
        cluster.close();
    }

    private static ServerSettings settings(ServerSettings.FollowerFetch ff) {
        ServerSettings d = ServerSettings.defaults("127.0.0.1:0");
        return new ServerSettings(d.addr(), 1, d.maxRequestBytes(), d.autoCreateTopics(), d.numPartitions(),
                d.defaultReplicationFactor(), d.fetchMaxWaitCapMs(), d.ioThreads(), d.maxInflightRequests(), d.groups(),
                ff, d.metricsTopicLabelsMax());
    }

    @Test
    public void aFollowerCountsThePartitionsAndBytesItServesOncePerResponse() throws Exception {
        PartitionData read = fetch(server, "f", 0, 0, 0, 1, null);
        assertEquals(Errors.NONE.code(), read.errorCode());
        int bytes = ((MemoryRecords) read.records()).sizeInBytes();
        assertTrue(bytes > 0);
        Map<String, Double> m = metrics();
        assertEquals(1.0, m.get("chronik_fetch_follower_partitions_total" + NODE), 0);
        assertEquals(bytes, m.get("chronik_fetch_follower_bytes_total" + NODE), 0);
        assertEquals("no barrier below the high watermark", 0.0,
                m.get("chronik_fetch_follower_read_index_wait_seconds_count" + NODE), 0);

        // a long poll at the end of both partitions: the leader partition grows twice while it waits, so the fetch
        // is read three times, but its response (the follower partition without records) counts once
        long end = follower.highWatermark();
        try (RawClient c = new RawClient(server.port())) {
            FetchRequestData d = request(800, 10 * 1024 * 1024, null);
            d.topics().get(0).partitions().add(partition(0, end));
            d.topics().get(0).partitions().add(partition(1, 0));
            c.send(ApiKeys.FETCH, FETCH_V12, ++correlation, d);
            Thread.sleep(150);
            append(leader, "x");
            Thread.sleep(150);
            append(leader, "y");
            FetchResponseData r = c.receive(ApiKeys.FETCH, FETCH_V12, correlation);
            assertEquals(2, r.responses().get(0).partitions().size());
        }
        m = metrics();
        assertEquals(2.0, m.get("chronik_fetch_follower_partitions_total" + NODE), 0);
        assertEquals("the follower partition had no new records", bytes,
                m.get("chronik_fetch_follower_bytes_total" + NODE), 0);
        assertEquals("one barrier wait, for the fetch at the high watermark", 1.0,
                m.get("chronik_fetch_follower_read_index_wait_seconds_count" + NODE), 0);
        assertEquals(1.0, m.get("chronik_fetch_follower_read_index_wait_seconds_bucket{node_id=\"1\",le=\"+Inf\"}"), 0);
        for (String reason : List.of("disabled", "not_in_sync", "read_index_failed", "fenced")) {
            assertEquals(reason, 0.0, m.get(refused(reason)), 0);
        }
        assertEquals(0.0, m.get("chronik_fetch_preferred_replica_redirects_total" + NODE), 0);
    }

    @Test
    public void refusedFollowerReadsAreCountedByReason() throws Exception {
        follower.barrierFailure = new IllegalStateException("no leader");
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER.code(), fetch(server, "f", 0, follower.highWatermark(), 0, 1, null)
                .errorCode());
        follower.barrierFailure = null;
        assertEquals(1.0, metrics().get(refused("read_index_failed")), 0);
        assertEquals(1.0, metrics().get("chronik_fetch_follower_read_index_wait_seconds_count" + NODE), 0);

        cluster.setInSyncReplicas("f", 0, List.of(2));
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER.code(), fetch(server, "f", 0, 0, 0, 1, null).errorCode());
        cluster.setInSyncReplicas("f", 0, List.of(1));
        assertEquals(1.0, metrics().get(refused("not_in_sync")), 0);

        // a fenced node sends consumers away, without waiting for a barrier
        cluster.fenceLocalBroker(true);
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER.code(), fetch(server, "f", 0, 0, 0, 1, null).errorCode());
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER.code(), fetch(server, "f", 0, follower.highWatermark(), 100, 1, null)
                .errorCode());
        assertEquals("the leader partition is still served", Errors.NONE.code(),
                fetch(server, "f", 1, 0, 0, 1, null).errorCode());
        cluster.fenceLocalBroker(false);
        Map<String, Double> m = metrics();
        assertEquals(2.0, m.get(refused("fenced")), 0);
        assertEquals(1.0, m.get("chronik_fetch_follower_read_index_wait_seconds_count" + NODE), 0);
        assertEquals(0.0, m.get("chronik_fetch_follower_partitions_total" + NODE), 0);
        assertEquals(Errors.NONE.code(), fetch(server, "f", 0, 0, 0, 1, null).errorCode());
        assertEquals(1.0, metrics().get("chronik_fetch_follower_partitions_total" + NODE), 0);

        try (KafkaServer disabled = new KafkaServer(settings(new ServerSettings.FollowerFetch(false, 5000)),
                () -> cluster, () -> cluster)) {
            disabled.start();
            assertEquals(Errors.NOT_LEADER_OR_FOLLOWER.code(), fetch(disabled, "f", 0, 0, 0, 1, null).errorCode());
            assertEquals(1.0, RecordingMetricSink.collect(disabled.metrics()).get(refused("disabled")), 0);
        }
        assertEquals(0.0, metrics().get(refused("disabled")), 0);
    }

    @Test
    public void aLeaderNamingAnotherReplicaCountsARedirect() throws Exception {
        cluster.registerBroker(2, false, "r2");
        cluster.setInSyncReplicas("f", 1, List.of(1, 2));
        PartitionData p = fetch(server, "f", 1, 0, 0, 1, "r2");
        assertEquals(Errors.NONE.code(), p.errorCode());
        assertEquals(2, p.preferredReadReplica());
        assertEquals(Errors.NONE.code(), fetch(server, "f", 1, 0, 0, 1, "r9").errorCode());
        Map<String, Double> m = metrics();
        assertEquals(1.0, m.get("chronik_fetch_preferred_replica_redirects_total" + NODE), 0);
        assertEquals("the leader's reads are not follower reads", 0.0,
                m.get("chronik_fetch_follower_partitions_total" + NODE), 0);
    }

    private Map<String, Double> metrics() {
        return RecordingMetricSink.collect(server.metrics());
    }

    private static String refused(String reason) {
        return "chronik_fetch_follower_refused_total{node_id=\"1\",reason=\"" + reason + "\"}";
    }

    private PartitionData fetch(KafkaServer s, String topic, int partition, long offset, int maxWaitMs, int minBytes,
            String rack) throws IOException {
        try (RawClient c = new RawClient(s.port())) {
            FetchRequestData d = request(maxWaitMs, minBytes, rack);
            d.topics().get(0).setTopic(topic).partitions().add(partition(partition, offset));
            c.send(ApiKeys.FETCH, FETCH_V12, ++correlation, d);
            FetchResponseData r = c.receive(ApiKeys.FETCH, FETCH_V12, correlation);
            assertEquals(Errors.NONE.code(), r.errorCode());
            return r.responses().get(0).partitions().get(0);
        }
    }

    private static FetchRequestData request(int maxWaitMs, int minBytes, String rack) {
        FetchRequestData d = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(maxWaitMs).setMinBytes(minBytes)
                .setMaxBytes(50 * 1024 * 1024).setSessionId(0).setSessionEpoch(-1).setRackId(rack == null ? "" : rack);
        d.topics().add(new FetchRequestData.FetchTopic().setTopic("f"));
        return d;
    }

    private static FetchRequestData.FetchPartition partition(int partition, long offset) {
        return new FetchRequestData.FetchPartition().setPartition(partition).setFetchOffset(offset)
                .setPartitionMaxBytes(1024 * 1024);
    }

    private static void append(InMemoryCluster.Log log, String... values) throws Exception {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = new SimpleRecord(values[i].getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        ByteBuffer batch = MemoryRecords.withRecords(Compression.NONE, records).buffer();
        log.append(batch).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
}
