package io.chronik.protocol.kafka.internal.group;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroup;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData.MemberIdentity;
import org.apache.kafka.common.message.LeaveGroupResponseData.MemberResponse;
import org.apache.kafka.common.message.ListGroupsResponseData.ListedGroup;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.ThreadUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.PartitionLogs;
import io.chronik.protocol.kafka.internal.topics.TopicIndex;

/**
 * The classic group coordinator: Kafka's group membership protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) with
 * its group state machine, and committed offsets. This class is the façade the request handlers call: it finds the
 * shard that coordinates a group here (or answers why none does), hands the request to the {@link MembershipManager}
 * or the {@link OffsetsManager}, runs the timers and closes everything.
 *
 * <p><b>Placement and durability.</b> A group belongs to partition {@code abs(hash(groupId)) % n} of the internal
 * topic {@code __consumer_offsets}; the node leading that partition is the group's only coordinator. Group metadata
 * and offset commits are records appended to that partition, so they are replicated by the partition's Raft group
 * (not by the metadata group) and survive the loss of the coordinator: the next leader replays the partition and
 * takes over. {@link CoordinatedPartitions} follows which partitions this node leads and loads them;
 * {@link CoordinatorShard} replays one partition (rebuilding its groups) and writes to it; each {@link ClassicGroup}
 * carries its own state rules, and the {@link Rebalancer} times rebalances and sessions.
 *
 * <p><b>Threads.</b> Requests arrive on Netty event loops and never block; each group is guarded by its own
 * monitor; timers (session and rebalance timeouts, the leadership sweep, offset expiry) run on one scheduler thread
 * and loads on another. The returned futures complete on those threads or on the consensus provider's.
 */
public final class GroupCoordinator implements AutoCloseable {
    public static final String OFFSETS_TOPIC = CoordinatedPartitions.OFFSETS_TOPIC;
    private static final Logger LOG = LoggerFactory.getLogger(GroupCoordinator.class);
    private static final long SWEEP_MS = 500;

    /** Where a group's coordinator is, for FindCoordinator. */
    public record Coordinator(Errors error, String message, int nodeId, String host, int port) {
    }

    /** A committed offset for OffsetFetch ({@code null} metadata never). */
    public record FetchedOffset(long offset, int leaderEpoch, String metadata) {
    }

    /** The answer to an OffsetFetch of one group: an error, or the committed offsets asked for. */
    public record FetchedOffsets(Errors error, Map<TopicPartition, FetchedOffset> offsets) {
    }

    /** The answer to a ListGroups: the groups, and an error if some could not be listed. */
    public record Listing(Errors error, List<ListedGroup> groups) {
    }

    /** An offset to commit. */
    public record OffsetToCommit(TopicPartition partition, long offset, int leaderEpoch, String metadata) {
    }

    private final GroupSettings settings;
    private final Supplier<ClusterMetadata> metadata;
    private final ScheduledThreadPoolExecutor timers;
    private final CoordinatedPartitions partitions;
    private final Rebalancer rebalancer;
    private final MembershipManager membership;
    private final OffsetsManager offsets;

    /** @param topicIndex the bundle's topic-id index, which tells which topics were deleted (not closed here) */
    public GroupCoordinator(GroupSettings settings, Supplier<ClusterMetadata> metadata, Supplier<PartitionLogs> logs,
            TopicIndex topicIndex) {
        this(settings, metadata, logs, topicIndex, 10_000);
    }

    /** @param rewriteThreshold superseded records a partition may hold before it is compacted */
    GroupCoordinator(GroupSettings settings, Supplier<ClusterMetadata> metadata, Supplier<PartitionLogs> logs,
            TopicIndex topicIndex, int rewriteThreshold) {
        this.settings = settings;
        this.metadata = metadata;
        this.partitions = new CoordinatedPartitions(settings, metadata, logs, rewriteThreshold,
                new CoordinatedPartitions.Listener() {
                    @Override
                    public void loaded(CoordinatorShard shard) {
                        GroupCoordinator.this.loaded(shard);
                    }

                    @Override
                    public void unloaded(CoordinatorShard shard) {
                        rebalancer.unloaded(shard);
                    }
                });
        this.timers = new ScheduledThreadPoolExecutor(1, ThreadUtils.createThreadFactory("chronik-group-timers", true));
        this.timers.setRemoveOnCancelPolicy(true);
        this.rebalancer = new Rebalancer(settings, timers);
        this.membership = new MembershipManager(settings, partitions, rebalancer);
        this.offsets = new OffsetsManager(settings, metadata, partitions, topicIndex, rebalancer::scheduleSession);
        timers.scheduleWithFixedDelay(this::sweep, SWEEP_MS, SWEEP_MS, TimeUnit.MILLISECONDS);
        timers.scheduleWithFixedDelay(offsets::expireGroups, settings.retentionCheckIntervalMs(),
                settings.retentionCheckIntervalMs(), TimeUnit.MILLISECONDS);
    }

    public GroupSettings settings() {
        return settings;
    }

    /** FindCoordinator for a group: the leader of the group's offsets partition. Creates the offsets topic if needed. */
    public Coordinator findCoordinator(String groupId) {
        return partitions.findCoordinator(groupId);
    }

    private CoordinatedPartitions.Lookup lookup(String groupId) {
        return partitions.lookup(groupId);
    }

    /** Follows the leadership of the offsets partitions, and the deletion of topics. */
    private void sweep() {
        try {
            partitions.sweep();
            ClusterMetadata md = metadata.get();
            if (md != null) {
                offsets.forgetDeletedTopics(md);
            }
        } catch (RuntimeException e) {
            LOG.warn("group coordinator sweep failed", e);
        }
    }

    /** A shard was loaded (its groups rebuilt from its log): its members' sessions start. */
    private void loaded(CoordinatorShard shard) {
        int members = rebalancer.loaded(shard);
        if (shard.groups.isEmpty()) {
            LOG.debug("coordinating {}-{} at leader epoch {} (no groups yet)", OFFSETS_TOPIC, shard.partition, shard.epoch);
        } else {
            LOG.info("coordinating {} groups ({} members) of {}-{} at leader epoch {}", shard.groups.size(), members,
                    OFFSETS_TOPIC, shard.partition, shard.epoch);
        }
    }

    /**
     * JoinGroup. Completes when the member has joined a generation (or with an error); with KIP-394 (v4+) a member
     * without an id first gets MEMBER_ID_REQUIRED and a member id to join with.
     */
    public CompletableFuture<JoinGroupResponseData> joinGroup(JoinGroupRequestData req, short version, String clientId,
            String clientHost) {
        CoordinatedPartitions.Lookup l = lookup(req.groupId());
        if (l.error() != Errors.NONE) {
            return CompletableFuture.completedFuture(joinError(req.memberId() == null ? "" : req.memberId(), l.error()));
        }
        return membership.joinGroup(l.shard(), req, version, clientId, clientHost);
    }

    /** The answer to a JoinGroup that failed with {@code error}. */
    public static JoinGroupResponseData joinError(String memberId, Errors error) {
        return GroupResponses.joinError(memberId, error);
    }

    /** SyncGroup: followers wait for the leader's assignment; the leader's is stored, then handed to all. */
    public CompletableFuture<SyncGroupResponseData> syncGroup(SyncGroupRequestData req) {
        CoordinatedPartitions.Lookup l = lookup(req.groupId());
        if (l.error() != Errors.NONE) {
            return CompletableFuture.completedFuture(GroupResponses.syncError(l.error()));
        }
        return membership.syncGroup(l.shard(), req);
    }

    /** Heartbeat: keeps the member's session; tells it when a rebalance is under way. */
    public Errors heartbeat(HeartbeatRequestData req) {
        CoordinatedPartitions.Lookup l = lookup(req.groupId());
        if (l.error() != Errors.NONE) {
            return l.error();
        }
        return membership.heartbeat(l.shard(), req);
    }

    /** LeaveGroup: the top-level error, and one response per member asked about. */
    public Map.Entry<Errors, List<MemberResponse>> leaveGroup(String groupId, List<MemberIdentity> leaving) {
        CoordinatedPartitions.Lookup l = lookup(groupId);
        if (l.error() != Errors.NONE) {
            return new AbstractMap.SimpleImmutableEntry<>(l.error(), new ArrayList<>());
        }
        return membership.leaveGroup(l.shard(), groupId, leaving);
    }

    /**
     * OffsetCommit: per partition, the error (NONE once the commit is durable). {@code generation} -1 with an empty
     * member id is a commit from outside the group (a simple consumer or the admin client), allowed while the group
     * has no members.
     */
    public CompletableFuture<Map<TopicPartition, Errors>> commitOffsets(String groupId, int generation, String memberId,
            String instanceId, List<OffsetToCommit> commits) {
        CoordinatedPartitions.Lookup l = lookup(groupId);
        if (l.error() != Errors.NONE) {
            return CompletableFuture.completedFuture(OffsetsManager.all(commits, l.error()));
        }
        return offsets.commitOffsets(l.shard(), groupId, generation, memberId, instanceId, commits);
    }

    /** OffsetFetch: the committed offsets of {@code partitions} ({@code null}: all the group has). */
    public FetchedOffsets fetchOffsets(String groupId, Collection<TopicPartition> partitions) {
        CoordinatedPartitions.Lookup l = lookup(groupId);
        if (l.error() != Errors.NONE) {
            return new FetchedOffsets(l.error(), Map.of());
        }
        return offsets.fetchOffsets(l.shard(), groupId, partitions);
    }

    /** OffsetDelete: removes a group's offsets of topics its members do not subscribe to. */
    public CompletableFuture<Map.Entry<Errors, Map<TopicPartition, Errors>>> deleteOffsets(String groupId,
            List<TopicPartition> partitions) {
        CoordinatedPartitions.Lookup l = lookup(groupId);
        if (l.error() != Errors.NONE) {
            return CompletableFuture.completedFuture(new AbstractMap.SimpleImmutableEntry<>(l.error(), Map.of()));
        }
        return offsets.deleteOffsets(l.shard(), groupId, partitions);
    }

    /** ListGroups over the groups this node coordinates; filters match Kafka's state and type names, ignoring case. */
    public Listing listGroups(List<String> states, List<String> types) {
        return membership.listGroups(states, types);
    }

    /** DescribeGroups for one group; a group that does not exist is reported Dead (and GROUP_ID_NOT_FOUND when asked). */
    public DescribedGroup describeGroup(String groupId, boolean notFoundError) {
        CoordinatedPartitions.Lookup l = lookup(groupId);
        if (l.error() != Errors.NONE) {
            return GroupResponses.deadGroup(groupId).setErrorCode(l.error().code());
        }
        return membership.describeGroup(l.shard(), groupId, notFoundError);
    }

    /** DeleteGroups for one group: only a group without members can be deleted; its offsets go with it. */
    public CompletableFuture<Errors> deleteGroup(String groupId) {
        CoordinatedPartitions.Lookup l = lookup(groupId);
        if (l.error() != Errors.NONE) {
            return CompletableFuture.completedFuture(l.error());
        }
        return membership.deleteGroup(l.shard(), groupId);
    }

    /** Stops the timers, drops every shard (their groups' waiting members are answered) and stops loading. */
    @Override
    public void close() {
        timers.shutdownNow();
        partitions.close();
    }
}
