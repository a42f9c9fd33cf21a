package io.chronik.itests;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;

/**
 * Metadata as exactly one broker answers it: one Metadata request (v12) on a socket of its own to that broker's port,
 * not to whichever broker a client would pick. For checking that every node answers alike. Blocking, at most 10 s
 * per request; any thread.
 */
final class NodeMetadata {
    private NodeMetadata() {
    }

    /** The broker at {@code port}'s Metadata for {@code topics} (all topics when none are given). */
    static MetadataResponseData metadata(int port, String... topics) throws Exception {
        short version = 12;
        MetadataRequestData data = new MetadataRequestData().setAllowAutoTopicCreation(false);
        if (topics.length == 0) {
            data.setTopics(null);
        }
        for (String t : topics) {
            data.topics().add(new MetadataRequestData.MetadataRequestTopic().setName(t));
        }
        ByteBuffer request = new MetadataRequest.Builder(data).build(version)
                .serializeWithHeader(new RequestHeader(ApiKeys.METADATA, version, "chronik-itests", 1));
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            byte[] bytes = new byte[request.remaining()];
            request.get(bytes);
            out.writeInt(bytes.length);
            out.write(bytes);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] response = new byte[in.readInt()];
            in.readFully(response);
            ByteBuffer buf = ByteBuffer.wrap(response);
            ResponseHeader.parse(buf, ApiKeys.METADATA.responseHeaderVersion(version));
            return new MetadataResponseData(new ByteBufferAccessor(buf), version);
        }
    }

    /** Partition index → replica ids of {@code topic} in {@code m}. */
    static Map<Integer, List<Integer>> replicas(MetadataResponseData m, String topic) {
        Map<Integer, List<Integer>> replicas = new TreeMap<>();
        for (MetadataResponseData.MetadataResponsePartition p : m.topics().find(topic).partitions()) {
            replicas.put(p.partitionIndex(), p.replicaNodes());
        }
        return replicas;
    }

    /** Partition index → in-sync replica ids of {@code topic} in {@code m}. */
    static Map<Integer, List<Integer>> isr(MetadataResponseData m, String topic) {
        Map<Integer, List<Integer>> isr = new TreeMap<>();
        for (MetadataResponseData.MetadataResponsePartition p : m.topics().find(topic).partitions()) {
            isr.put(p.partitionIndex(), p.isrNodes());
        }
        return isr;
    }

    /** Broker ids listed in {@code m}, sorted. */
    static List<Integer> brokers(MetadataResponseData m) {
        return m.brokers().stream().map(MetadataResponseData.MetadataResponseBroker::nodeId).sorted().toList();
    }
}
