package io.chronik.protocol.kafka.internal.metrics;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.util.Map;
import java.util.Set;

import org.junit.Test;

import io.chronik.testing.RecordingMetricSink;

public class TopicMetricsTest {

    private static String bytesIn(String topic) {
        return "chronik_topic_bytes_in_total{node_id=\"1\",topic=\"" + topic + "\"}";
    }

    @Test
    public void topicsBeyondTheCapAreAddedUnderOther() {
        TopicMetrics metrics = new TopicMetrics(1, 2);
        metrics.produced("a", 100, 3);
        metrics.produced("b", 10, 1);
        metrics.produced("c", 7, 1);
        metrics.produced("d", 5, 2);
        metrics.produced("a", 1, 1);
        metrics.fetched("b", 40);
        metrics.fetched("d", 9);
        Map<String, Double> m = RecordingMetricSink.collect(metrics);
        assertEquals(101.0, m.get(bytesIn("a")), 0);
        assertEquals(4.0, m.get("chronik_topic_records_in_total{node_id=\"1\",topic=\"a\"}"), 0);
        assertEquals(10.0, m.get(bytesIn("b")), 0);
        assertEquals(40.0, m.get("chronik_topic_bytes_out_total{node_id=\"1\",topic=\"b\"}"), 0);
        assertNull(m.get(bytesIn("c")));
        assertEquals(12.0, m.get(bytesIn(TopicMetrics.OTHER)), 0);
        assertEquals(3.0, m.get("chronik_topic_records_in_total{node_id=\"1\",topic=\"_other\"}"), 0);
        assertEquals(9.0, m.get("chronik_topic_bytes_out_total{node_id=\"1\",topic=\"_other\"}"), 0);
    }

    @Test
    public void aDeletedTopicGivesItsSlotBack() {
        TopicMetrics metrics = new TopicMetrics(1, 1);
        metrics.produced("a", 100, 1);
        metrics.produced("b", 10, 1);
        metrics.retainOnly(Set.of("b"));
        metrics.produced("b", 20, 1);
        Map<String, Double> m = RecordingMetricSink.collect(metrics);
        assertNull(m.get(bytesIn("a")));
        assertEquals(20.0, m.get(bytesIn("b")), 0);
        assertEquals(10.0, m.get(bytesIn(TopicMetrics.OTHER)), 0);
    }

    @Test
    public void aTopicNamedOtherIsCountedInTheAggregate() {
        TopicMetrics metrics = new TopicMetrics(1, 10);
        metrics.produced("_other", 100, 1);
        metrics.produced("a", 10, 1);
        Map<String, Double> m = RecordingMetricSink.collect(metrics);
        assertEquals(100.0, m.get(bytesIn(TopicMetrics.OTHER)), 0);
        assertEquals(10.0, m.get(bytesIn("a")), 0);
        assertEquals("one series per family for a, one for _other", 6, m.size());
    }

    @Test
    public void zeroTurnsTopicLabelsOff() {
        TopicMetrics metrics = new TopicMetrics(1, 0);
        metrics.produced("a", 100, 1);
        metrics.fetched("a", 30);
        Map<String, Double> m = RecordingMetricSink.collect(metrics);
        assertEquals(Map.of(bytesIn("_other"), 100.0, "chronik_topic_records_in_total{node_id=\"1\",topic=\"_other\"}", 1.0,
                "chronik_topic_bytes_out_total{node_id=\"1\",topic=\"_other\"}", 30.0), m);
    }
}
