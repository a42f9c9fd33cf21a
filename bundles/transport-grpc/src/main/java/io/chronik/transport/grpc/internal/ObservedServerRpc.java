package io.chronik.transport.grpc.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;

import org.apache.ratis.grpc.GrpcUtil;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotReplyProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.ReadIndexReplyProto;
import org.apache.ratis.proto.RaftProtos.ReadIndexRequestProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteReplyProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteRequestProto;
import org.apache.ratis.proto.RaftProtos.StartLeaderElectionReplyProto;
import org.apache.ratis.proto.RaftProtos.StartLeaderElectionRequestProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.RaftException;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServerRpc;
import org.apache.ratis.server.protocol.RaftServerAsynchronousProtocol;
import org.apache.ratis.thirdparty.com.google.protobuf.MessageLite;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.StatusRuntimeException;

import io.chronik.ratis.rpc.TransportObserver;
import io.chronik.ratis.rpc.TransportObserver.Kind;

/**
 * Ratis' gRPC server RPC ({@code GrpcServicesImpl}) as the node's server sees it, reporting the requests it sends to
 * other servers itself to the {@link TransportObserver}: votes ({@code requestVote}, pre-votes included), leader
 * elections ({@code startLeaderElection}) and a follower's ReadIndex requests to its leader ({@code readIndexAsync}):
 * each request {@code sent}, its reply {@code received} (serialized sizes), and {@code completed} with the time from
 * the call to the reply or the failure (a gRPC deadline, an unreachable peer ...). The peer is the request's reply id.
 * A Raft exception the peer answered with (it reaches this side as a gRPC status naming its class) is reported as a
 * {@link RaftException} naming it, so that it counts as rejected rather than as a transport failure.
 * Append entries and install snapshot requests do not pass here: {@link ObservedLogAppender} reports them.
 *
 * <p>Everything else is delegated unchanged. {@link ObservedLogAppender} reaches the delegate through {@link #unwrap},
 * since Ratis' log appender needs the implementation class. Thread-safe as the delegate; votes and elections block the
 * calling Ratis thread as the delegate does.
 */
final class ObservedServerRpc implements GrpcServices {
    private final GrpcServices delegate;
    private final TransportObserver observer;
    private final RaftServerAsynchronousProtocol async;

    ObservedServerRpc(GrpcServices delegate, TransportObserver observer) {
        this.delegate = delegate;
        this.observer = observer;
        this.async = new RaftServerAsynchronousProtocol() {
            @Override
            public CompletableFuture<AppendEntriesReplyProto> appendEntriesAsync(AppendEntriesRequestProto request)
                    throws IOException {
                return delegate.async().appendEntriesAsync(request);
            }

            @Override
            public CompletableFuture<ReadIndexReplyProto> readIndexAsync(ReadIndexRequestProto request)
                    throws IOException {
                String peer = target(request.getServerRequest());
                observer.sent(peer, Kind.READ_INDEX, request.getSerializedSize());
                long start = System.nanoTime();
                CompletableFuture<ReadIndexReplyProto> reply;
                try {
                    reply = delegate.async().readIndexAsync(request);
                } catch (IOException | RuntimeException e) {
                    observer.completed(peer, Kind.READ_INDEX, System.nanoTime() - start, reported(e));
                    throw e;
                }
                return reply.whenComplete((r, e) -> {
                    if (r != null) {
                        observer.received(peer, Kind.READ_INDEX, r.getSerializedSize());
                    }
                    observer.completed(peer, Kind.READ_INDEX, System.nanoTime() - start, reported(e));
                });
            }
        };
    }

    /** The implementation behind {@code rpc}, if it is an observed one. */
    static RaftServerRpc unwrap(RaftServerRpc rpc) {
        return rpc instanceof ObservedServerRpc o ? o.delegate : rpc;
    }

    /**
     * The failure to report: a {@link RaftException} naming the Ratis exception the peer answered with, if the gRPC
     * status says so (Ratis puts its class name in the trailers, read here without deserializing anything), else
     * {@code e} itself.
     */
    static Throwable reported(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof StatusRuntimeException s) {
                Metadata trailers = s.getTrailers();
                String type = trailers == null ? null : trailers.get(GrpcUtil.EXCEPTION_TYPE_KEY);
                if (type != null && type.startsWith("org.apache.ratis.")) {
                    return new RaftException(type.substring(type.lastIndexOf('.') + 1) + " from the peer: "
                            + s.getStatus().getDescription());
                }
                return e;
            }
        }
        return e;
    }

    /** The peer a server request is for. */
    static String target(RaftRpcRequestProto request) {
        return RaftPeerId.valueOf(request.getReplyId()).toString();
    }

    /** A blocking call to a peer: its request, reply, duration and failure are reported. */
    private interface Call<R extends MessageLite> {
        R run() throws IOException;
    }

    private <R extends MessageLite> R observed(String peer, Kind kind, MessageLite request, Call<R> call)
            throws IOException {
        observer.sent(peer, kind, request.getSerializedSize());
        long start = System.nanoTime();
        try {
            R reply = call.run();
            observer.received(peer, kind, reply.getSerializedSize());
            observer.completed(peer, kind, System.nanoTime() - start, null);
            return reply;
        } catch (IOException | RuntimeException e) {
            observer.completed(peer, kind, System.nanoTime() - start, reported(e));
            throw e;
        }
    }

    @Override
    public RequestVoteReplyProto requestVote(RequestVoteRequestProto request) throws IOException {
        return observed(target(request.getServerRequest()), Kind.VOTE, request, () -> delegate.requestVote(request));
    }

    @Override
    public StartLeaderElectionReplyProto startLeaderElection(StartLeaderElectionRequestProto request)
            throws IOException {
        return observed(target(request.getServerRequest()), Kind.ELECTION, request,
                () -> delegate.startLeaderElection(request));
    }

    @Override
    public RaftServerAsynchronousProtocol async() {
        return async;
    }

    @Override
    public AppendEntriesReplyProto appendEntries(AppendEntriesRequestProto request) throws IOException {
        return delegate.appendEntries(request);
    }

    @Override
    public InstallSnapshotReplyProto installSnapshot(InstallSnapshotRequestProto request) throws IOException {
        return delegate.installSnapshot(request);
    }

    @Override
    public RpcType getRpcType() {
        return delegate.getRpcType();
    }

    @Override
    public void start() throws IOException {
        delegate.start();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }

    @Override
    public InetSocketAddress getInetSocketAddress() {
        return delegate.getInetSocketAddress();
    }

    @Override
    public InetSocketAddress getClientServerAddress() {
        return delegate.getClientServerAddress();
    }

    @Override
    public InetSocketAddress getAdminServerAddress() {
        return delegate.getAdminServerAddress();
    }

    @Override
    public void addRaftPeers(Collection<RaftPeer> peers) {
        delegate.addRaftPeers(peers);
    }

    @Override
    public void handleException(RaftPeerId serverId, Exception e, boolean reconnect) {
        delegate.handleException(serverId, e, reconnect);
    }

    @Override
    public void notifyNotLeader(RaftGroupId groupId) {
        delegate.notifyNotLeader(groupId);
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
