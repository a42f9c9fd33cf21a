package io.chronik.log;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;

/**
 * The per-topic settings of a {@link SegmentLog}, named and defaulted like Kafka's topic configs. Immutable and
 * thread-safe. Build it with {@link #of(Map)} from a topic's effective configs; names this class does not know
 * (for example {@code min.insync.replicas}) are ignored, known names are validated.
 */
public final class LogConfig {

    public static final String SEGMENT_BYTES = "segment.bytes";
    public static final String SEGMENT_MS = "segment.ms";
    public static final String RETENTION_MS = "retention.ms";
    public static final String RETENTION_BYTES = "retention.bytes";
    public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
    public static final String MESSAGE_TIMESTAMP_TYPE = "message.timestamp.type";
    public static final String INDEX_INTERVAL_BYTES = "index.interval.bytes";
    public static final String SEGMENT_INDEX_BYTES = "segment.index.bytes";
    public static final String CLEANUP_POLICY = "cleanup.policy";
    public static final String COMPRESSION_TYPE = "compression.type";
    public static final String MESSAGE_TIMESTAMP_BEFORE_MAX_MS = "message.timestamp.before.max.ms";
    public static final String MESSAGE_TIMESTAMP_AFTER_MAX_MS = "message.timestamp.after.max.ms";

    /**
     * Kafka's replication throttle lists, which {@code kafka-reassign-partitions --throttle} sets and {@code --verify}
     * clears. Kept as topic configs so that the tool works; they have no effect (replication is Raft's).
     */
    public static final String LEADER_REPLICATION_THROTTLED_REPLICAS = "leader.replication.throttled.replicas";
    public static final String FOLLOWER_REPLICATION_THROTTLED_REPLICAS = "follower.replication.throttled.replicas";

    public static final String CREATE_TIME = "CreateTime";
    public static final String LOG_APPEND_TIME = "LogAppendTime";

    private static final Map<String, String> DEFAULTS;

    static {
        Map<String, String> d = new LinkedHashMap<>();
        d.put(SEGMENT_BYTES, "1073741824");
        d.put(SEGMENT_MS, "604800000");
        d.put(RETENTION_MS, "604800000");
        d.put(RETENTION_BYTES, "-1");
        d.put(MAX_MESSAGE_BYTES, "1048588");
        d.put(MESSAGE_TIMESTAMP_TYPE, CREATE_TIME);
        d.put(INDEX_INTERVAL_BYTES, "4096");
        d.put(SEGMENT_INDEX_BYTES, "10485760");
        d.put(CLEANUP_POLICY, "delete");
        d.put(COMPRESSION_TYPE, "producer");
        d.put(MESSAGE_TIMESTAMP_BEFORE_MAX_MS, Long.toString(Long.MAX_VALUE));
        d.put(MESSAGE_TIMESTAMP_AFTER_MAX_MS, "3600000");
        d.put(LEADER_REPLICATION_THROTTLED_REPLICAS, "");
        d.put(FOLLOWER_REPLICATION_THROTTLED_REPLICAS, "");
        DEFAULTS = Collections.unmodifiableMap(d);
    }

    private static final Set<String> COMPRESSION_TYPES = Set.of("producer", "none", "uncompressed", "gzip", "snappy",
            "lz4", "zstd");

    private static final LogConfig DEFAULT;

    static {
        try {
            DEFAULT = of(Map.of());
        } catch (ConsensusException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int segmentBytes;
    private final long segmentMs;
    private final long retentionMs;
    private final long retentionBytes;
    private final int maxMessageBytes;
    private final boolean logAppendTime;
    private final int indexIntervalBytes;
    private final int segmentIndexBytes;
    private final String cleanupPolicy;
    private final String compressionType;
    /** The replication throttle lists: kept and reported, no effect. */
    private final String leaderThrottledReplicas;
    private final String followerThrottledReplicas;
    private final long timestampBeforeMaxMs;
    private final long timestampAfterMaxMs;

    private LogConfig(Map<String, String> v) throws ConsensusException {
        leaderThrottledReplicas = v.get(LEADER_REPLICATION_THROTTLED_REPLICAS);
        followerThrottledReplicas = v.get(FOLLOWER_REPLICATION_THROTTLED_REPLICAS);
        segmentBytes = (int) number(v, SEGMENT_BYTES, 14, Integer.MAX_VALUE);
        segmentMs = number(v, SEGMENT_MS, 1, Long.MAX_VALUE);
        retentionMs = number(v, RETENTION_MS, -1, Long.MAX_VALUE);
        retentionBytes = number(v, RETENTION_BYTES, -1, Long.MAX_VALUE);
        maxMessageBytes = (int) number(v, MAX_MESSAGE_BYTES, 0, Integer.MAX_VALUE);
        indexIntervalBytes = (int) number(v, INDEX_INTERVAL_BYTES, 0, Integer.MAX_VALUE);
        segmentIndexBytes = (int) number(v, SEGMENT_INDEX_BYTES, 4, Integer.MAX_VALUE);
        timestampBeforeMaxMs = number(v, MESSAGE_TIMESTAMP_BEFORE_MAX_MS, 0, Long.MAX_VALUE);
        timestampAfterMaxMs = number(v, MESSAGE_TIMESTAMP_AFTER_MAX_MS, 0, Long.MAX_VALUE);

        String tt = value(v, MESSAGE_TIMESTAMP_TYPE);
        if (CREATE_TIME.equals(tt)) {
            logAppendTime = false;
        } else if (LOG_APPEND_TIME.equals(tt)) {
            logAppendTime = true;
        } else {
            throw invalid(MESSAGE_TIMESTAMP_TYPE, tt, "must be CreateTime or LogAppendTime");
        }

        String cp = value(v, CLEANUP_POLICY).toLowerCase(Locale.ROOT);
        for (String p : cp.split(",")) {
            String policy = p.trim();
            if (policy.equals("compact")) {
                throw invalid(CLEANUP_POLICY, cp, "log compaction is not supported, only \"delete\"");
            }
            if (!policy.equals("delete")) {
                throw invalid(CLEANUP_POLICY, cp, "only \"delete\" is supported");
            }
        }
        cleanupPolicy = "delete";

        String ct = value(v, COMPRESSION_TYPE).toLowerCase(Locale.ROOT);
        if (!COMPRESSION_TYPES.contains(ct)) {
            throw invalid(COMPRESSION_TYPE, ct, "must be one of producer, uncompressed, none, gzip, snappy, lz4, zstd");
        }
        compressionType = ct;
    }

    /**
     * Builds a config from Kafka topic config names; missing names take their defaults, unknown names are ignored.
     *
     * @throws ConsensusException {@link Reason#INVALID_CONFIG} naming the first bad entry
     */
    public static LogConfig of(Map<String, String> effectiveConfigs) throws ConsensusException {
        if (effectiveConfigs == null) {
            throw new ConsensusException(Reason.INVALID_CONFIG, "configs must not be null");
        }
        Map<String, String> merged = new LinkedHashMap<>(DEFAULTS);
        for (String name : DEFAULTS.keySet()) {
            if (effectiveConfigs.containsKey(name)) {
                String value = effectiveConfigs.get(name);
                if (value == null) {
                    throw new ConsensusException(Reason.INVALID_CONFIG, "Invalid value null for configuration " + name);
                }
                merged.put(name, value.trim());
            }
        }
        return new LogConfig(merged);
    }

    /** The config with every default. */
    public static LogConfig defaultConfig() {
        return DEFAULT;
    }

    /** Every supported name mapped to its default value (unmodifiable, in a stable order). */
    public static Map<String, String> defaults() {
        return DEFAULTS;
    }

    /** The supported config names. */
    public static Set<String> names() {
        return DEFAULTS.keySet();
    }

    /** The effective value of every supported name. */
    public Map<String, String> toMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(SEGMENT_BYTES, Integer.toString(segmentBytes));
        m.put(SEGMENT_MS, Long.toString(segmentMs));
        m.put(RETENTION_MS, Long.toString(retentionMs));
        m.put(RETENTION_BYTES, Long.toString(retentionBytes));
        m.put(MAX_MESSAGE_BYTES, Integer.toString(maxMessageBytes));
        m.put(MESSAGE_TIMESTAMP_TYPE, messageTimestampType());
        m.put(INDEX_INTERVAL_BYTES, Integer.toString(indexIntervalBytes));
        m.put(SEGMENT_INDEX_BYTES, Integer.toString(segmentIndexBytes));
        m.put(CLEANUP_POLICY, cleanupPolicy);
        m.put(COMPRESSION_TYPE, compressionType);
        m.put(MESSAGE_TIMESTAMP_BEFORE_MAX_MS, Long.toString(timestampBeforeMaxMs));
        m.put(MESSAGE_TIMESTAMP_AFTER_MAX_MS, Long.toString(timestampAfterMaxMs));
        m.put(LEADER_REPLICATION_THROTTLED_REPLICAS, leaderThrottledReplicas);
        m.put(FOLLOWER_REPLICATION_THROTTLED_REPLICAS, followerThrottledReplicas);
        return Collections.unmodifiableMap(m);
    }

    /** segment.bytes: a segment is rolled before it would grow beyond this size. */
    public int segmentBytes() {
        return segmentBytes;
    }

    /** segment.ms: a segment is rolled once its first batch is older than this. */
    public long segmentMs() {
        return segmentMs;
    }

    /** retention.ms, -1 = keep forever. */
    public long retentionMs() {
        return retentionMs;
    }

    /** retention.bytes, -1 = unlimited. */
    public long retentionBytes() {
        return retentionBytes;
    }

    /** max.message.bytes: the largest record batch (including its 12-byte log overhead) accepted. */
    public int maxMessageBytes() {
        return maxMessageBytes;
    }

    /** message.timestamp.type: {@code CreateTime} or {@code LogAppendTime}. */
    public String messageTimestampType() {
        return logAppendTime ? LOG_APPEND_TIME : CREATE_TIME;
    }

    /** Whether message.timestamp.type is LogAppendTime. */
    public boolean isLogAppendTime() {
        return logAppendTime;
    }

    /** index.interval.bytes: bytes between two entries of the sparse indexes. */
    public int indexIntervalBytes() {
        return indexIntervalBytes;
    }

    /** segment.index.bytes: a segment is rolled when its offset index would exceed this size. */
    public int segmentIndexBytes() {
        return segmentIndexBytes;
    }

    /** cleanup.policy, always "delete". */
    public String cleanupPolicy() {
        return cleanupPolicy;
    }

    /** compression.type, stored and reported only: batches are never recompressed. */
    public String compressionType() {
        return compressionType;
    }

    /** message.timestamp.before.max.ms (CreateTime topics). */
    public long messageTimestampBeforeMaxMs() {
        return timestampBeforeMaxMs;
    }

    /** message.timestamp.after.max.ms (CreateTime topics). */
    public long messageTimestampAfterMaxMs() {
        return timestampAfterMaxMs;
    }

    private static String value(Map<String, String> v, String name) {
        return v.get(name);
    }

    private static long number(Map<String, String> v, String name, long min, long max) throws ConsensusException {
        String s = v.get(name);
        long n;
        try {
            n = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw invalid(name, s, "not a number");
        }
        if (n < min || n > max) {
            throw invalid(name, s, "must be in [" + min + ", " + max + "]");
        }
        return n;
    }

    private static ConsensusException invalid(String name, String value, String why) {
        return new ConsensusException(Reason.INVALID_CONFIG,
                "Invalid value " + value + " for configuration " + name + ": " + why);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogConfig && ((LogConfig) o).toMap().equals(toMap());
    }

    @Override
    public int hashCode() {
        return Objects.hash(toMap());
    }

    @Override
    public String toString() {
        return "LogConfig" + toMap();
    }
}
