package io.chronik.transport.memory.internal;

import org.apache.ratis.protocol.GroupInfoRequest;
import org.apache.ratis.protocol.GroupListRequest;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.LeaderElectionManagementRequest;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.protocol.TransferLeadershipRequest;

import io.chronik.ratis.rpc.TransportObserver.Kind;

/**
 * The remote calls the memory transport carries, each with the code that starts its request frame and the kind
 * metrics count it under. The wire format: a request is its code (one byte) followed by the request's protobuf; a
 * reply is {@link #OK} followed by the reply's protobuf, or {@link #FAILED} followed by the Java-serialized
 * exception the server answered with.
 */
enum Call {
    APPEND_ENTRIES(Kind.APPEND),
    APPEND_ENTRIES_ASYNC(Kind.APPEND),
    REQUEST_VOTE(Kind.VOTE),
    INSTALL_SNAPSHOT(Kind.SNAPSHOT),
    START_LEADER_ELECTION(Kind.ELECTION),
    READ_INDEX(Kind.READ_INDEX),
    CLIENT_REQUEST(Kind.CLIENT),
    SET_CONFIGURATION(Kind.CLIENT),
    GROUP_MANAGEMENT(Kind.CLIENT),
    GROUP_LIST(Kind.CLIENT),
    GROUP_INFO(Kind.CLIENT),
    TRANSFER_LEADERSHIP(Kind.CLIENT),
    SNAPSHOT_MANAGEMENT(Kind.CLIENT),
    LEADER_ELECTION_MANAGEMENT(Kind.CLIENT);

    /** First byte of a successful reply. */
    static final byte OK = 0;
    /** First byte of a failed reply. */
    static final byte FAILED = 1;

    private static final Call[] BY_CODE = values();

    final Kind kind;

    Call(Kind kind) {
        this.kind = kind;
    }

    /** The byte that starts this call's request frame. */
    byte code() {
        return (byte) ordinal();
    }

    /** The call a request frame starts with. */
    static Call of(byte code) {
        if (code < 0 || code >= BY_CODE.length) {
            throw new IllegalArgumentException("unknown memory transport call code " + code);
        }
        return BY_CODE[code];
    }

    /** The call carrying a client or admin request of this type. */
    static Call of(RaftClientRequest request) {
        if (request instanceof GroupManagementRequest) {
            return GROUP_MANAGEMENT;
        } else if (request instanceof SetConfigurationRequest) {
            return SET_CONFIGURATION;
        } else if (request instanceof GroupListRequest) {
            return GROUP_LIST;
        } else if (request instanceof GroupInfoRequest) {
            return GROUP_INFO;
        } else if (request instanceof TransferLeadershipRequest) {
            return TRANSFER_LEADERSHIP;
        } else if (request instanceof SnapshotManagementRequest) {
            return SNAPSHOT_MANAGEMENT;
        } else if (request instanceof LeaderElectionManagementRequest) {
            return LEADER_ELECTION_MANAGEMENT;
        }
        return CLIENT_REQUEST;
    }
}
