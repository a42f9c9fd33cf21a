package io.chronik.protocol.kafka.internal.metrics;

import static org.junit.Assert.assertEquals;

import java.util.EnumMap;
import java.util.Map;

import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.junit.Test;

import io.chronik.protocol.kafka.internal.codec.ApiVersionTable;

public class ResponseErrorsTest {

    private static Map<Errors, Integer> errors(ApiKeys api, ApiMessage body, short version) {
        Map<Errors, Integer> m = new EnumMap<>(Errors.class);
        ResponseErrors.count(api, body, version, (e, n) -> m.merge(e, n, Integer::sum));
        return m;
    }

    private static ProduceResponseData.PartitionProduceResponse produced(int partition, Errors error) {
        return new ProduceResponseData.PartitionProduceResponse().setIndex(partition).setErrorCode(error.code());
    }

    @Test
    public void produceCountsEveryFailedPartitionAndNeverNone() {
        ProduceResponseData resp = new ProduceResponseData();
        ProduceResponseData.TopicProduceResponse t = new ProduceResponseData.TopicProduceResponse().setName("t");
        t.partitionResponses().add(produced(0, Errors.NONE));
        t.partitionResponses().add(produced(1, Errors.NOT_LEADER_OR_FOLLOWER));
        t.partitionResponses().add(produced(2, Errors.NOT_LEADER_OR_FOLLOWER));
        t.partitionResponses().add(produced(3, Errors.REQUEST_TIMED_OUT));
        resp.responses().add(t);
        assertEquals(Map.of(Errors.NOT_LEADER_OR_FOLLOWER, 2, Errors.REQUEST_TIMED_OUT, 1),
                errors(ApiKeys.PRODUCE, resp, (short) 11));
    }

    @Test
    public void fetchCountsTheTopLevelErrorAndThePartitions() {
        FetchResponseData session = new FetchResponseData().setErrorCode(Errors.FETCH_SESSION_ID_NOT_FOUND.code());
        assertEquals(Map.of(Errors.FETCH_SESSION_ID_NOT_FOUND, 1), errors(ApiKeys.FETCH, session, (short) 12));

        FetchResponseData resp = new FetchResponseData();
        FetchResponseData.FetchableTopicResponse t = new FetchResponseData.FetchableTopicResponse().setTopic("t");
        t.partitions().add(new FetchResponseData.PartitionData().setPartitionIndex(0));
        t.partitions().add(new FetchResponseData.PartitionData().setPartitionIndex(1)
                .setErrorCode(Errors.OFFSET_OUT_OF_RANGE.code()));
        resp.responses().add(t);
        assertEquals(Map.of(Errors.OFFSET_OUT_OF_RANGE, 1), errors(ApiKeys.FETCH, resp, (short) 12));
    }

    /** Every implemented API's response, as a handler starts it (all fields at their defaults), at every version. */
    @Test
    public void readsTheResponseOfEveryImplementedApiAtEveryVersion() {
        int apis = 0;
        for (ApiKeys api : ApiKeys.values()) {
            if (!ApiVersionTable.implemented(api)) {
                continue;
            }
            apis++;
            for (short v = ApiVersionTable.min(api); v <= ApiVersionTable.max(api); v++) {
                assertEquals(api + " v" + v, Map.of(), errors(api, api.messageType.newResponse(), v));
            }
        }
        assertEquals("the APIs of RequestDispatcher", 29, apis);
    }

    @Test
    public void otherApisAreCountedByKafkaClientsErrorCounts() {
        MetadataResponseData md = new MetadataResponseData();
        md.topics().add(new MetadataResponseData.MetadataResponseTopic().setName("gone")
                .setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code()));
        md.topics().add(new MetadataResponseData.MetadataResponseTopic().setName("ok"));
        assertEquals(Map.of(Errors.UNKNOWN_TOPIC_OR_PARTITION, 1), errors(ApiKeys.METADATA, md, (short) 12));

        JoinGroupResponseData join = new JoinGroupResponseData().setErrorCode(Errors.MEMBER_ID_REQUIRED.code());
        assertEquals(Map.of(Errors.MEMBER_ID_REQUIRED, 1), errors(ApiKeys.JOIN_GROUP, join, (short) 9));

        ApiVersionsResponseData ok = new ApiVersionsResponseData();
        assertEquals(Map.of(), errors(ApiKeys.API_VERSIONS, ok, (short) 3));
    }
}
