package io.chronik.launcher;

import java.util.List;

/**
 * The public settings of a Chronik node: each has a {@code --flag}, a {@code CHRONIK_*} environment variable, a
 * key in {@code conf/chronik.properties} and a built-in default, in that order of precedence. Each is published
 * to the OSGi framework as the property {@link #property()} ({@code chronik.<key>}), from where the
 * configuration files in {@code conf/config} take it.
 */
enum Setting {
    NODE_ID("node-id", "CHRONIK_NODE_ID", "1", "This node's id, a positive integer unique in the cluster."),
    KAFKA_ADDR("kafka-addr", "CHRONIK_KAFKA_ADDR", "0.0.0.0:9092", "host:port the Kafka listener binds."),
    ADVERTISED_ADDR("advertised-addr", "CHRONIK_ADVERTISED_ADDR", null,
            "host[:port] given to clients in Metadata (default: localhost and the Kafka port)."),
    RACK("rack", "CHRONIK_RACK", "",
            "This broker's rack (failure domain), reported to clients; replicas of a partition go to distinct racks. Empty: none."),
    RAFT_ADDR("raft-addr", "CHRONIK_RAFT_ADDR", "127.0.0.1:5001", "host:port of this node's Raft transport."),
    TRANSPORT("transport", "CHRONIK_TRANSPORT", "grpc",
            "Raft transport: grpc (between processes, on --raft-addr) or memory (inside this JVM: a single node without a Raft socket)."),
    PEERS("peers", "CHRONIK_CLUSTER_PEERS", "",
            "Cluster members as id@host:port,id@host:port,... (Raft addresses), this node included; empty means a single node. "
                    + "A node with a fresh data dir whose id the running members do not have joins them as a metadata listener."),
    DATA_DIR("data-dir", "CHRONIK_DATA_DIR", null, "Directory for all node data; created if missing (default: data/ in the distribution)."),
    METRICS_ADDR("metrics-addr", "CHRONIK_METRICS_ADDR", "0.0.0.0:9101", "host:port of the Prometheus /metrics endpoint."),
    OBJECT_STORE("object-store", "CHRONIK_OBJECT_STORE", "local",
            "Object store for snapshots and tiered segments: local (under the data dir) or s3 (needs --s3-bucket)."),
    S3_BUCKET("s3-bucket", "CHRONIK_S3_BUCKET", "",
            "S3 bucket of the s3 object store; it must exist. Credentials: the AWS SDK's chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, roles)."),
    S3_ENDPOINT("s3-endpoint", "CHRONIK_S3_ENDPOINT", "",
            "http(s):// URL of an S3-compatible server (MinIO, s3proxy, ...); empty: AWS S3."),
    S3_REGION("s3-region", "CHRONIK_S3_REGION", "",
            "S3 signing region; empty: the SDK's region chain (AWS_REGION, profile), else us-east-1."),
    S3_PATH_STYLE("s3-path-style", "CHRONIK_S3_PATH_STYLE", "false",
            "true: bucket in the URL path (most S3-compatible servers); false: in the host name (AWS)."),
    S3_KEY_PREFIX("s3-key-prefix", "CHRONIK_S3_KEY_PREFIX", "",
            "Prefix of every object key in the bucket (e.g. cluster-1), so clusters can share a bucket; empty: none."),
    FLUSH_POLICY("flush-policy", "CHRONIK_FLUSH_POLICY", "raft",
            "When data reaches the disk: raft (fsync before acknowledging) or os (left to the OS, as Kafka's default)."),
    AUTO_LEADER_REBALANCE_ENABLE("auto-leader-rebalance-enable", "CHRONIK_AUTO_LEADER_REBALANCE_ENABLE", "true",
            "Whether leadership moves back to preferred replicas automatically: true or false (Kafka's default: true)."),
    LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS("leader-imbalance-check-interval-seconds",
            "CHRONIK_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS", "300",
            "Seconds between two leader imbalance checks (Kafka's default: 300)."),
    SESSION_TIMEOUT_MS("session-timeout-ms", "CHRONIK_SESSION_TIMEOUT_MS", "9000",
            "Milliseconds without a heartbeat after which the metadata leader fences a broker (at least 100)."),
    FETCH_FROM_FOLLOWERS("fetch-from-followers", "CHRONIK_FETCH_FROM_FOLLOWERS", "true",
            "Whether followers serve consumer fetches (read-your-writes through ReadIndex) and leaders send consumers with client.rack to a same-rack replica: true or false."),
    FETCH_FOLLOWER_MAX_WAIT_MS("fetch-follower-max-wait-ms", "CHRONIK_FETCH_FOLLOWER_MAX_WAIT_MS", "5000",
            "Milliseconds a follower waits for its ReadIndex barrier before it sends the consumer back to the leader."),
    SNAPSHOT_ENABLED("snapshot-enabled", "CHRONIK_SNAPSHOT_ENABLED", "true",
            "Archive Raft snapshots to the object store: true or false (local snapshots are taken regardless; log compaction needs them)."),
    SNAPSHOT_LOG_THRESHOLD("snapshot-log-threshold", "CHRONIK_SNAPSHOT_LOG_THRESHOLD", "10000",
            "Raft entries of a group between two of its snapshots (a positive integer)."),
    SNAPSHOT_TIME_THRESHOLD_SECS("snapshot-time-threshold-secs", "CHRONIK_SNAPSHOT_TIME_THRESHOLD_SECS", "3600",
            "Seconds after which a group that applied entries since its last snapshot takes one; 0: off."),
    SNAPSHOT_MAX_CONCURRENT("snapshot-max-concurrent", "CHRONIK_SNAPSHOT_MAX_CONCURRENT", "2",
            "Snapshot uploads to the object store at once on this node (a positive integer)."),
    SNAPSHOT_COMPRESSION("snapshot-compression", "CHRONIK_SNAPSHOT_COMPRESSION", "gzip",
            "Codec of archived snapshots (and segments): gzip, zstd or none."),
    SNAPSHOT_RETENTION_COUNT("snapshot-retention-count", "CHRONIK_SNAPSHOT_RETENTION_COUNT", "3",
            "Archived snapshots kept per group in the object store (a positive integer)."),
    LOG_LEVEL("log-level", "CHRONIK_LOG_LEVEL", "info", "Log level: trace, debug, info, warn or error.");

    /** The object stores this distribution ships. */
    static final List<String> OBJECT_STORES = List.of("local", "s3");

    /** The codecs archived snapshots may be compressed with. */
    static final List<String> SNAPSHOT_CODECS = List.of("gzip", "zstd", "none");

    /** The Raft transports this distribution ships (bundles io.chronik.transport.grpc and io.chronik.transport.memory). */
    static final List<String> TRANSPORTS = List.of("grpc", "memory");

    /** The flush policies of the consensus provider. */
    static final List<String> FLUSH_POLICIES = List.of("raft", "os");

    private final String flag;
    private final String env;
    private final String defaultValue;
    private final String help;

    Setting(String flag, String env, String defaultValue, String help) {
        this.flag = flag;
        this.env = env;
        this.defaultValue = defaultValue;
        this.help = help;
    }

    String flag() {
        return flag;
    }

    String env() {
        return env;
    }

    /** Key in conf/chronik.properties, e.g. {@code kafka.addr}. */
    String key() {
        return flag.replace('-', '.');
    }

    /** Framework property, e.g. {@code chronik.kafka.addr}. */
    String property() {
        return "chronik." + key();
    }

    String defaultValue() {
        return defaultValue;
    }

    String help() {
        return help;
    }

    static Setting byFlag(String flag) {
        for (Setting s : values()) {
            if (s.flag.equals(flag)) {
                return s;
            }
        }
        return null;
    }
}
