package io.chronik.protocol.kafka.internal;

import java.util.Objects;

import io.chronik.api.net.HostPort;
import io.chronik.protocol.kafka.internal.group.GroupSettings;

/**
 * The listener's settings, resolved from configuration. Immutable.
 *
 * @param addr the address the Kafka listener binds ({@code kafka.addr}; an empty host binds every interface)
 * @param metricsTopicLabelsMax {@code metrics.topic.labels.max}: the most topics whose traffic metrics get a
 *                              {@code topic} label of their own; the traffic of further topics is added under
 *                              {@code topic="_other"} (0: all of it). Not negative
 */
public record ServerSettings(HostPort addr, int nodeId, int maxRequestBytes, boolean autoCreateTopics, int numPartitions,
        short defaultReplicationFactor, int fetchMaxWaitCapMs, int ioThreads, int maxInflightRequests, GroupSettings groups,
        FollowerFetch followerFetch, int metricsTopicLabelsMax) {
    /** Default of {@code metrics.topic.labels.max}. */
    public static final int DEFAULT_METRICS_TOPIC_LABELS_MAX = 1000;

    /**
     * Follower reads (KIP-392 with read-your-writes).
     *
     * @param enabled   {@code fetch.from.followers}: followers serve consumer fetches and leaders name same-rack
     *                  replicas; off, followers answer NOT_LEADER_OR_FOLLOWER and no replica is named
     * @param maxWaitMs {@code fetch.follower.max.wait.ms}: the longest a follower waits for its ReadIndex barrier
     */
    public record FollowerFetch(boolean enabled, int maxWaitMs) {
        public FollowerFetch {
            if (maxWaitMs <= 0) {
                throw new IllegalArgumentException("fetch.follower.max.wait.ms must be positive: " + maxWaitMs);
            }
        }

        public static final FollowerFetch DEFAULTS = new FollowerFetch(true, 5000);
    }

    public ServerSettings {
        Objects.requireNonNull(addr, "addr");
        Objects.requireNonNull(followerFetch, "followerFetch");
        if (maxRequestBytes <= 0) {
            throw new IllegalArgumentException("max.request.bytes must be positive: " + maxRequestBytes);
        }
        if (numPartitions <= 0) {
            throw new IllegalArgumentException("num.partitions must be positive: " + numPartitions);
        }
        if (defaultReplicationFactor <= 0) {
            throw new IllegalArgumentException("default.replication.factor must be positive: " + defaultReplicationFactor);
        }
        if (maxInflightRequests <= 0) {
            throw new IllegalArgumentException("max.inflight.requests must be positive: " + maxInflightRequests);
        }
        if (metricsTopicLabelsMax < 0) {
            throw new IllegalArgumentException("metrics.topic.labels.max must not be negative: " + metricsTopicLabelsMax);
        }
    }

    static ServerSettings from(KafkaProtocolConfig c) {
        return new ServerSettings(listenAddress(c.kafka_addr()), c.node_id(), c.max_request_bytes(), c.auto_create_topics_enable(),
                c.num_partitions(), c.default_replication_factor(), Math.max(0, c.fetch_max_wait_cap_ms()), c.io_threads(),
                c.max_inflight_requests(), new GroupSettings(c.group_initial_rebalance_delay_ms(),
                        c.group_min_session_timeout_ms(), c.group_max_session_timeout_ms(), c.group_max_size(),
                        c.offsets_topic_num_partitions(), c.offsets_topic_replication_factor(),
                        c.offsets_retention_minutes() * 60_000L, c.offsets_retention_check_interval_ms(),
                        c.offset_metadata_max_bytes()),
                new FollowerFetch(c.fetch_from_followers(), c.fetch_follower_max_wait_ms()), c.metrics_topic_labels_max());
    }

    /** Settings with defaults, listening on {@code addr} (parsed by {@link #listenAddress}). */
    public static ServerSettings defaults(String addr) {
        return new ServerSettings(listenAddress(addr), 0, 100 * 1024 * 1024, true, 1, (short) 1, 30000, 0, 100, GroupSettings.defaults(),
                FollowerFetch.DEFAULTS, DEFAULT_METRICS_TOPIC_LABELS_MAX);
    }

    public ServerSettings withAutoCreate(boolean enabled, int partitions) {
        return new ServerSettings(addr, nodeId, maxRequestBytes, enabled, partitions, defaultReplicationFactor,
                fetchMaxWaitCapMs, ioThreads, maxInflightRequests, groups, followerFetch, metricsTopicLabelsMax);
    }

    public ServerSettings withMaxRequestBytes(int max) {
        return new ServerSettings(addr, nodeId, max, autoCreateTopics, numPartitions, defaultReplicationFactor,
                fetchMaxWaitCapMs, ioThreads, maxInflightRequests, groups, followerFetch, metricsTopicLabelsMax);
    }

    public ServerSettings withGroups(GroupSettings g) {
        return new ServerSettings(addr, nodeId, maxRequestBytes, autoCreateTopics, numPartitions, defaultReplicationFactor,
                fetchMaxWaitCapMs, ioThreads, maxInflightRequests, g, followerFetch, metricsTopicLabelsMax);
    }

    public ServerSettings withMetricsTopicLabelsMax(int max) {
        return new ServerSettings(addr, nodeId, maxRequestBytes, autoCreateTopics, numPartitions, defaultReplicationFactor,
                fetchMaxWaitCapMs, ioThreads, maxInflightRequests, groups, followerFetch, max);
    }

    public ServerSettings withFollowerFetch(FollowerFetch f) {
        return new ServerSettings(addr, nodeId, maxRequestBytes, autoCreateTopics, numPartitions, defaultReplicationFactor,
                fetchMaxWaitCapMs, ioThreads, maxInflightRequests, groups, f, metricsTopicLabelsMax);
    }

    /**
     * Parses {@code kafka.addr} by {@link HostPort#parseListen}: {@code host:port}, {@code :port} (every interface)
     * or {@code [v6addr]:port}; port 0 picks a free port.
     *
     * @throws IllegalArgumentException "kafka.addr '&lt;addr&gt;' is not host:port: &lt;reason&gt;"
     */
    public static HostPort listenAddress(String addr) {
        try {
            return HostPort.parseListen(addr);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("kafka.addr " + e.getMessage(), e);
        }
    }
}
