package io.chronik.protocol.kafka.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import io.chronik.protocol.kafka.internal.group.GroupSettings;

/**
 * The group protocol on the wire, request by request: member ids (KIP-394), generations, the errors Kafka's clients
 * rely on (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS, FENCED_INSTANCE_ID), static members and
 * multi-group OffsetFetch.
 */
public class GroupProtocolIT {
    private InMemoryCluster cluster;
    private KafkaServer server;
    private RawClient client;
    private int correlation;

    @Before
    public void start() throws Exception {
        cluster = new InMemoryCluster(1);
        server = new KafkaServer(ServerSettings.defaults("127.0.0.1:0")
                .withGroups(GroupSettings.defaults().withInitialRebalanceDelayMs(0)), () -> cluster, () -> cluster);
        server.start();
        cluster.setPort(server.port());
        cluster.createTopic("t", 2, 1, Map.of()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        client = new RawClient(server.port());
        long deadline = System.currentTimeMillis() + 10_000;
        while (true) {
            FindCoordinatorResponseData r = call(ApiKeys.FIND_COORDINATOR, 3, new FindCoordinatorRequestData().setKey("g"));
            if (r.errorCode() == Errors.NONE.code()) {
                break;
            }
            assertTrue("no coordinator: " + r, System.currentTimeMillis() < deadline);
            Thread.sleep(20);
        }
    }

    @After
    public void stop() throws Exception {
        client.close();
        server.close();
        cluster.close();
    }

    private <T extends ApiMessage> T call(ApiKeys key, int version, ApiMessage body) throws Exception {
        int id = ++correlation;
        client.send(key, (short) version, id, body);
        return client.receive(key, (short) version, id);
    }

    /** JoinGroup until it is not COORDINATOR_LOAD_IN_PROGRESS (the first requests may arrive during the load). */
    private JoinGroupResponseData join(String group, String memberId, String instanceId, String protocol) throws Exception {
        JoinGroupRequestData req = new JoinGroupRequestData().setGroupId(group).setMemberId(memberId)
                .setGroupInstanceId(instanceId).setSessionTimeoutMs(10_000).setRebalanceTimeoutMs(10_000)
                .setProtocolType("consumer");
        req.protocols().add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName(protocol).setMetadata(new byte[] {1}));
        while (true) {
            JoinGroupResponseData r = call(ApiKeys.JOIN_GROUP, 9, req);
            if (r.errorCode() != Errors.COORDINATOR_LOAD_IN_PROGRESS.code()) {
                return r;
            }
            Thread.sleep(20);
        }
    }

    private SyncGroupResponseData sync(String group, String memberId, int generation, byte[] assignment) throws Exception {
        SyncGroupRequestData req = new SyncGroupRequestData().setGroupId(group).setMemberId(memberId).setGenerationId(generation)
                .setProtocolType("consumer").setProtocolName("range");
        if (assignment != null) {
            req.assignments().add(new SyncGroupRequestData.SyncGroupRequestAssignment().setMemberId(memberId).setAssignment(assignment));
        }
        return call(ApiKeys.SYNC_GROUP, 5, req);
    }

    private short heartbeat(String group, String memberId, String instanceId, int generation) throws Exception {
        HeartbeatResponseData r = call(ApiKeys.HEARTBEAT, 4, new HeartbeatRequestData().setGroupId(group).setMemberId(memberId)
                .setGroupInstanceId(instanceId).setGenerationId(generation));
        return r.errorCode();
    }

    private short commit(String group, String memberId, int generation, long offset) throws Exception {
        OffsetCommitRequestData req = new OffsetCommitRequestData().setGroupId(group).setMemberId(memberId)
                .setGenerationIdOrMemberEpoch(generation);
        req.topics().add(new OffsetCommitRequestData.OffsetCommitRequestTopic().setName("t")
                .setPartitions(List.of(new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(0)
                        .setCommittedOffset(offset).setCommittedMetadata("m" + offset))));
        OffsetCommitResponseData r = call(ApiKeys.OFFSET_COMMIT, 9, req);
        return r.topics().get(0).partitions().get(0).errorCode();
    }

    @Test
    public void membershipGenerationsAndTheirErrors() throws Exception {
        // KIP-394: a first join without a member id gets one to come back with
        JoinGroupResponseData first = join("g", "", null, "range");
        assertEquals(Errors.MEMBER_ID_REQUIRED.code(), first.errorCode());
        String memberId = first.memberId();
        JoinGroupResponseData joined = join("g", memberId, null, "range");
        assertEquals(Errors.NONE.code(), joined.errorCode());
        assertEquals(1, joined.generationId());
        assertEquals(memberId, joined.leader());
        assertEquals("range", joined.protocolName());
        assertEquals(1, joined.members().size());

        // CompletingRebalance: commits wait for the assignment
        assertEquals(Errors.REBALANCE_IN_PROGRESS.code(), commit("g", memberId, 1, 5));
        assertEquals(Errors.ILLEGAL_GENERATION.code(), sync("g", memberId, 7, new byte[] {9}).errorCode());
        assertEquals(Errors.UNKNOWN_MEMBER_ID.code(), sync("g", "nobody", 1, null).errorCode());
        SyncGroupResponseData synced = sync("g", memberId, 1, new byte[] {9});
        assertEquals(Errors.NONE.code(), synced.errorCode());
        assertArrayEquals(new byte[] {9}, synced.assignment());

        // Stable
        assertEquals(Errors.NONE.code(), heartbeat("g", memberId, null, 1));
        assertEquals(Errors.ILLEGAL_GENERATION.code(), heartbeat("g", memberId, null, 0));
        assertEquals(Errors.UNKNOWN_MEMBER_ID.code(), heartbeat("g", "nobody", null, 1));
        assertEquals(Errors.NONE.code(), commit("g", memberId, 1, 5));
        assertEquals(Errors.ILLEGAL_GENERATION.code(), commit("g", memberId, 2, 6));
        assertEquals(Errors.UNKNOWN_MEMBER_ID.code(), commit("g", "nobody", 1, 6));
        assertEquals("a commit from outside the generation while the group has members",
                Errors.UNKNOWN_MEMBER_ID.code(), commit("g", "", -1, 6));

        // a second member: the first learns of the rebalance through its heartbeat
        JoinGroupResponseData second = join("g", "", null, "range");
        assertEquals(Errors.MEMBER_ID_REQUIRED.code(), second.errorCode());
        int id = ++correlation;
        JoinGroupRequestData secondJoin = new JoinGroupRequestData().setGroupId("g").setMemberId(second.memberId())
                .setSessionTimeoutMs(10_000).setRebalanceTimeoutMs(10_000).setProtocolType("consumer");
        secondJoin.protocols().add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range").setMetadata(new byte[] {2}));
        try (RawClient other = new RawClient(server.port())) {
            other.send(ApiKeys.JOIN_GROUP, (short) 9, id, secondJoin); // waits until the first member rejoins
            long deadline = System.currentTimeMillis() + 5_000;
            short hb;
            while ((hb = heartbeat("g", memberId, null, 1)) != Errors.REBALANCE_IN_PROGRESS.code()) {
                assertTrue("heartbeat never reported the rebalance: " + hb, System.currentTimeMillis() < deadline);
                Thread.sleep(20);
            }
            JoinGroupResponseData rejoined = join("g", memberId, null, "range");
            assertEquals(Errors.NONE.code(), rejoined.errorCode());
            assertEquals(2, rejoined.generationId());
            assertEquals(2, rejoined.members().size());
            JoinGroupResponseData secondJoined = other.receive(ApiKeys.JOIN_GROUP, (short) 9, id);
            assertEquals(2, secondJoined.generationId());
            assertEquals(memberId, secondJoined.leader());
            assertEquals("only the leader gets the members", 0, secondJoined.members().size());
        }
        // the committed offset and its metadata, through the multi-group OffsetFetch of v8+
        OffsetFetchRequestData fetch = new OffsetFetchRequestData();
        fetch.groups().add(new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId("g").setTopics(null));
        fetch.groups().add(new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId("unknown")
                .setTopics(List.of(new OffsetFetchRequestData.OffsetFetchRequestTopics().setName("t").setPartitionIndexes(List.of(1)))));
        OffsetFetchResponseData fetched = call(ApiKeys.OFFSET_FETCH, 9, fetch);
        while (fetched.groups().get(1).errorCode() == Errors.COORDINATOR_LOAD_IN_PROGRESS.code()) {
            Thread.sleep(20); // "unknown" lives in another partition of __consumer_offsets, maybe not loaded yet
            fetched = call(ApiKeys.OFFSET_FETCH, 9, fetch);
        }
        assertEquals(fetched.toString(), 2, fetched.groups().size());
        assertEquals(fetched.toString(), 1, fetched.groups().get(0).topics().size());
        OffsetFetchResponseData.OffsetFetchResponsePartitions p = fetched.groups().get(0).topics().get(0).partitions().get(0);
        assertEquals(5, p.committedOffset());
        assertEquals("m5", p.metadata());
        assertEquals(-1, fetched.groups().get(1).topics().get(0).partitions().get(0).committedOffset());

        // leaving: the member is gone
        LeaveGroupResponseData left = call(ApiKeys.LEAVE_GROUP, 5, new LeaveGroupRequestData().setGroupId("g")
                .setMembers(List.of(new LeaveGroupRequestData.MemberIdentity().setMemberId(memberId),
                        new LeaveGroupRequestData.MemberIdentity().setMemberId("nobody"))));
        assertEquals(Errors.NONE.code(), left.members().get(0).errorCode());
        assertEquals(Errors.UNKNOWN_MEMBER_ID.code(), left.members().get(1).errorCode());
        assertEquals(Errors.UNKNOWN_MEMBER_ID.code(), heartbeat("g", memberId, null, 2));
    }

    @Test
    public void aStaticMemberRejoinsWithoutARebalanceAndItsOldIdIsFenced() throws Exception {
        JoinGroupResponseData joined = join("s", "", "instance-1", "range");
        assertEquals("a static member joins without MEMBER_ID_REQUIRED", Errors.NONE.code(), joined.errorCode());
        String oldId = joined.memberId();
        assertEquals(Errors.NONE.code(), sync("s", oldId, joined.generationId(), new byte[] {4}).errorCode());

        // the same instance restarts: a new member id, the same generation and assignment, no rebalance
        JoinGroupResponseData again = join("s", "", "instance-1", "range");
        assertEquals(Errors.NONE.code(), again.errorCode());
        assertNotEquals(oldId, again.memberId());
        assertEquals(joined.generationId(), again.generationId());
        assertTrue("the static leader is told to keep the assignment (KIP-814)", again.skipAssignment());
        SyncGroupResponseData synced = sync("s", again.memberId(), again.generationId(), null);
        assertEquals(Errors.NONE.code(), synced.errorCode());
        assertArrayEquals(new byte[] {4}, synced.assignment());

        // the old process is fenced
        assertEquals(Errors.FENCED_INSTANCE_ID.code(), heartbeat("s", oldId, "instance-1", joined.generationId()));
        assertEquals(Errors.NONE.code(), heartbeat("s", again.memberId(), "instance-1", joined.generationId()));
        OffsetCommitRequestData req = new OffsetCommitRequestData().setGroupId("s").setMemberId(oldId)
                .setGroupInstanceId("instance-1").setGenerationIdOrMemberEpoch(joined.generationId());
        req.topics().add(new OffsetCommitRequestData.OffsetCommitRequestTopic().setName("t")
                .setPartitions(List.of(new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(0)
                        .setCommittedOffset(1))));
        OffsetCommitResponseData r = call(ApiKeys.OFFSET_COMMIT, 9, req);
        assertEquals(Errors.FENCED_INSTANCE_ID.code(), r.topics().get(0).partitions().get(0).errorCode());
    }
}
