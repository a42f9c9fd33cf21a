package io.chronik.transport.memory.internal;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;

import org.apache.ratis.client.impl.ClientProtoUtils;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.GroupInfoRequestProto;
import org.apache.ratis.proto.RaftProtos.GroupListRequestProto;
import org.apache.ratis.proto.RaftProtos.GroupManagementRequestProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto;
import org.apache.ratis.proto.RaftProtos.LeaderElectionManagementRequestProto;
import org.apache.ratis.proto.RaftProtos.RaftClientRequestProto;
import org.apache.ratis.proto.RaftProtos.ReadIndexRequestProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteRequestProto;
import org.apache.ratis.proto.RaftProtos.SetConfigurationRequestProto;
import org.apache.ratis.proto.RaftProtos.SnapshotManagementRequestProto;
import org.apache.ratis.proto.RaftProtos.StartLeaderElectionRequestProto;
import org.apache.ratis.proto.RaftProtos.TransferLeadershipRequestProto;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.MessageLite;

import io.chronik.ratis.rpc.TransportObserver;
import io.chronik.transport.memory.MemoryNetwork;

/**
 * The server side of the memory transport: decodes the requests arriving at a Raft server's address, hands each to
 * the {@link RaftServer} (server-to-server requests, client requests and admin requests, as Ratis' gRPC services do)
 * and encodes its reply or failure. Runs on the network's threads, one request of a link at a time; the synchronous
 * server calls (append entries, vote, install snapshot) block that link until the server answers.
 */
final class RequestDispatcher implements MemoryNetwork.Handler {
    private final RaftServer server;
    private final Peers peers;
    private final TransportObserver observer;

    RequestDispatcher(RaftServer server, Peers peers, TransportObserver observer) {
        this.server = server;
        this.peers = peers;
        this.observer = observer;
    }

    @Override
    public CompletableFuture<byte[]> handle(String from, byte[] request) {
        Call call;
        try {
            call = Frames.callOf(request);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(Frames.failed(new IOException(e.getMessage())));
        }
        String peer = peers.label(from);
        observer.received(peer, call.kind, request.length);
        CompletableFuture<? extends MessageLite> reply;
        try {
            reply = dispatch(call, request);
        } catch (Exception | LinkageError e) {
            reply = CompletableFuture.failedFuture(e);
        }
        return reply.handle((message, error) -> {
            byte[] frame = error == null ? Frames.ok(message) : Frames.failed(error);
            observer.sent(peer, call.kind, frame.length);
            return frame;
        });
    }

    private CompletableFuture<? extends MessageLite> dispatch(Call call, byte[] request) throws IOException {
        switch (call) {
            case APPEND_ENTRIES:
                return done(server.appendEntries(Frames.body(request, AppendEntriesRequestProto.parser())));
            case APPEND_ENTRIES_ASYNC:
                return server.appendEntriesAsync(Frames.body(request, AppendEntriesRequestProto.parser()));
            case REQUEST_VOTE:
                return done(server.requestVote(Frames.body(request, RequestVoteRequestProto.parser())));
            case INSTALL_SNAPSHOT:
                return done(server.installSnapshot(Frames.body(request, InstallSnapshotRequestProto.parser())));
            case START_LEADER_ELECTION:
                return done(server.startLeaderElection(Frames.body(request, StartLeaderElectionRequestProto.parser())));
            case READ_INDEX:
                return server.readIndexAsync(Frames.body(request, ReadIndexRequestProto.parser()));
            case CLIENT_REQUEST:
                return replyOf(server.submitClientRequestAsync(ClientProtoUtils.toRaftClientRequest(
                        Frames.body(request, RaftClientRequestProto.parser()))));
            case SET_CONFIGURATION:
                return replyOf(server.setConfigurationAsync(ClientProtoUtils.toSetConfigurationRequest(
                        Frames.body(request, SetConfigurationRequestProto.parser()))));
            case GROUP_MANAGEMENT:
                return replyOf(server.groupManagementAsync(ClientProtoUtils.toGroupManagementRequest(
                        Frames.body(request, GroupManagementRequestProto.parser()))));
            case GROUP_LIST:
                return server.getGroupListAsync(ClientProtoUtils.toGroupListRequest(
                        Frames.body(request, GroupListRequestProto.parser()))).thenApply(ClientProtoUtils::toGroupListReplyProto);
            case GROUP_INFO:
                return server.getGroupInfoAsync(ClientProtoUtils.toGroupInfoRequest(
                        Frames.body(request, GroupInfoRequestProto.parser()))).thenApply(ClientProtoUtils::toGroupInfoReplyProto);
            case TRANSFER_LEADERSHIP:
                return replyOf(server.transferLeadershipAsync(ClientProtoUtils.toTransferLeadershipRequest(
                        Frames.body(request, TransferLeadershipRequestProto.parser()))));
            case SNAPSHOT_MANAGEMENT:
                return replyOf(server.snapshotManagementAsync(ClientProtoUtils.toSnapshotManagementRequest(
                        Frames.body(request, SnapshotManagementRequestProto.parser()))));
            case LEADER_ELECTION_MANAGEMENT:
                return replyOf(server.leaderElectionManagementAsync(ClientProtoUtils.toLeaderElectionManagementRequest(
                        Frames.body(request, LeaderElectionManagementRequestProto.parser()))));
            default:
                throw new IOException("unsupported memory transport call " + call);
        }
    }

    private static <M extends MessageLite> CompletableFuture<M> done(M reply) {
        return CompletableFuture.completedFuture(reply);
    }

    private static CompletableFuture<? extends MessageLite> replyOf(CompletableFuture<RaftClientReply> reply) {
        return reply.thenApply(ClientProtoUtils::toRaftClientReplyProto);
    }
}
