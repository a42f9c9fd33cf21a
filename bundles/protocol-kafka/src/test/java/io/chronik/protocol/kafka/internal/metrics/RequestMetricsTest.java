package io.chronik.protocol.kafka.internal.metrics;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;

import java.util.Map;

import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.Test;

import io.chronik.testing.RecordingMetricSink;

public class RequestMetricsTest {
    private final RequestMetrics metrics = new RequestMetrics(7);

    private static ProduceResponseData produceResponse(Errors... partitionErrors) {
        ProduceResponseData resp = new ProduceResponseData();
        ProduceResponseData.TopicProduceResponse t = new ProduceResponseData.TopicProduceResponse().setName("t");
        for (int i = 0; i < partitionErrors.length; i++) {
            t.partitionResponses().add(new ProduceResponseData.PartitionProduceResponse().setIndex(i)
                    .setErrorCode(partitionErrors[i].code()));
        }
        resp.responses().add(t);
        return resp;
    }

    @Test
    public void countsRequestsDurationsAndErrorsByApi() {
        long a = metrics.received(ApiKeys.PRODUCE);
        long b = metrics.received(ApiKeys.PRODUCE);
        long c = metrics.received(ApiKeys.HEARTBEAT);
        metrics.received(ApiKeys.PRODUCE); // still in flight
        metrics.completed(ApiKeys.PRODUCE, a, produceResponse(Errors.NONE, Errors.NOT_LEADER_OR_FOLLOWER), (short) 11);
        metrics.completed(ApiKeys.PRODUCE, b, null, (short) 0); // acks=0: no response
        metrics.completed(ApiKeys.HEARTBEAT, c,
                new HeartbeatResponseData().setErrorCode(Errors.REBALANCE_IN_PROGRESS.code()), (short) 4);

        Map<String, Double> m = RecordingMetricSink.collect(metrics);
        assertEquals(3.0, m.get("chronik_kafka_requests_total{node_id=\"7\",api=\"Produce\"}"), 0);
        assertEquals(1.0, m.get("chronik_kafka_requests_total{node_id=\"7\",api=\"Heartbeat\"}"), 0);
        assertEquals(2.0, m.get("chronik_kafka_request_duration_seconds_count{node_id=\"7\",api=\"Produce\"}"), 0);
        assertEquals(2.0, m.get("chronik_kafka_request_duration_seconds_bucket{node_id=\"7\",api=\"Produce\",le=\"30.0\"}"), 0);
        assertEquals(1.0, m.get("chronik_kafka_request_errors_total{node_id=\"7\",api=\"Produce\",error=\"NOT_LEADER_OR_FOLLOWER\"}"), 0);
        assertEquals(1.0, m.get("chronik_kafka_request_errors_total{node_id=\"7\",api=\"Heartbeat\",error=\"REBALANCE_IN_PROGRESS\"}"), 0);
        assertNull("NONE is not an error", m.get("chronik_kafka_request_errors_total{node_id=\"7\",api=\"Produce\",error=\"NONE\"}"));
        assertFalse("APIs never requested are not written",
                m.keySet().stream().anyMatch(k -> k.contains("api=\"Fetch\"")));
    }
}
