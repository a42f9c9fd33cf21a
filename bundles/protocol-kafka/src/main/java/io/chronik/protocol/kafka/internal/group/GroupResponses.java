package io.chronik.protocol.kafka.internal.group;

import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroup;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData.MemberIdentity;
import org.apache.kafka.common.message.LeaveGroupResponseData.MemberResponse;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;

/**
 * The answers of the membership protocol (JoinGroup, SyncGroup, LeaveGroup, DescribeGroups) built from a group.
 * Callers hold the group's monitor when they pass a group; the answers share no buffers with it but the byte arrays
 * of the members' metadata and assignments, which nobody changes.
 */
final class GroupResponses {
    private static final byte[] EMPTY = new byte[0];

    private GroupResponses() {
    }

    /** A JoinGroup answer for {@code m} in the group's current generation, with all members' metadata if {@code withMembers}. */
    static JoinGroupResponseData joinResponse(ClassicGroup g, GroupMember m, boolean withMembers, boolean skipAssignment) {
        JoinGroupResponseData r = new JoinGroupResponseData().setErrorCode(Errors.NONE.code()).setGenerationId(g.generationId())
                .setProtocolType(g.protocolType()).setProtocolName(g.protocolName()).setLeader(g.leaderId())
                .setMemberId(m.memberId).setSkipAssignment(skipAssignment);
        if (withMembers) {
            for (GroupMember other : g.members()) {
                byte[] metadata = other.metadata(g.protocolName());
                r.members().add(new JoinGroupResponseData.JoinGroupResponseMember().setMemberId(other.memberId)
                        .setGroupInstanceId(other.instanceId).setMetadata(metadata == null ? EMPTY : metadata));
            }
        }
        return r;
    }

    /** A failed JoinGroup answer. */
    static JoinGroupResponseData joinError(String memberId, Errors error) {
        return new JoinGroupResponseData().setErrorCode(error.code()).setGenerationId(-1).setMemberId(memberId)
                .setLeader("").setProtocolName(null).setProtocolType(null);
    }

    /** A failed SyncGroup answer. */
    static SyncGroupResponseData syncError(Errors error) {
        return new SyncGroupResponseData().setErrorCode(error.code()).setAssignment(EMPTY);
    }

    /** A SyncGroup answer handing out {@code assignment}. */
    static SyncGroupResponseData syncResponse(ClassicGroup g, byte[] assignment) {
        return new SyncGroupResponseData().setErrorCode(Errors.NONE.code()).setProtocolType(g.protocolType())
                .setProtocolName(g.protocolName()).setAssignment(assignment);
    }

    /** One member's LeaveGroup answer. */
    static MemberResponse memberResponse(MemberIdentity id, Errors error) {
        return new MemberResponse().setMemberId(id.memberId()).setGroupInstanceId(id.groupInstanceId()).setErrorCode(error.code());
    }

    /** Answers the member's waiting JoinGroup and SyncGroup, if any, with {@code error}. */
    static void answerWaiting(GroupMember m, Errors error) {
        if (m.awaitingJoin != null) {
            m.awaitingJoin.complete(joinError(m.memberId, error));
            m.awaitingJoin = null;
        }
        if (m.awaitingSync != null) {
            m.awaitingSync.complete(syncError(error));
            m.awaitingSync = null;
        }
    }

    /** The description of a group that does not exist (or is not coordinated here): Dead, without members. */
    static DescribedGroup deadGroup(String groupId) {
        return new DescribedGroup().setGroupId(groupId).setGroupState(GroupState.DEAD.kafkaName).setProtocolType("")
                .setProtocolData("");
    }
}
