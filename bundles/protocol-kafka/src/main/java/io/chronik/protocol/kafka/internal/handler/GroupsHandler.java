package io.chronik.protocol.kafka.internal.handler;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DeleteGroupsResponseData.DeletableGroupResult;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroup;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupRequestData.MemberIdentity;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupResponseData.MemberResponse;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponsePartition;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponseTopic;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponsePartition;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponseTopic;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;

import io.chronik.protocol.kafka.internal.codec.KafkaRequest;
import io.chronik.protocol.kafka.internal.codec.Outcome;
import io.chronik.protocol.kafka.internal.group.GroupCoordinator;
import io.chronik.protocol.kafka.internal.group.GroupCoordinator.FetchedOffset;
import io.chronik.protocol.kafka.internal.group.GroupCoordinator.FetchedOffsets;

/**
 * The consumer-group APIs: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
 * ListGroups, DescribeGroups, DeleteGroups and OffsetDelete. Translates between the versions of the wire messages and
 * the {@link GroupCoordinator}.
 */
final class GroupsHandler {
    private static final byte KEY_GROUP = 0;
    private static final byte KEY_TRANSACTION = 1;
    /** READ, DELETE and DESCRIBE (AclOperation codes 3, 6, 8): what anyone may do to a group without an authorizer. */
    private static final int GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

    private final Broker broker;

    GroupsHandler(Broker broker) {
        this.broker = broker;
    }

    private GroupCoordinator coordinator() {
        return broker.groups();
    }

    Outcome findCoordinator(KafkaRequest req) {
        FindCoordinatorRequestData data = req.body();
        FindCoordinatorResponseData resp = new FindCoordinatorResponseData().setThrottleTimeMs(0);
        if (req.version() < 4) {
            GroupCoordinator.Coordinator c = find(data.keyType(), data.key());
            resp.setErrorCode(c.error().code()).setErrorMessage(c.message()).setNodeId(c.nodeId()).setHost(c.host())
                    .setPort(c.port());
        } else {
            for (String key : data.coordinatorKeys()) {
                GroupCoordinator.Coordinator c = find(data.keyType(), key);
                resp.coordinators().add(new FindCoordinatorResponseData.Coordinator().setKey(key).setNodeId(c.nodeId())
                        .setHost(c.host()).setPort(c.port()).setErrorCode(c.error().code()).setErrorMessage(c.message()));
            }
        }
        return req.respond(resp);
    }

    private GroupCoordinator.Coordinator find(byte keyType, String key) {
        if (keyType == KEY_GROUP) {
            if (key == null || key.isEmpty()) {
                return new GroupCoordinator.Coordinator(Errors.INVALID_GROUP_ID, "the group id is empty", -1, "", -1);
            }
            return coordinator().findCoordinator(key);
        }
        if (keyType == KEY_TRANSACTION) {
            return new GroupCoordinator.Coordinator(Errors.COORDINATOR_NOT_AVAILABLE,
                    "transactions are not supported by this broker", -1, "", -1);
        }
        return new GroupCoordinator.Coordinator(Errors.INVALID_REQUEST, "coordinator key type " + keyType
                + " is not supported (only consumer groups)", -1, "", -1);
    }

    CompletableFuture<Outcome> joinGroup(KafkaRequest req) {
        JoinGroupRequestData data = req.body();
        short version = req.version();
        if (data.groupInstanceId() != null && data.groupInstanceId().isEmpty()) {
            return CompletableFuture.completedFuture(req.respond(shape(
                    GroupCoordinator.joinError(data.memberId(), Errors.INVALID_REQUEST), version)));
        }
        return coordinator().joinGroup(data, version, req.clientId(), req.clientHost())
                .thenApply(r -> req.respond(shape(r, version)));
    }

    /** Older versions cannot carry a null protocol name. */
    private static JoinGroupResponseData shape(JoinGroupResponseData r, short version) {
        r.setThrottleTimeMs(0);
        if (version < 7 && r.protocolName() == null) {
            r.setProtocolName("");
        }
        if (version < 7) {
            r.setProtocolType(null);
        }
        return r;
    }

    CompletableFuture<Outcome> syncGroup(KafkaRequest req) {
        SyncGroupRequestData data = req.body();
        return coordinator().syncGroup(data).thenApply(r -> {
            r.setThrottleTimeMs(0);
            if (req.version() < 5) {
                r.setProtocolType(null).setProtocolName(null);
            }
            return req.respond(r);
        });
    }

    Outcome heartbeat(KafkaRequest req) {
        HeartbeatRequestData data = req.body();
        return req.respond(new HeartbeatResponseData().setThrottleTimeMs(0).setErrorCode(coordinator().heartbeat(data).code()));
    }

    Outcome leaveGroup(KafkaRequest req) {
        LeaveGroupRequestData data = req.body();
        List<MemberIdentity> leaving = req.version() < 3
                ? List.of(new MemberIdentity().setMemberId(data.memberId())) : data.members();
        Map.Entry<Errors, List<MemberResponse>> result = coordinator().leaveGroup(data.groupId(), leaving);
        LeaveGroupResponseData resp = new LeaveGroupResponseData().setThrottleTimeMs(0);
        if (req.version() < 3) {
            Errors error = result.getKey();
            if (error == Errors.NONE && !result.getValue().isEmpty()) {
                error = Errors.forCode(result.getValue().get(0).errorCode());
            }
            return req.respond(resp.setErrorCode(error.code()));
        }
        return req.respond(resp.setErrorCode(result.getKey().code()).setMembers(result.getValue()));
    }

    CompletableFuture<Outcome> offsetCommit(KafkaRequest req) {
        OffsetCommitRequestData data = req.body();
        List<GroupCoordinator.OffsetToCommit> commits = new ArrayList<>();
        for (OffsetCommitRequestData.OffsetCommitRequestTopic t : data.topics()) {
            for (OffsetCommitRequestData.OffsetCommitRequestPartition p : t.partitions()) {
                commits.add(new GroupCoordinator.OffsetToCommit(new TopicPartition(t.name(), p.partitionIndex()),
                        p.committedOffset(), p.committedLeaderEpoch(), p.committedMetadata()));
            }
        }
        return coordinator().commitOffsets(data.groupId(), data.generationIdOrMemberEpoch(), data.memberId(),
                data.groupInstanceId(), commits).thenApply(errors -> {
                    OffsetCommitResponseData resp = new OffsetCommitResponseData().setThrottleTimeMs(0);
                    for (OffsetCommitRequestData.OffsetCommitRequestTopic t : data.topics()) {
                        OffsetCommitResponseTopic rt = new OffsetCommitResponseTopic().setName(t.name());
                        resp.topics().add(rt);
                        for (OffsetCommitRequestData.OffsetCommitRequestPartition p : t.partitions()) {
                            Errors e = errors.getOrDefault(new TopicPartition(t.name(), p.partitionIndex()), Errors.NONE);
                            rt.partitions().add(new OffsetCommitResponsePartition().setPartitionIndex(p.partitionIndex())
                                    .setErrorCode(e.code()));
                        }
                    }
                    return req.respond(resp);
                });
    }

    Outcome offsetFetch(KafkaRequest req) {
        OffsetFetchRequestData data = req.body();
        OffsetFetchResponseData resp = new OffsetFetchResponseData().setThrottleTimeMs(0);
        if (req.version() >= 8) {
            for (OffsetFetchRequestData.OffsetFetchRequestGroup g : data.groups()) {
                List<TopicPartition> asked = null;
                if (g.topics() != null) {
                    asked = new ArrayList<>();
                    for (OffsetFetchRequestData.OffsetFetchRequestTopics t : g.topics()) {
                        for (Integer p : t.partitionIndexes()) {
                            asked.add(new TopicPartition(t.name(), p));
                        }
                    }
                }
                FetchedOffsets fetched = coordinator().fetchOffsets(g.groupId(), asked);
                OffsetFetchResponseData.OffsetFetchResponseGroup rg = new OffsetFetchResponseData.OffsetFetchResponseGroup()
                        .setGroupId(g.groupId()).setErrorCode(fetched.error().code());
                for (Map.Entry<String, List<Map.Entry<Integer, FetchedOffset>>> t : byTopic(fetched).entrySet()) {
                    OffsetFetchResponseData.OffsetFetchResponseTopics rt = new OffsetFetchResponseData.OffsetFetchResponseTopics()
                            .setName(t.getKey());
                    for (Map.Entry<Integer, FetchedOffset> p : t.getValue()) {
                        FetchedOffset o = p.getValue();
                        rt.partitions().add(new OffsetFetchResponseData.OffsetFetchResponsePartitions()
                                .setPartitionIndex(p.getKey()).setCommittedOffset(o == null ? -1 : o.offset())
                                .setCommittedLeaderEpoch(o == null ? -1 : o.leaderEpoch())
                                .setMetadata(o == null ? "" : o.metadata()).setErrorCode(Errors.NONE.code()));
                    }
                    rg.topics().add(rt);
                }
                resp.groups().add(rg);
            }
            return req.respond(resp);
        }
        List<TopicPartition> asked = null;
        if (data.topics() != null) {
            asked = new ArrayList<>();
            for (OffsetFetchRequestData.OffsetFetchRequestTopic t : data.topics()) {
                for (Integer p : t.partitionIndexes()) {
                    asked.add(new TopicPartition(t.name(), p));
                }
            }
        }
        FetchedOffsets fetched = coordinator().fetchOffsets(data.groupId(), asked);
        Errors error = fetched.error();
        if (req.version() >= 2) {
            resp.setErrorCode(error.code());
        }
        if (error != Errors.NONE && asked != null) {
            // below v2 the error can only travel per partition
            Map<TopicPartition, FetchedOffset> none = new LinkedHashMap<>();
            for (TopicPartition tp : asked) {
                none.put(tp, null);
            }
            fetched = new FetchedOffsets(error, none);
        }
        for (Map.Entry<String, List<Map.Entry<Integer, FetchedOffset>>> t : byTopic(fetched).entrySet()) {
            OffsetFetchResponseData.OffsetFetchResponseTopic rt = new OffsetFetchResponseData.OffsetFetchResponseTopic()
                    .setName(t.getKey());
            for (Map.Entry<Integer, FetchedOffset> p : t.getValue()) {
                FetchedOffset o = p.getValue();
                OffsetFetchResponseData.OffsetFetchResponsePartition rp = new OffsetFetchResponseData.OffsetFetchResponsePartition()
                        .setPartitionIndex(p.getKey()).setCommittedOffset(o == null ? -1 : o.offset())
                        .setMetadata(o == null ? "" : o.metadata()).setErrorCode(error.code());
                if (req.version() >= 5) {
                    rp.setCommittedLeaderEpoch(o == null ? -1 : o.leaderEpoch());
                }
                rt.partitions().add(rp);
            }
            resp.topics().add(rt);
        }
        return req.respond(resp);
    }

    private static Map<String, List<Map.Entry<Integer, FetchedOffset>>> byTopic(FetchedOffsets fetched) {
        Map<String, List<Map.Entry<Integer, FetchedOffset>>> out = new LinkedHashMap<>();
        for (Map.Entry<TopicPartition, FetchedOffset> e : fetched.offsets().entrySet()) {
            out.computeIfAbsent(e.getKey().topic(), k -> new ArrayList<>())
                    .add(new java.util.AbstractMap.SimpleEntry<>(e.getKey().partition(), e.getValue()));
        }
        return out;
    }

    Outcome listGroups(KafkaRequest req) {
        ListGroupsRequestData data = req.body();
        GroupCoordinator.Listing listing = coordinator().listGroups(req.version() >= 4 ? data.statesFilter() : null,
                req.version() >= 5 ? data.typesFilter() : null);
        return req.respond(new ListGroupsResponseData().setThrottleTimeMs(0).setErrorCode(listing.error().code())
                .setGroups(listing.groups()));
    }

    Outcome describeGroups(KafkaRequest req) {
        DescribeGroupsRequestData data = req.body();
        DescribeGroupsResponseData resp = new DescribeGroupsResponseData().setThrottleTimeMs(0);
        for (String groupId : data.groups()) {
            DescribedGroup d = coordinator().describeGroup(groupId, req.version() >= 6);
            if (req.version() < 6) {
                d.setErrorMessage(null);
            }
            if (req.version() >= 3 && data.includeAuthorizedOperations()) {
                d.setAuthorizedOperations(GROUP_OPERATIONS);
            }
            resp.groups().add(d);
        }
        return req.respond(resp);
    }

    CompletableFuture<Outcome> deleteGroups(KafkaRequest req) {
        DeleteGroupsRequestData data = req.body();
        DeleteGroupsResponseData resp = new DeleteGroupsResponseData().setThrottleTimeMs(0);
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (String groupId : data.groupsNames()) {
            if (resp.results().find(groupId) != null) {
                continue;
            }
            DeletableGroupResult r = new DeletableGroupResult().setGroupId(groupId);
            resp.results().add(r);
            pending.add(coordinator().deleteGroup(groupId).thenAccept(e -> {
                synchronized (r) {
                    r.setErrorCode(e.code());
                }
            }));
        }
        return Futures.all(pending).thenApply(v -> req.respond(resp));
    }

    CompletableFuture<Outcome> offsetDelete(KafkaRequest req) {
        OffsetDeleteRequestData data = req.body();
        List<TopicPartition> partitions = new ArrayList<>();
        for (OffsetDeleteRequestData.OffsetDeleteRequestTopic t : data.topics()) {
            for (OffsetDeleteRequestData.OffsetDeleteRequestPartition p : t.partitions()) {
                partitions.add(new TopicPartition(t.name(), p.partitionIndex()));
            }
        }
        return coordinator().deleteOffsets(data.groupId(), partitions).thenApply(result -> {
            OffsetDeleteResponseData resp = new OffsetDeleteResponseData().setThrottleTimeMs(0)
                    .setErrorCode(result.getKey().code());
            if (result.getKey() == Errors.NONE) {
                for (OffsetDeleteRequestData.OffsetDeleteRequestTopic t : data.topics()) {
                    OffsetDeleteResponseTopic rt = resp.topics().find(t.name());
                    if (rt == null) {
                        rt = new OffsetDeleteResponseTopic().setName(t.name());
                        resp.topics().add(rt);
                    }
                    for (OffsetDeleteRequestData.OffsetDeleteRequestPartition p : t.partitions()) {
                        if (rt.partitions().find(p.partitionIndex()) == null) {
                            Errors e = result.getValue().getOrDefault(new TopicPartition(t.name(), p.partitionIndex()), Errors.NONE);
                            rt.partitions().add(new OffsetDeleteResponsePartition().setPartitionIndex(p.partitionIndex())
                                    .setErrorCode(e.code()));
                        }
                    }
                }
            }
            return req.respond(resp);
        });
    }
}
