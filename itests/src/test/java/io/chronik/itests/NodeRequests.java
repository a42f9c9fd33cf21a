package io.chronik.itests;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AlterPartitionReassignmentsRequest;
import org.apache.kafka.common.requests.DescribeClusterRequest;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;

/**
 * Requests to exactly one broker, on a socket of their own to that broker's port, not to whichever broker a client
 * would pick: Metadata, to check that every node answers alike, and requests that the Java clients would refuse to
 * send. Blocking, at most 10 s per request; any thread.
 */
final class NodeRequests {
    private NodeRequests() {
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
        ByteBuffer response = exchange(port, ApiKeys.METADATA, version, new MetadataRequest.Builder(data).build(version));
        return new MetadataResponseData(new ByteBufferAccessor(response), version);
    }

    /** The broker at {@code port}'s DescribeCluster (v2), fenced brokers included and flagged. */
    static DescribeClusterResponseData describeCluster(int port) throws Exception {
        short version = 2;
        DescribeClusterRequestData data = new DescribeClusterRequestData().setIncludeFencedBrokers(true);
        ByteBuffer response = exchange(port, ApiKeys.DESCRIBE_CLUSTER, version,
                new DescribeClusterRequest.Builder(data).build(version));
        return new DescribeClusterResponseData(new ByteBufferAccessor(response), version);
    }

    /**
     * One AlterPartitionReassignments request (v0) for one partition: move it to {@code replicas}, or cancel its
     * reassignment when {@code replicas} is null. Unlike the Admin client, sends an empty list as it is. Returns the
     * partition's error.
     */
    static Errors alterPartitionReassignment(int port, String topic, int partition, List<Integer> replicas) throws Exception {
        short version = 0;
        AlterPartitionReassignmentsRequestData data = new AlterPartitionReassignmentsRequestData().setTimeoutMs(10_000);
        data.topics().add(new AlterPartitionReassignmentsRequestData.ReassignableTopic().setName(topic).setPartitions(List.of(
                new AlterPartitionReassignmentsRequestData.ReassignablePartition().setPartitionIndex(partition).setReplicas(replicas))));
        ByteBuffer response = exchange(port, ApiKeys.ALTER_PARTITION_REASSIGNMENTS, version,
                new AlterPartitionReassignmentsRequest.Builder(data).build(version));
        AlterPartitionReassignmentsResponseData r = new AlterPartitionReassignmentsResponseData(new ByteBufferAccessor(response), version);
        if (r.errorCode() != 0) {
            return Errors.forCode(r.errorCode());
        }
        return Errors.forCode(r.responses().get(0).partitions().get(0).errorCode());
    }

    /** Sends {@code request} with a header and returns the response's body (after its header). */
    private static ByteBuffer exchange(int port, ApiKeys api, short version, AbstractRequest request) throws Exception {
        ByteBuffer bytesOut = request.serializeWithHeader(new RequestHeader(api, version, "chronik-itests", 1));
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            byte[] bytes = new byte[bytesOut.remaining()];
            bytesOut.get(bytes);
            out.writeInt(bytes.length);
            out.write(bytes);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] response = new byte[in.readInt()];
            in.readFully(response);
            ByteBuffer buf = ByteBuffer.wrap(response);
            ResponseHeader.parse(buf, api.responseHeaderVersion(version));
            return buf;
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
