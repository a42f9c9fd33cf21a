package io.chronik.raft.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.chronik.api.net.HostPort;

/**
 * The settings of one node, parsed and checked (from {@link RaftConfig} in OSGi, built directly by tests).
 *
 * @param peers            the metadata group's members (node id to Raft address), including this node
 * @param leaderBalance    the automatic leader rebalance ({@link LeaderBalancer})
 * @param sessionTimeoutMs how long the metadata leader waits for a broker's heartbeat before fencing it
 */
record NodeSettings(
        int nodeId,
        HostPort raftAddr,
        Map<Integer, HostPort> peers,
        Path dataDir,
        HostPort advertisedAddr,
        String rack,
        FlushPolicy flushPolicy,
        int defaultPartitions,
        int defaultReplicationFactor,
        int divisionBudget,
        long electionTimeoutMinMs,
        long electionTimeoutMaxMs,
        long requestTimeoutMs,
        long retentionCheckIntervalMs,
        long snapshotThresholdEntries,
        int maxEntryBytes,
        int maxInflightEntries,
        long raftSegmentSizeBytes,
        LeaderBalance leaderBalance, long sessionTimeoutMs) {

    /** KRaft's default {@code broker.session.timeout.ms}. */
    static final long DEFAULT_SESSION_TIMEOUT_MS = 9000;

    NodeSettings {
        if (nodeId < 0) {
            throw new IllegalArgumentException("node.id must be >= 0, got " + nodeId);
        }
        if (!peers.containsKey(nodeId)) {
            throw new IllegalArgumentException("peers must include this node (" + nodeId + "), got " + peers);
        }
        if (electionTimeoutMaxMs <= electionTimeoutMinMs) {
            throw new IllegalArgumentException("election timeout max must exceed min");
        }
        if (defaultPartitions < 1 || defaultReplicationFactor < 1 || divisionBudget < 1 || maxInflightEntries < 1) {
            throw new IllegalArgumentException("default.partitions, default.replication.factor, division.budget and "
                    + "append.max.inflight must be >= 1");
        }
        if (sessionTimeoutMs < 100) {
            throw new IllegalArgumentException("session.timeout.ms must be at least 100, got " + sessionTimeoutMs);
        }
        if (maxEntryBytes < 64 * 1024) {
            throw new IllegalArgumentException("raft.entry.max.bytes must be at least 64 KiB");
        }
        peers = Map.copyOf(peers);
        Objects.requireNonNull(leaderBalance, "leaderBalance");
    }

    Path raftDir() {
        return dataDir.resolve("raft");
    }

    Path logsDir() {
        return dataDir.resolve("logs");
    }

    Path groupsDir() {
        return dataDir.resolve("groups");
    }

    /**
     * Parses {@code peers}: empty = single node (this node only), else {@code id@host:port,id@host:port}.
     */
    static Map<Integer, HostPort> parsePeers(String peers, int nodeId, HostPort raftAddr) {
        Map<Integer, HostPort> result = new LinkedHashMap<>();
        if (peers == null || peers.isBlank()) {
            result.put(nodeId, raftAddr);
            return result;
        }
        for (String p : peers.split(",")) {
            String s = p.trim();
            if (s.isEmpty()) {
                continue;
            }
            int at = s.indexOf('@');
            if (at <= 0) {
                throw new IllegalArgumentException("peers must be id@host:port,..., got '" + s + "'");
            }
            int id;
            try {
                id = Integer.parseInt(s.substring(0, at).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("peers: bad node id in '" + s + "'");
            }
            if (result.put(id, address(s.substring(at + 1), "peers entry '" + s + "':")) != null) {
                throw new IllegalArgumentException("peers: node id " + id + " appears twice");
            }
        }
        return result;
    }

    static NodeSettings from(RaftConfig c) {
        HostPort raft = address(c.raft_addr(), "raft.addr");
        Map<Integer, HostPort> peers = parsePeers(c.peers(), c.node_id(), raft);
        return new NodeSettings(c.node_id(), raft, peers, Path.of(c.data_dir()),
                address(c.advertised_addr(), "advertised.addr"), c.rack().isBlank() ? null : c.rack().trim(),
                FlushPolicy.parse(c.flush_policy()), c.default_partitions(), c.default_replication_factor(),
                divisionBudget(c.division_budget(), peers.size(), Runtime.getRuntime().availableProcessors()),
                c.election_timeout_min_ms(), c.election_timeout_max_ms(), c.request_timeout_ms(),
                c.retention_check_interval_ms(), logThreshold(c.snapshot_log_threshold(), c.snapshot_threshold_entries()), c.raft_entry_max_bytes(),
                c.append_max_inflight(), c.raft_segment_size_bytes(),
                new LeaderBalance(c.auto_leader_rebalance_enable(), c.leader_imbalance_check_interval_seconds() * 1000L,
                        c.leader_imbalance_per_broker_percentage()), c.session_timeout_ms());
    }

    /** The default of {@code snapshot.log.threshold}. */
    static final long DEFAULT_SNAPSHOT_LOG_THRESHOLD = 10_000;

    /**
     * The Raft entries between two snapshots: {@code snapshot.log.threshold}, else its former name
     * {@code snapshot.threshold.entries}, else {@value #DEFAULT_SNAPSHOT_LOG_THRESHOLD} (a negative value is unset).
     */
    static long logThreshold(long configured, long formerKey) {
        long t = configured >= 0 ? configured : formerKey >= 0 ? formerKey : DEFAULT_SNAPSHOT_LOG_THRESHOLD;
        if (t < 1) {
            throw new IllegalArgumentException("snapshot.log.threshold must be >= 1, got " + t);
        }
        return t;
    }

    /**
     * Parses {@code text} by {@link HostPort#parse(String)} (host required, port 1-65535).
     *
     * @throws IllegalArgumentException "&lt;setting&gt; '&lt;text&gt;' is not host:port: &lt;reason&gt;"
     */
    static HostPort address(String text, String setting) {
        try {
            return HostPort.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(setting + " " + e.getMessage(), e);
        }
    }

    /**
     * The division budget: {@code configured} if positive, else one data group per two processors on each node of the
     * cluster, at least one per node. A data group's pipeline (Ratis' log writer, its flush, the commit and apply
     * threads) is a chain of thread hand-offs that keeps about two cores busy under load; more groups than that on a
     * node multiply the Raft entries, log flushes and context switches of a produce request that spans partitions
     * without adding throughput (docs/PERFORMANCE.md), while a group per node still spreads leadership over the
     * cluster.
     */
    static int divisionBudget(int configured, int nodes, int processors) {
        if (configured > 0) {
            return configured;
        }
        return Math.max(1, nodes) * Math.max(1, processors / 2);
    }

    /** Settings for tests: one node, defaults otherwise. */
    static NodeSettings singleNode(int nodeId, int raftPort, Path dataDir, FlushPolicy flush) {
        HostPort raft = new HostPort("127.0.0.1", raftPort);
        return new NodeSettings(nodeId, raft, Map.of(nodeId, raft), dataDir, new HostPort("localhost", 9092), null,
                flush, 1, 1, 64, 500, 1000, 10_000, 300_000, 1024, 2 * 1024 * 1024, 2, 16L * 1024 * 1024,
                LeaderBalance.DEFAULT, DEFAULT_SESSION_TIMEOUT_MS);
    }

    NodeSettings withSnapshotThreshold(long entries) {
        return new NodeSettings(nodeId, raftAddr, peers, dataDir, advertisedAddr, rack, flushPolicy, defaultPartitions,
                defaultReplicationFactor, divisionBudget, electionTimeoutMinMs, electionTimeoutMaxMs, requestTimeoutMs,
                retentionCheckIntervalMs, entries, maxEntryBytes, maxInflightEntries, raftSegmentSizeBytes,
                leaderBalance, sessionTimeoutMs);
    }

    NodeSettings withRaftSegmentSize(long bytes) {
        return new NodeSettings(nodeId, raftAddr, peers, dataDir, advertisedAddr, rack, flushPolicy, defaultPartitions,
                defaultReplicationFactor, divisionBudget, electionTimeoutMinMs, electionTimeoutMaxMs, requestTimeoutMs,
                retentionCheckIntervalMs, snapshotThresholdEntries, maxEntryBytes, maxInflightEntries, bytes,
                leaderBalance, sessionTimeoutMs);
    }

    NodeSettings withDivisionBudget(int budget) {
        return new NodeSettings(nodeId, raftAddr, peers, dataDir, advertisedAddr, rack, flushPolicy, defaultPartitions,
                defaultReplicationFactor, budget, electionTimeoutMinMs, electionTimeoutMaxMs, requestTimeoutMs,
                retentionCheckIntervalMs, snapshotThresholdEntries, maxEntryBytes, maxInflightEntries, raftSegmentSizeBytes,
                leaderBalance, sessionTimeoutMs);
    }

    NodeSettings withPeers(Map<Integer, HostPort> newPeers) {
        return new NodeSettings(nodeId, raftAddr, newPeers, dataDir, advertisedAddr, rack, flushPolicy, defaultPartitions,
                defaultReplicationFactor, divisionBudget, electionTimeoutMinMs, electionTimeoutMaxMs, requestTimeoutMs,
                retentionCheckIntervalMs, snapshotThresholdEntries, maxEntryBytes, maxInflightEntries, raftSegmentSizeBytes,
                leaderBalance, sessionTimeoutMs);
    }

    NodeSettings withLeaderBalance(LeaderBalance balance) {
        return new NodeSettings(nodeId, raftAddr, peers, dataDir, advertisedAddr, rack, flushPolicy, defaultPartitions,
                defaultReplicationFactor, divisionBudget, electionTimeoutMinMs, electionTimeoutMaxMs, requestTimeoutMs,
                retentionCheckIntervalMs, snapshotThresholdEntries, maxEntryBytes, maxInflightEntries, raftSegmentSizeBytes,
                balance, sessionTimeoutMs);
    }

    NodeSettings withElectionTimeouts(long minMs, long maxMs) {
        return new NodeSettings(nodeId, raftAddr, peers, dataDir, advertisedAddr, rack, flushPolicy, defaultPartitions,
                defaultReplicationFactor, divisionBudget, minMs, maxMs, requestTimeoutMs,
                retentionCheckIntervalMs, snapshotThresholdEntries, maxEntryBytes, maxInflightEntries, raftSegmentSizeBytes,
                leaderBalance, sessionTimeoutMs);
    }

    NodeSettings withSessionTimeout(long ms) {
        return new NodeSettings(nodeId, raftAddr, peers, dataDir, advertisedAddr, rack, flushPolicy, defaultPartitions,
                defaultReplicationFactor, divisionBudget, electionTimeoutMinMs, electionTimeoutMaxMs, requestTimeoutMs,
                retentionCheckIntervalMs, snapshotThresholdEntries, maxEntryBytes, maxInflightEntries, raftSegmentSizeBytes,
                leaderBalance, ms);
    }

    /**
     * The interval of a broker's heartbeats: a quarter of the session timeout (KRaft's ratio of
     * {@code broker.heartbeat.interval.ms} to {@code broker.session.timeout.ms} is 2 s to 9 s), so that a session
     * survives two lost heartbeats.
     */
    long heartbeatIntervalMs() {
        return Math.max(25, sessionTimeoutMs / 4);
    }

    List<Integer> peerIds() {
        return new ArrayList<>(peers.keySet());
    }
}
