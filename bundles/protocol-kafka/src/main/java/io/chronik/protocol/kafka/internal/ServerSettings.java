package io.chronik.protocol.kafka.internal;

import java.net.InetSocketAddress;

import io.chronik.protocol.kafka.internal.group.GroupSettings;

/** The listener's settings, resolved from configuration. Immutable. */
public record ServerSettings(String addr, int nodeId, int maxRequestBytes, boolean autoCreateTopics, int numPartitions,
        short defaultReplicationFactor, int fetchMaxWaitCapMs, int ioThreads, int maxInflightRequests, GroupSettings groups) {

    public ServerSettings {
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
        bindAddress(addr); // validates (and resolves) the address
    }

    static ServerSettings from(KafkaProtocolConfig c) {
        return new ServerSettings(c.kafka_addr(), c.node_id(), c.max_request_bytes(), c.auto_create_topics_enable(),
                c.num_partitions(), c.default_replication_factor(), Math.max(0, c.fetch_max_wait_cap_ms()), c.io_threads(),
                c.max_inflight_requests(), new GroupSettings(c.group_initial_rebalance_delay_ms(),
                        c.group_min_session_timeout_ms(), c.group_max_session_timeout_ms(), c.group_max_size(),
                        c.offsets_topic_num_partitions(), c.offsets_topic_replication_factor(),
                        c.offsets_retention_minutes() * 60_000L, c.offsets_retention_check_interval_ms(),
                        c.offset_metadata_max_bytes()));
    }

    /** Settings with defaults, listening on {@code addr}. */
    public static ServerSettings defaults(String addr) {
        return new ServerSettings(addr, 0, 100 * 1024 * 1024, true, 1, (short) 1, 30000, 0, 100, GroupSettings.defaults());
    }

    public ServerSettings withAutoCreate(boolean enabled, int partitions) {
        return new ServerSettings(addr, nodeId, maxRequestBytes, enabled, partitions, defaultReplicationFactor,
                fetchMaxWaitCapMs, ioThreads, maxInflightRequests, groups);
    }

    public ServerSettings withMaxRequestBytes(int max) {
        return new ServerSettings(addr, nodeId, max, autoCreateTopics, numPartitions, defaultReplicationFactor,
                fetchMaxWaitCapMs, ioThreads, maxInflightRequests, groups);
    }

    public ServerSettings withGroups(GroupSettings g) {
        return new ServerSettings(addr, nodeId, maxRequestBytes, autoCreateTopics, numPartitions, defaultReplicationFactor,
                fetchMaxWaitCapMs, ioThreads, maxInflightRequests, g);
    }

    /** Parses {@code host:port}, {@code :port} or {@code [v6addr]:port}. */
    public static InetSocketAddress bindAddress(String addr) {
        if (addr == null) {
            throw new IllegalArgumentException("kafka.addr is not set");
        }
        int colon = addr.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("kafka.addr must be host:port: " + addr);
        }
        String host = addr.substring(0, colon).trim();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(addr.substring(colon + 1).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("kafka.addr has no valid port: " + addr);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("kafka.addr has no valid port: " + addr);
        }
        return host.isEmpty() || host.equals("*") ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }
}
