package io.chronik.protocol.kafka.internal.codec;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersionCollection;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

/**
 * The APIs this broker implements and their version ranges: from the oldest version Kafka 4.x still accepts
 * (kafka-clients' {@link ApiKeys#oldestVersion()}, which reflects KIP-896) to the latest stable version of the
 * pinned kafka-clients. Exactly these are advertised in ApiVersions; anything else closes the connection.
 */
public final class ApiVersionTable {
    private static final ApiKeys[] IMPLEMENTED = {
        ApiKeys.PRODUCE, ApiKeys.FETCH, ApiKeys.LIST_OFFSETS, ApiKeys.METADATA, ApiKeys.FIND_COORDINATOR,
        ApiKeys.API_VERSIONS, ApiKeys.CREATE_TOPICS, ApiKeys.DELETE_TOPICS, ApiKeys.DELETE_RECORDS,
        ApiKeys.INIT_PRODUCER_ID, ApiKeys.OFFSET_FOR_LEADER_EPOCH, ApiKeys.DESCRIBE_CONFIGS, ApiKeys.ALTER_CONFIGS,
        ApiKeys.CREATE_PARTITIONS, ApiKeys.INCREMENTAL_ALTER_CONFIGS, ApiKeys.DESCRIBE_CLUSTER,
        ApiKeys.ELECT_LEADERS, ApiKeys.ALTER_PARTITION_REASSIGNMENTS, ApiKeys.LIST_PARTITION_REASSIGNMENTS,
        // the classic consumer-group protocol (not KIP-848's ConsumerGroupHeartbeat)
        ApiKeys.JOIN_GROUP, ApiKeys.SYNC_GROUP, ApiKeys.HEARTBEAT, ApiKeys.LEAVE_GROUP, ApiKeys.OFFSET_COMMIT,
        ApiKeys.OFFSET_FETCH, ApiKeys.LIST_GROUPS, ApiKeys.DESCRIBE_GROUPS, ApiKeys.DELETE_GROUPS, ApiKeys.OFFSET_DELETE,
    };

    private static final Map<ApiKeys, short[]> RANGES;

    static {
        Map<ApiKeys, short[]> m = new EnumMap<>(ApiKeys.class);
        for (ApiKeys k : IMPLEMENTED) {
            m.put(k, new short[] {k.oldestVersion(), k.latestVersion(false)});
        }
        RANGES = Collections.unmodifiableMap(m);
    }

    private ApiVersionTable() {
    }

    public static boolean implemented(ApiKeys key) {
        return RANGES.containsKey(key);
    }

    public static boolean supported(ApiKeys key, short version) {
        short[] r = RANGES.get(key);
        return r != null && version >= r[0] && version <= r[1];
    }

    public static short min(ApiKeys key) {
        return RANGES.get(key)[0];
    }

    public static short max(ApiKeys key) {
        return RANGES.get(key)[1];
    }

    /** The ApiVersions response body listing every implemented API. */
    public static ApiVersionsResponseData response(Errors error) {
        ApiVersionCollection keys = new ApiVersionCollection(RANGES.size());
        for (Map.Entry<ApiKeys, short[]> e : RANGES.entrySet()) {
            keys.add(new ApiVersion().setApiKey(e.getKey().id).setMinVersion(e.getValue()[0]).setMaxVersion(e.getValue()[1]));
        }
        return new ApiVersionsResponseData().setErrorCode(error.code()).setApiKeys(keys).setThrottleTimeMs(0);
    }
}
