package io.chronik.raft.internal;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import org.apache.ratis.protocol.RaftGroupId;

/**
 * The data groups this node knows: created when Ratis asks for a group's state machine (on start, for the groups
 * in its storage) or when the metadata places a partition here. Thread-safe.
 */
final class DataGroups {
    private final Map<RaftGroupId, DataGroup> groups = new ConcurrentHashMap<>();
    private final LocalServer server;
    private final LocalReplicas replicas;
    private final Supplier<MetadataState> metadata;
    private final MetadataProgress metadataApplied;

    DataGroups(LocalServer server, LocalReplicas replicas, Supplier<MetadataState> metadata,
            MetadataProgress metadataApplied) {
        this.metadataApplied = metadataApplied;
        this.server = server;
        this.replicas = replicas;
        this.metadata = metadata;
    }

    /** The group numbered {@code groupNo}, or null if this node does not know it. */
    DataGroup get(int groupNo) {
        return groups.get(Ids.dataGroup(groupNo));
    }

    /** The group {@code groupId}, or null if this node does not know it. */
    DataGroup find(RaftGroupId groupId) {
        return groups.get(groupId);
    }

    /** The group {@code groupId}, created if new ({@code groupNo} -1: not known yet, read from its partitions file). */
    DataGroup getOrCreate(RaftGroupId groupId, int groupNo) {
        DataGroup g = groups.computeIfAbsent(groupId, gid -> new DataGroup(server, replicas, metadata, metadataApplied, gid,
                groupNo));
        if (groupNo >= 0) {
            g.knowNumber(groupNo); // created by Ratis (-1) before its state machine read the number from its file
        }
        return g;
    }

    /** Forgets {@code group} (its division was removed). */
    void remove(DataGroup group) {
        groups.remove(group.groupId(), group);
    }

    Collection<DataGroup> all() {
        return groups.values();
    }
}
