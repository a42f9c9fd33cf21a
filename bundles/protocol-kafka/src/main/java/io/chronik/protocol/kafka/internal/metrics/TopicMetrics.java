package io.chronik.protocol.kafka.internal.metrics;

import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import io.chronik.api.metrics.MetricSink;
import io.chronik.api.metrics.MetricSource;

/**
 * Traffic per topic on this node, a {@link MetricSource} labelled {@code node_id} and {@code topic}:
 * <ul>
 * <li>{@code chronik_topic_bytes_in_total}: record bytes of produced batches this node, the leader, appended
 * (Kafka's {@code BytesInPerSec});</li>
 * <li>{@code chronik_topic_records_in_total}: records in them (Kafka's {@code MessagesInPerSec});</li>
 * <li>{@code chronik_topic_bytes_out_total}: record bytes this node served to consumers in Fetch responses, as leader
 * or as follower (Kafka's {@code BytesOutPerSec}; replication is Raft traffic and not counted here).</li>
 * </ul>
 * The label set is bounded by {@code metrics.topic.labels.max}: the first that many topics that see traffic get their
 * own {@code topic} value, the traffic of every further topic is added under {@code topic="_other"} (0: all of it).
 * Topics deleted from the cluster metadata give their slot back ({@link #retainOnly}); their series disappear. A topic
 * that is itself named {@code _other} is always counted under the aggregate.
 * Thread-safe; recording is a map lookup and lock-free adds.
 */
public final class TopicMetrics implements MetricSource {
    /** The {@code topic} label value of the traffic of topics beyond the cap. */
    public static final String OTHER = "_other";

    private final String nodeId;
    private final int maxTopics;
    private final Map<String, Counters> topics = new ConcurrentHashMap<>();
    /** Topics with their own counters; may briefly exceed the map's size while a slot is being claimed. */
    private final AtomicInteger claimed = new AtomicInteger();
    private final Counters other = new Counters();

    /** The counters of one topic (or of {@link #OTHER}). */
    private static final class Counters {
        final LongAdder bytesIn = new LongAdder();
        final LongAdder recordsIn = new LongAdder();
        final LongAdder bytesOut = new LongAdder();
    }

    /**
     * @param maxTopics the most topics with a label of their own ({@code metrics.topic.labels.max}), at least 0
     */
    public TopicMetrics(int nodeId, int maxTopics) {
        if (maxTopics < 0) {
            throw new IllegalArgumentException("metrics.topic.labels.max must not be negative: " + maxTopics);
        }
        this.nodeId = Integer.toString(nodeId);
        this.maxTopics = maxTopics;
    }

    private Counters of(String topic) {
        Counters c = topics.get(topic);
        if (c != null) {
            return c;
        }
        if (claimed.get() >= maxTopics || OTHER.equals(topic)) {
            return other; // a topic named _other has no series of its own: two would carry the same labels
        }
        c = topics.computeIfAbsent(topic, t -> {
            if (claimed.incrementAndGet() > maxTopics) {
                claimed.decrementAndGet();
                return null;
            }
            return new Counters();
        });
        return c == null ? other : c;
    }

    /** A produced batch of {@code records} records, {@code bytes} long, was appended to a partition of {@code topic}. */
    public void produced(String topic, long bytes, long records) {
        Counters c = of(topic);
        c.bytesIn.add(bytes);
        c.recordsIn.add(records);
    }

    /** {@code bytes} of records of {@code topic} went into a Fetch response to a consumer. */
    public void fetched(String topic, long bytes) {
        if (bytes > 0) {
            of(topic).bytesOut.add(bytes);
        }
    }

    /** Drops the counters of every topic not in {@code existing} (deleted topics), giving their slots back. */
    public void retainOnly(Set<String> existing) {
        for (Iterator<String> it = topics.keySet().iterator(); it.hasNext();) {
            String topic = it.next();
            if (!existing.contains(topic) && topics.remove(topic) != null) {
                claimed.decrementAndGet();
            }
        }
    }

    @Override
    public void collect(MetricSink sink) {
        MetricSink.Family bytesIn = sink.family("chronik_topic_bytes_in",
                "Record bytes produced to the topic and appended by this node as leader (Kafka's BytesInPerSec)",
                MetricSink.Type.COUNTER, "node_id", "topic");
        MetricSink.Family recordsIn = sink.family("chronik_topic_records_in",
                "Records produced to the topic and appended by this node as leader (Kafka's MessagesInPerSec)",
                MetricSink.Type.COUNTER, "node_id", "topic");
        MetricSink.Family bytesOut = sink.family("chronik_topic_bytes_out",
                "Record bytes of the topic this node served to consumers (Kafka's BytesOutPerSec)",
                MetricSink.Type.COUNTER, "node_id", "topic");
        for (Map.Entry<String, Counters> e : topics.entrySet()) {
            write(e.getKey(), e.getValue(), bytesIn, recordsIn, bytesOut);
        }
        write(OTHER, other, bytesIn, recordsIn, bytesOut);
    }

    private void write(String topic, Counters c, MetricSink.Family bytesIn, MetricSink.Family recordsIn,
            MetricSink.Family bytesOut) {
        bytesIn.sample(c.bytesIn.sum(), nodeId, topic);
        recordsIn.sample(c.recordsIn.sum(), nodeId, topic);
        bytesOut.sample(c.bytesOut.sum(), nodeId, topic);
    }
}
