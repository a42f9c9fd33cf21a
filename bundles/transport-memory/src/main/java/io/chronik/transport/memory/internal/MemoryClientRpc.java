package io.chronik.transport.memory.internal;

import java.io.IOException;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.client.RaftClientRpc;
import org.apache.ratis.client.impl.ClientProtoUtils;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.GroupInfoReplyProto;
import org.apache.ratis.proto.RaftProtos.GroupListReplyProto;
import org.apache.ratis.proto.RaftProtos.RaftClientReplyProto;
import org.apache.ratis.protocol.GroupInfoRequest;
import org.apache.ratis.protocol.GroupListRequest;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.LeaderElectionManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.thirdparty.com.google.protobuf.MessageLite;

/**
 * A Raft client's RPC on the memory network: each request (client or admin) is one call from the node's address to
 * the target server, with Ratis' client request timeout ({@code raft.client.rpc.request.timeout}, longer for requests
 * that carry their own timeout, none for watches). As Ratis' own transports do, an asynchronous call whose reply
 * says "not leader" or "leader not ready" fails with that exception so that the client retries elsewhere; a
 * synchronous call returns such a reply. Thread-safe.
 */
final class MemoryClientRpc implements RaftClientRpc {
    /** A watch waits for as long as its condition takes: bound only to notice a lost message eventually. */
    private static final long WATCH_TIMEOUT_MILLIS = TimeUnit.MINUTES.toMillis(10);

    private final Sender sender;
    private final long timeoutMillis;

    MemoryClientRpc(Sender sender, RaftProperties properties) {
        this.sender = sender;
        this.timeoutMillis = RaftClientConfigKeys.Rpc.requestTimeout(properties).toLong(TimeUnit.MILLISECONDS);
    }

    @Override
    public CompletableFuture<RaftClientReply> sendRequestAsync(RaftClientRequest request) {
        return send(request).thenApply(reply -> {
            if (reply.getNotLeaderException() != null) {
                throw new java.util.concurrent.CompletionException(reply.getNotLeaderException());
            }
            if (reply.getLeaderNotReadyException() != null) {
                throw new java.util.concurrent.CompletionException(reply.getLeaderNotReadyException());
            }
            return reply;
        });
    }

    @Override
    public CompletableFuture<RaftClientReply> sendRequestAsyncUnordered(RaftClientRequest request) {
        return sendRequestAsync(request);
    }

    @Override
    public RaftClientReply sendRequest(RaftClientRequest request) throws IOException {
        return MemoryServerRpc.await(send(request));
    }

    private CompletableFuture<RaftClientReply> send(RaftClientRequest request) {
        Call call = Call.of(request);
        long timeout = request.is(org.apache.ratis.proto.RaftProtos.RaftClientRequestProto.TypeCase.WATCH)
                ? WATCH_TIMEOUT_MILLIS
                : timeoutMillis + Math.max(0, request.getTimeoutMs());
        MessageLite proto = switch (call) {
            case GROUP_MANAGEMENT -> ClientProtoUtils.toGroupManagementRequestProto((GroupManagementRequest) request);
            case SET_CONFIGURATION -> ClientProtoUtils.toSetConfigurationRequestProto((SetConfigurationRequest) request);
            case GROUP_LIST -> ClientProtoUtils.toGroupListRequestProto((GroupListRequest) request);
            case GROUP_INFO -> ClientProtoUtils.toGroupInfoRequestProto((GroupInfoRequest) request);
            case TRANSFER_LEADERSHIP -> ClientProtoUtils.toTransferLeadershipRequestProto(
                    (TransferLeadershipRequest) request);
            case SNAPSHOT_MANAGEMENT -> ClientProtoUtils.toSnapshotManagementRequestProto(
                    (SnapshotManagementRequest) request);
            case LEADER_ELECTION_MANAGEMENT -> ClientProtoUtils.toLeaderElectionManagementRequestProto(
                    (LeaderElectionManagementRequest) request);
            default -> ClientProtoUtils.toRaftClientRequestProto(request);
        };
        return switch (call) {
            case GROUP_LIST -> sender.call(request.getServerId(), call, proto, GroupListReplyProto.parser(), timeout)
                    .thenApply(ClientProtoUtils::toGroupListReply);
            case GROUP_INFO -> sender.call(request.getServerId(), call, proto, GroupInfoReplyProto.parser(), timeout)
                    .thenApply(ClientProtoUtils::toGroupInfoReply);
            default -> sender.call(request.getServerId(), call, proto, RaftClientReplyProto.parser(), timeout)
                    .thenApply(ClientProtoUtils::toRaftClientReply);
        };
    }

    @Override
    public void addRaftPeers(Collection<RaftPeer> peers) {
        sender.peers().add(peers);
    }

    @Override
    public void close() {
        sender.close();
    }
}
