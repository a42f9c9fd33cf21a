package io.chronik.itests.jvm;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.Records;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.kafka.common.utils.Utils;

/**
 * Kafka requests to exactly one node, on a socket of its own to that node's port: Metadata, a Produce the Java
 * producer would never send to a follower, and Fetch of one partition's whole log as that node serves it (a
 * follower serves it after its ReadIndex barrier). Blocking; any thread.
 */
public final class RawKafka {
    private RawKafka() {
    }

    /** One record as read back: offset, leader epoch of its batch, value as UTF-8. */
    public record Entry(long offset, int epoch, String value) {
    }

    public static MetadataResponseData metadata(int port, String... topics) throws Exception {
        short v = 12;
        MetadataRequestData data = new MetadataRequestData().setAllowAutoTopicCreation(false);
        if (topics.length == 0) {
            data.setTopics(null);
        }
        for (String t : topics) {
            data.topics().add(new MetadataRequestData.MetadataRequestTopic().setName(t));
        }
        return new MetadataResponseData(new ByteBufferAccessor(exchange(port, ApiKeys.METADATA, v, data, 10_000)), v);
    }

    /** Broker ids in {@code m}, sorted. */
    public static List<Integer> brokers(MetadataResponseData m) {
        return m.brokers().stream().map(MetadataResponseData.MetadataResponseBroker::nodeId).sorted().toList();
    }

    /** Records with these UTF-8 values in one (non-idempotent) batch. */
    public static MemoryRecords records(String... values) {
        MemoryRecordsBuilder b = MemoryRecords.builder(ByteBuffer.allocate(1024 + values.length * 64), RecordBatch.MAGIC_VALUE_V2,
                Compression.NONE, TimestampType.CREATE_TIME, 0L);
        for (String v : values) {
            b.append(System.currentTimeMillis(), null, v.getBytes(StandardCharsets.UTF_8));
        }
        return b.build();
    }

    /**
     * One Produce (v12, {@code acks=-1}) of {@code values} to {@code topic}-{@code partition} at the node on
     * {@code port}; returns the whole response. {@code timeoutMs} is the request's timeout (the socket waits 5 s longer).
     */
    public static ProduceResponseData produce(int port, String topic, int partition, int timeoutMs, String... values)
            throws Exception {
        short v = 12;
        ProduceRequestData d = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(timeoutMs);
        ProduceRequestData.TopicProduceData td = new ProduceRequestData.TopicProduceData().setName(topic);
        td.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(partition).setRecords(records(values)));
        d.topicData().add(td);
        return new ProduceResponseData(new ByteBufferAccessor(exchange(port, ApiKeys.PRODUCE, v, d, timeoutMs + 5000)), v);
    }

    /** The only partition's response in a Produce response. */
    public static ProduceResponseData.PartitionProduceResponse only(ProduceResponseData r) {
        return r.responses().iterator().next().partitionResponses().get(0);
    }

    /**
     * {@code topic}-{@code partition}'s records from {@code from} on, as the node on {@code port} serves them to a
     * consumer (Fetch v12, no session, read_uncommitted): fetches until one returns nothing new, so the last fetch is
     * at the end of the log, where a follower first passes a ReadIndex barrier (everything committed when the read
     * began is included). Fails with {@link AssertionError} naming
     * the error when the node refuses (NOT_LEADER_OR_FOLLOWER for a follower not in sync, ...).
     */
    public static List<Entry> readLog(int port, String topic, int partition, long from) throws Exception {
        List<Entry> out = new ArrayList<>();
        long offset = from;
        while (true) {
            FetchResponseData.PartitionData p = fetch(port, topic, partition, offset);
            if (p.errorCode() != 0) {
                throw new AssertionError("fetch of " + topic + "-" + partition + " at " + offset + " from port " + port
                        + ": " + Errors.forCode(p.errorCode()));
            }
            int before = out.size();
            Records records = (Records) p.records();
            if (records != null) {
                for (RecordBatch batch : records.batches()) {
                    for (Record r : batch) {
                        if (r.offset() >= offset) {
                            out.add(new Entry(r.offset(), batch.partitionLeaderEpoch(),
                                    r.value() == null ? null : StandardCharsets.UTF_8.decode(r.value()).toString()));
                        }
                    }
                }
            }
            if (out.size() == before) {
                return out;
            }
            // go on until a fetch brings nothing new: the one at (or past) the node's high watermark is the one for which
            // a follower passes its ReadIndex barrier first, as for a consumer polling at the end of the log
            offset = out.get(out.size() - 1).offset() + 1;
        }
    }

    /** The high watermark of {@code topic}-{@code partition} as the node on {@code port} reports it in a Fetch. */
    public static long highWatermark(int port, String topic, int partition) throws Exception {
        FetchResponseData.PartitionData p = fetch(port, topic, partition, 0);
        if (p.errorCode() != 0) {
            throw new AssertionError("fetch of " + topic + "-" + partition + " from port " + port + ": "
                    + Errors.forCode(p.errorCode()));
        }
        return p.highWatermark();
    }

    /** One Fetch (v12) of one partition from {@code offset}, at most 1 MiB, not waiting for data. */
    public static FetchResponseData.PartitionData fetch(int port, String topic, int partition, long offset) throws Exception {
        short v = 12;
        FetchRequestData d = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(0).setMinBytes(0)
                .setMaxBytes(1 << 20).setIsolationLevel((byte) 0).setSessionId(0).setSessionEpoch(-1);
        d.topics().add(new FetchRequestData.FetchTopic().setTopic(topic).setPartitions(List.of(
                new FetchRequestData.FetchPartition().setPartition(partition).setFetchOffset(offset)
                        .setPartitionMaxBytes(1 << 20).setCurrentLeaderEpoch(-1).setLogStartOffset(-1))));
        FetchResponseData r = new FetchResponseData(new ByteBufferAccessor(exchange(port, ApiKeys.FETCH, v, d, 15_000)), v);
        if (r.errorCode() != 0) {
            throw new AssertionError("fetch from port " + port + ": " + Errors.forCode(r.errorCode()));
        }
        return r.responses().get(0).partitions().get(0);
    }

    /** Sends {@code body} with a request header and returns the response's body (after its header). */
    static ByteBuffer exchange(int port, ApiKeys api, short version, ApiMessage body, int socketTimeoutMs) throws Exception {
        RequestHeaderData h = new RequestHeaderData().setRequestApiKey(api.id).setRequestApiVersion(version)
                .setClientId("chronik-jvm-itests").setCorrelationId(1);
        short hv = api.requestHeaderVersion(version);
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = h.size(cache, hv) + body.size(cache, version);
        ByteBuffer buf = ByteBuffer.allocate(size);
        ByteBufferAccessor acc = new ByteBufferAccessor(buf);
        h.write(acc, cache, hv);
        body.write(acc, cache, version);
        buf.flip();
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(socketTimeoutMs);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeInt(size);
            out.write(Utils.toArray(buf));
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] response = new byte[in.readInt()];
            in.readFully(response);
            ByteBuffer r = ByteBuffer.wrap(response);
            ResponseHeader.parse(r, api.responseHeaderVersion(version));
            return r;
        }
    }
}
