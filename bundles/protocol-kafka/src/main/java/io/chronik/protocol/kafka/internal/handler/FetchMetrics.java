package io.chronik.protocol.kafka.internal.handler;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import io.chronik.api.metrics.MetricSink;
import io.chronik.api.metrics.MetricSource;
import io.chronik.metrics.recorder.DurationHistogram;
import io.chronik.protocol.kafka.internal.metrics.TopicMetrics;

/**
 * Follower reads as this node serves them, a {@link MetricSource} labelled {@code node_id}:
 * <ul>
 * <li>{@code chronik_fetch_follower_partitions_total}: partitions this node answered as a follower without error,
 * with or without records;</li>
 * <li>{@code chronik_fetch_follower_bytes_total}: record bytes in those answers;</li>
 * <li>{@code chronik_fetch_follower_refused_total{reason}}: partitions of consumer fetches this node, a follower,
 * answered NOT_LEADER_OR_FOLLOWER, by {@link FollowerReads.Refusal} ({@code disabled}, {@code not_in_sync},
 * {@code read_index_failed}, {@code fenced});</li>
 * <li>{@code chronik_fetch_preferred_replica_redirects_total}: partitions this node, the leader, answered by naming
 * another replica as the preferred read replica (KIP-392);</li>
 * <li>{@code chronik_fetch_follower_read_index_wait_seconds}: histogram of the time a fetch waited for the ReadIndex
 * barriers of its follower partitions (one observation per fetch that waited, failed and timed-out barriers
 * included).</li>
 * </ul>
 * A fetch is counted once, with the pass over its partitions that went into its response ({@link #responded}), not
 * with each re-read of a long poll. Thread-safe; {@link #collect} only reads counters.
 */
final class FetchMetrics implements MetricSource {
    private final String nodeId;
    private final LongAdder followerPartitions = new LongAdder();
    private final LongAdder followerBytes = new LongAdder();
    private final LongAdder redirects = new LongAdder();
    private final Map<FollowerReads.Refusal, LongAdder> refused = new EnumMap<>(FollowerReads.Refusal.class);
    private final DurationHistogram readIndexWait = DurationHistogram.latency();

    FetchMetrics(int nodeId) {
        this.nodeId = Integer.toString(nodeId);
        for (FollowerReads.Refusal r : FollowerReads.Refusal.values()) {
            refused.put(r, new LongAdder());
        }
    }

    private record TopicBytes(String topic, long bytes) {
    }

    /** What one pass over a fetch's partitions did; filled by one thread, then given to {@link #responded}. */
    static final class Tally {
        private int followerPartitions;
        private long followerBytes;
        private int redirects;
        private final int[] refused = new int[FollowerReads.Refusal.values().length];
        /** Record bytes served per topic; null until a topic has any. */
        private List<TopicBytes> topicBytes;

        /** A partition answered as a follower without error, with {@code bytes} of records (possibly 0). */
        void servedAsFollower(long bytes) {
            followerPartitions++;
            followerBytes += bytes;
        }

        void refused(FollowerReads.Refusal reason) {
            refused[reason.ordinal()]++;
        }

        void redirected() {
            redirects++;
        }

        /** {@code bytes} (&gt; 0) of records of {@code topic} went into the response, as leader or follower. */
        void servedTopic(String topic, long bytes) {
            if (topicBytes == null) {
                topicBytes = new ArrayList<>(2);
            }
            topicBytes.add(new TopicBytes(topic, bytes));
        }

        /** Adds the bytes served per topic to {@code topics} (Kafka's BytesOutPerSec); once per response. */
        void countTopics(TopicMetrics topics) {
            if (topicBytes != null) {
                for (TopicBytes t : topicBytes) {
                    topics.fetched(t.topic(), t.bytes());
                }
            }
        }
    }

    /** Counts the pass whose result became a fetch's response. */
    void responded(Tally t) {
        if (t.followerPartitions > 0) {
            followerPartitions.add(t.followerPartitions);
            followerBytes.add(t.followerBytes);
        }
        if (t.redirects > 0) {
            redirects.add(t.redirects);
        }
        for (FollowerReads.Refusal r : FollowerReads.Refusal.values()) {
            if (t.refused[r.ordinal()] > 0) {
                refused.get(r).add(t.refused[r.ordinal()]);
            }
        }
    }

    /** A fetch's follower barriers, asked for at {@code startNanos} ({@link System#nanoTime()}), are all done. */
    void barriersDone(long startNanos) {
        readIndexWait.recordSince(startNanos);
    }

    @Override
    public void collect(MetricSink sink) {
        sink.family("chronik_fetch_follower_partitions", "Partition reads this node answered as a follower",
                MetricSink.Type.COUNTER, "node_id").sample(followerPartitions.sum(), nodeId);
        sink.family("chronik_fetch_follower_bytes", "Record bytes this node served as a follower",
                MetricSink.Type.COUNTER, "node_id").sample(followerBytes.sum(), nodeId);
        MetricSink.Family refusals = sink.family("chronik_fetch_follower_refused",
                "Follower partition reads answered NOT_LEADER_OR_FOLLOWER, by reason", MetricSink.Type.COUNTER,
                "node_id", "reason");
        for (FollowerReads.Refusal r : FollowerReads.Refusal.values()) {
            refusals.sample(refused.get(r).sum(), nodeId, r.label());
        }
        sink.family("chronik_fetch_preferred_replica_redirects",
                "Partition reads this node, the leader, answered by naming another preferred read replica",
                MetricSink.Type.COUNTER, "node_id").sample(redirects.sum(), nodeId);
        readIndexWait.writeTo(sink.histogram("chronik_fetch_follower_read_index_wait_seconds",
                "Time a fetch waited for the ReadIndex barriers of its follower partitions",
                readIndexWait.upperBoundsSeconds(), "node_id"), nodeId);
    }
}
