package io.chronik.protocol.kafka.internal.metrics;

import java.util.Map;

import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.ElectLeadersResponseData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.AlterConfigsResponse;
import org.apache.kafka.common.requests.AlterPartitionReassignmentsResponse;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.CreatePartitionsResponse;
import org.apache.kafka.common.requests.CreateTopicsResponse;
import org.apache.kafka.common.requests.DeleteGroupsResponse;
import org.apache.kafka.common.requests.DeleteRecordsResponse;
import org.apache.kafka.common.requests.DeleteTopicsResponse;
import org.apache.kafka.common.requests.DescribeClusterResponse;
import org.apache.kafka.common.requests.DescribeConfigsResponse;
import org.apache.kafka.common.requests.DescribeGroupsResponse;
import org.apache.kafka.common.requests.ElectLeadersResponse;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.HeartbeatResponse;
import org.apache.kafka.common.requests.IncrementalAlterConfigsResponse;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.JoinGroupResponse;
import org.apache.kafka.common.requests.LeaveGroupResponse;
import org.apache.kafka.common.requests.ListGroupsResponse;
import org.apache.kafka.common.requests.ListOffsetsResponse;
import org.apache.kafka.common.requests.ListPartitionReassignmentsResponse;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.OffsetCommitResponse;
import org.apache.kafka.common.requests.OffsetDeleteResponse;
import org.apache.kafka.common.requests.OffsetFetchResponse;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochResponse;
import org.apache.kafka.common.requests.SyncGroupResponse;

/**
 * The error codes in a response body, counted as Kafka's broker counts them for its {@code ErrorsPerSec} metric:
 * with kafka-clients' {@link AbstractResponse#errorCounts()} of the response's wrapper class, except for Produce and
 * Fetch (the hot paths), whose partition error codes (and Fetch's top-level one) are read directly, without the map
 * {@code errorCounts()} allocates. {@link Errors#NONE} is never reported. Stateless; any thread.
 */
public final class ResponseErrors {

    /** Receives the errors of one response. */
    @FunctionalInterface
    public interface Counter {
        /** {@code error} (never NONE) appears {@code n} (&gt; 0) times in the response. */
        void count(Errors error, int n);
    }

    private ResponseErrors() {
    }

    /**
     * Reports every error code in {@code body}, the response of {@code api} at {@code version}, to {@code counter}.
     * A body of an API not listed here reports nothing.
     */
    public static void count(ApiKeys api, ApiMessage body, short version, Counter counter) {
        switch (api) {
            case PRODUCE:
                for (ProduceResponseData.TopicProduceResponse t : ((ProduceResponseData) body).responses()) {
                    for (ProduceResponseData.PartitionProduceResponse p : t.partitionResponses()) {
                        code(p.errorCode(), counter);
                    }
                }
                return;
            case FETCH:
                FetchResponseData fetch = (FetchResponseData) body;
                code(fetch.errorCode(), counter);
                for (FetchResponseData.FetchableTopicResponse t : fetch.responses()) {
                    for (FetchResponseData.PartitionData p : t.partitions()) {
                        code(p.errorCode(), counter);
                    }
                }
                return;
            default:
                AbstractResponse wrapper = wrap(api, body, version);
                if (wrapper != null) {
                    for (Map.Entry<Errors, Integer> e : wrapper.errorCounts().entrySet()) {
                        if (e.getKey() != Errors.NONE && e.getValue() > 0) {
                            counter.count(e.getKey(), e.getValue());
                        }
                    }
                }
        }
    }

    private static void code(short code, Counter counter) {
        if (code != 0) {
            counter.count(Errors.forCode(code), 1);
        }
    }

    /** kafka-clients' response wrapper around {@code body}, or null for an API not implemented here. */
    private static AbstractResponse wrap(ApiKeys api, ApiMessage body, short version) {
        switch (api) {
            case LIST_OFFSETS:
                return new ListOffsetsResponse((ListOffsetsResponseData) body);
            case METADATA:
                return new MetadataResponse((MetadataResponseData) body, version);
            case OFFSET_FOR_LEADER_EPOCH:
                return new OffsetsForLeaderEpochResponse((OffsetForLeaderEpochResponseData) body);
            case DELETE_RECORDS:
                return new DeleteRecordsResponse((DeleteRecordsResponseData) body);
            case API_VERSIONS:
                return new ApiVersionsResponse((ApiVersionsResponseData) body);
            case DESCRIBE_CLUSTER:
                return new DescribeClusterResponse((DescribeClusterResponseData) body);
            case FIND_COORDINATOR:
                return new FindCoordinatorResponse((FindCoordinatorResponseData) body);
            case JOIN_GROUP:
                return new JoinGroupResponse((JoinGroupResponseData) body, version);
            case SYNC_GROUP:
                return new SyncGroupResponse((SyncGroupResponseData) body);
            case HEARTBEAT:
                return new HeartbeatResponse((HeartbeatResponseData) body);
            case LEAVE_GROUP:
                return new LeaveGroupResponse((LeaveGroupResponseData) body); // (data, version) rejects v0-2 bodies without members
            case OFFSET_COMMIT:
                return new OffsetCommitResponse((OffsetCommitResponseData) body);
            case OFFSET_FETCH:
                return new OffsetFetchResponse((OffsetFetchResponseData) body, version);
            case LIST_GROUPS:
                return new ListGroupsResponse((ListGroupsResponseData) body);
            case DESCRIBE_GROUPS:
                return new DescribeGroupsResponse((DescribeGroupsResponseData) body);
            case DELETE_GROUPS:
                return new DeleteGroupsResponse((DeleteGroupsResponseData) body);
            case OFFSET_DELETE:
                return new OffsetDeleteResponse((OffsetDeleteResponseData) body);
            case INIT_PRODUCER_ID:
                return new InitProducerIdResponse((InitProducerIdResponseData) body);
            case CREATE_TOPICS:
                return new CreateTopicsResponse((CreateTopicsResponseData) body);
            case DELETE_TOPICS:
                return new DeleteTopicsResponse((DeleteTopicsResponseData) body);
            case CREATE_PARTITIONS:
                return new CreatePartitionsResponse((CreatePartitionsResponseData) body);
            case DESCRIBE_CONFIGS:
                return new DescribeConfigsResponse((DescribeConfigsResponseData) body);
            case ALTER_CONFIGS:
                return new AlterConfigsResponse((AlterConfigsResponseData) body);
            case INCREMENTAL_ALTER_CONFIGS:
                return new IncrementalAlterConfigsResponse((IncrementalAlterConfigsResponseData) body);
            case ELECT_LEADERS:
                return new ElectLeadersResponse((ElectLeadersResponseData) body);
            case ALTER_PARTITION_REASSIGNMENTS:
                return new AlterPartitionReassignmentsResponse((AlterPartitionReassignmentsResponseData) body);
            case LIST_PARTITION_REASSIGNMENTS:
                return new ListPartitionReassignmentsResponse((ListPartitionReassignmentsResponseData) body);
            default:
                return null;
        }
    }
}
