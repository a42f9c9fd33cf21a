package io.chronik.protocol.kafka.internal.group;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.protocol.kafka.internal.codec.KafkaErrors;
import io.chronik.protocol.kafka.internal.group.GroupCoordinator.FetchedOffset;
import io.chronik.protocol.kafka.internal.group.GroupCoordinator.FetchedOffsets;
import io.chronik.protocol.kafka.internal.group.GroupCoordinator.OffsetToCommit;
import io.chronik.protocol.kafka.internal.group.GroupRecords.Key;
import io.chronik.protocol.kafka.internal.topics.TopicIndex;

/**
 * The committed offsets of the groups (Kafka's {@code OffsetMetadataManager}): OffsetCommit, OffsetFetch and
 * OffsetDelete on a group of a shard this node coordinates, the expiry of groups that have had no members for the
 * offsets retention time, and the removal of the offsets of deleted topics. Offsets are kept in their
 * {@link ClassicGroup} and written to the group's shard; a commit is visible once it is durable.
 *
 * <p><b>Threads.</b> Requests arrive on Netty event loops and never block: each method holds the group's monitor
 * while it reads or changes the group and completes its future when the append is committed (on the consensus
 * provider's thread). {@link #expireGroups} and {@link #forgetDeletedTopics} run on the coordinator's timer thread.
 */
final class OffsetsManager {
    private static final Logger LOG = LoggerFactory.getLogger(OffsetsManager.class);

    private final GroupSettings settings;
    private final Supplier<ClusterMetadata> metadata;
    private final CoordinatedPartitions coordinated;
    private final TopicIndex topicIndex;
    private final BiConsumer<ClassicGroup, GroupMember> keepSession;
    /** The topics seen by the last sweep; used by the timer thread only. */
    private TopicIndex.Snapshot knownTopics;

    /**
     * @param topicIndex the bundle's topic-id index, which tells which topics were deleted (not closed here)
     * @param keepSession restarts a member's session timer (a commit by a member counts as a heartbeat); called
     *            holding the group's monitor
     */
    OffsetsManager(GroupSettings settings, Supplier<ClusterMetadata> metadata, CoordinatedPartitions coordinated,
            TopicIndex topicIndex, BiConsumer<ClassicGroup, GroupMember> keepSession) {
        this.settings = settings;
        this.metadata = metadata;
        this.coordinated = coordinated;
        this.topicIndex = topicIndex;
        this.keepSession = keepSession;
    }

    /**
     * OffsetCommit: per partition, the error (NONE once the commit is durable). {@code generation} -1 with an empty
     * member id is a commit from outside the group (a simple consumer or the admin client), allowed while the group
     * has no members.
     */
    CompletableFuture<Map<TopicPartition, Errors>> commitOffsets(CoordinatorShard shard, String groupId, int generation,
            String memberId, String instanceId, List<OffsetToCommit> commits) {
        ClassicGroup g = shard.group(groupId);
        if (g == null) {
            if (generation >= 0) {
                return CompletableFuture.completedFuture(all(commits, Errors.ILLEGAL_GENERATION));
            }
            g = shard.getOrCreateGroup(groupId);
        }
        String member = memberId == null ? "" : memberId;
        ClassicGroup group = g;
        synchronized (group) {
            Errors error;
            if (group.is(GroupState.DEAD)) {
                error = Errors.COORDINATOR_NOT_AVAILABLE;
            } else if (group.checkInstance(member, instanceId) == Errors.FENCED_INSTANCE_ID) {
                error = Errors.FENCED_INSTANCE_ID;
            } else if (generation < 0 && group.is(GroupState.EMPTY)) {
                error = Errors.NONE;
            } else if (group.is(GroupState.COMPLETING_REBALANCE)) {
                error = Errors.REBALANCE_IN_PROGRESS;
            } else if (!group.hasMember(member)) {
                error = Errors.UNKNOWN_MEMBER_ID;
            } else if (generation != group.generationId()) {
                error = Errors.ILLEGAL_GENERATION;
            } else {
                error = Errors.NONE;
                keepSession.accept(group, group.member(member));
            }
            if (error != Errors.NONE) {
                return CompletableFuture.completedFuture(all(commits, error));
            }
            Map<TopicPartition, Errors> result = new HashMap<>();
            List<Map.Entry<Key, byte[]>> records = new ArrayList<>();
            Map<TopicPartition, ClassicGroup.Committed> committed = new HashMap<>();
            ClusterMetadata md = metadata.get();
            long now = System.currentTimeMillis();
            for (OffsetToCommit c : commits) {
                String meta = c.metadata() == null ? "" : c.metadata();
                if (meta.length() > settings.offsetMetadataMaxBytes()) {
                    result.put(c.partition(), Errors.OFFSET_METADATA_TOO_LARGE);
                } else if (!partitionExists(md, c.partition())) {
                    result.put(c.partition(), Errors.UNKNOWN_TOPIC_OR_PARTITION);
                } else {
                    ClassicGroup.Committed value = new ClassicGroup.Committed(c.offset(), c.leaderEpoch(), meta, now);
                    committed.put(c.partition(), value);
                    records.add(new AbstractMap.SimpleImmutableEntry<>(
                            new GroupRecords.OffsetKey(groupId, c.partition().topic(), c.partition().partition()),
                            GroupRecords.offsetValue(new GroupRecords.OffsetValue(value.offset(), value.leaderEpoch(),
                                    value.metadata(), value.commitTimestamp()))));
                }
            }
            if (records.isEmpty()) {
                shard.removeIfUnused(group);
                return CompletableFuture.completedFuture(result);
            }
            group.pendingCommits++;
            return shard.append(records).handle((v, failure) -> {
                synchronized (group) {
                    group.pendingCommits--;
                    if (failure == null) {
                        group.offsets.putAll(committed);
                    }
                    shard.removeIfUnused(group);
                    Errors e = failure == null ? Errors.NONE : CoordinatorShard.appendError(failure, true);
                    for (TopicPartition tp : committed.keySet()) {
                        result.put(tp, e);
                    }
                    return result;
                }
            });
        }
    }

    private static boolean partitionExists(ClusterMetadata md, TopicPartition tp) {
        if (md == null) {
            return true; // cannot tell; the commit does not depend on it
        }
        Optional<TopicInfo> t = md.topic(tp.topic());
        return t.isPresent() && tp.partition() >= 0 && tp.partition() < t.get().partitions().size();
    }

    /** {@code error} for every partition of {@code commits}. */
    static Map<TopicPartition, Errors> all(List<OffsetToCommit> commits, Errors error) {
        Map<TopicPartition, Errors> m = new HashMap<>();
        for (OffsetToCommit c : commits) {
            m.put(c.partition(), error);
        }
        return m;
    }

    /** OffsetFetch: the committed offsets of {@code partitions} ({@code null}: all the group has). */
    FetchedOffsets fetchOffsets(CoordinatorShard shard, String groupId, Collection<TopicPartition> partitions) {
        Map<TopicPartition, FetchedOffset> out = new LinkedHashMap<>();
        ClassicGroup g = shard.group(groupId);
        if (g == null) {
            if (partitions != null) {
                for (TopicPartition tp : partitions) {
                    out.put(tp, null);
                }
            }
            return new FetchedOffsets(Errors.NONE, out);
        }
        synchronized (g) {
            if (partitions == null) {
                for (Map.Entry<TopicPartition, ClassicGroup.Committed> e : g.offsets.entrySet()) {
                    out.put(e.getKey(), fetched(e.getValue()));
                }
            } else {
                for (TopicPartition tp : partitions) {
                    ClassicGroup.Committed c = g.offsets.get(tp);
                    out.put(tp, c == null ? null : fetched(c));
                }
            }
        }
        return new FetchedOffsets(Errors.NONE, out);
    }

    private static FetchedOffset fetched(ClassicGroup.Committed c) {
        return new FetchedOffset(c.offset(), c.leaderEpoch(), c.metadata());
    }

    /** OffsetDelete: removes a group's offsets of topics its members do not subscribe to. */
    CompletableFuture<Map.Entry<Errors, Map<TopicPartition, Errors>>> deleteOffsets(CoordinatorShard shard, String groupId,
            List<TopicPartition> partitions) {
        ClassicGroup g = shard.group(groupId);
        if (g == null) {
            return CompletableFuture.completedFuture(new AbstractMap.SimpleImmutableEntry<>(Errors.GROUP_ID_NOT_FOUND, Map.of()));
        }
        synchronized (g) {
            if (g.is(GroupState.DEAD)) {
                return CompletableFuture.completedFuture(new AbstractMap.SimpleImmutableEntry<>(Errors.GROUP_ID_NOT_FOUND, Map.of()));
            }
            boolean empty = g.is(GroupState.EMPTY);
            if (!empty && !ClassicGroup.CONSUMER_PROTOCOL_TYPE.equals(g.protocolType())) {
                return CompletableFuture.completedFuture(new AbstractMap.SimpleImmutableEntry<>(Errors.NON_EMPTY_GROUP, Map.of()));
            }
            Set<String> subscribed = empty ? Set.of() : g.subscribedTopics();
            Map<TopicPartition, Errors> result = new HashMap<>();
            List<Map.Entry<Key, byte[]>> tombstones = new ArrayList<>();
            List<TopicPartition> deleted = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                if (subscribed == null || subscribed.contains(tp.topic())) {
                    result.put(tp, Errors.GROUP_SUBSCRIBED_TO_TOPIC);
                } else {
                    result.put(tp, Errors.NONE);
                    if (g.offsets.containsKey(tp)) {
                        deleted.add(tp);
                        tombstones.add(GroupRecords.offsetTombstone(groupId, tp));
                    }
                }
            }
            if (tombstones.isEmpty()) {
                return CompletableFuture.completedFuture(new AbstractMap.SimpleImmutableEntry<>(Errors.NONE, result));
            }
            return g.shard.append(tombstones).handle((v, failure) -> {
                synchronized (g) {
                    if (failure == null) {
                        deleted.forEach(g.offsets::remove);
                        return new AbstractMap.SimpleImmutableEntry<>(Errors.NONE, result);
                    }
                    return new AbstractMap.SimpleImmutableEntry<>(CoordinatorShard.appendError(failure, false), Map.of());
                }
            });
        }
    }

    /** Removes groups that have had no members for the offsets retention time. */
    void expireGroups() {
        long now = System.currentTimeMillis();
        for (CoordinatorShard shard : coordinated.active()) {
            if (!shard.current()) {
                continue;
            }
            for (ClassicGroup g : shard.groups.values()) {
                synchronized (g) {
                    if (g.isExpired(now, settings.offsetsRetentionMs())) {
                        shard.deleteGroup(g, "expired after " + settings.offsetsRetentionMs() + " ms without members")
                                .whenComplete((v, failure) -> {
                                    if (failure != null) {
                                        LOG.warn("expiring group {} failed: {}", g.groupId, KafkaErrors.unwrap(failure).toString());
                                    }
                                });
                    }
                }
            }
        }
    }

    /**
     * Removes the committed offsets of topics that were deleted since the last sweep, as Kafka does. Only topics this
     * node has seen in the same metadata service and no longer sees count as deleted (by topic id, so a topic deleted
     * and created again counts too): a lagging or replaced metadata service never causes offsets to be dropped.
     */
    void forgetDeletedTopics(ClusterMetadata md) {
        TopicIndex.Snapshot before = knownTopics;
        TopicIndex.Snapshot now = topicIndex.snapshot(md);
        knownTopics = now;
        if (before == now || before == null || before.source() != md) {
            return;
        }
        Set<String> deleted = new HashSet<>();
        for (Map.Entry<UUID, String> e : before.names().entrySet()) {
            if (!now.names().containsKey(e.getKey())) {
                deleted.add(e.getValue());
            }
        }
        if (deleted.isEmpty()) {
            return;
        }
        for (CoordinatorShard shard : coordinated.active()) {
            if (!shard.current()) {
                continue;
            }
            for (ClassicGroup g : shard.groups.values()) {
                synchronized (g) {
                    List<TopicPartition> gone = new ArrayList<>();
                    for (TopicPartition tp : g.offsets.keySet()) {
                        if (deleted.contains(tp.topic())) {
                            gone.add(tp);
                        }
                    }
                    if (gone.isEmpty()) {
                        continue;
                    }
                    List<Map.Entry<Key, byte[]>> tombstones = new ArrayList<>();
                    for (TopicPartition tp : gone) {
                        tombstones.add(GroupRecords.offsetTombstone(g.groupId, tp));
                    }
                    LOG.info("removing {} committed offsets of deleted topics {} from group {}", gone.size(), deleted, g.groupId);
                    g.shard.append(tombstones).whenComplete((v, failure) -> {
                        synchronized (g) {
                            if (failure == null) {
                                gone.forEach(g.offsets::remove);
                            }
                        }
                    });
                }
            }
        }
    }
}
