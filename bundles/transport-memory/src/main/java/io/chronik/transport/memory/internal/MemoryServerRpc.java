package io.chronik.transport.memory.internal;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

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
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.RaftServerRpc;
import org.apache.ratis.server.protocol.RaftServerAsynchronousProtocol;
import org.apache.ratis.thirdparty.com.google.protobuf.MessageLite;
import org.apache.ratis.thirdparty.com.google.protobuf.Parser;

import io.chronik.ratis.rpc.TransportObserver;
import io.chronik.transport.memory.MemoryNetwork;

/**
 * A Raft server's RPC on the memory network: {@link #start} binds the server's address (requests to it go to a
 * {@link RequestDispatcher}), {@link #close} unbinds it; the server's own requests to its peers go out through a
 * {@link Sender}. Thread-safe.
 *
 * <p><b>Timeouts.</b> The network can lose a message, which then is never answered: the sender notices by a
 * timeout only. Ratis' default log appender sends one append at a time per follower and waits for its reply, so with
 * Ratis' request timeout ({@code raft.server.rpc.request.timeout}, seconds) one lost append would silence a follower
 * for longer than an election timeout and the leader would step down over and over under message loss. So server
 * calls (append, vote, election) time out after a quarter of the minimum election timeout (at least 50 ms, at most
 * the request timeout) — the part a retransmission timer plays on a real network — plus the delays the network's
 * faults add to the round trip; ReadIndex waits the request timeout (the leader answers after a heartbeat round),
 * install snapshot ten request timeouts.
 */
final class MemoryServerRpc implements RaftServerRpc, RaftServerAsynchronousProtocol {
    private final RaftServer server;
    private final MemoryNetwork network;
    private final String address;
    private final RpcType rpcType;
    private final Sender sender;
    private final TransportObserver observer;
    private final long timeoutMillis;
    private final long requestTimeoutMillis;
    private volatile Closeable binding;

    MemoryServerRpc(RaftServer server, MemoryNetwork network, String address, RpcType rpcType,
            TransportObserver observer) {
        this.server = server;
        this.network = network;
        this.address = address;
        this.rpcType = rpcType;
        this.observer = observer;
        this.sender = new Sender(network, address, new Peers(), observer);
        this.requestTimeoutMillis = RaftServerConfigKeys.Rpc.requestTimeout(server.getProperties()).toLong(
                TimeUnit.MILLISECONDS);
        long electionMin = RaftServerConfigKeys.Rpc.timeoutMin(server.getProperties()).toLong(TimeUnit.MILLISECONDS);
        this.timeoutMillis = Math.min(requestTimeoutMillis, Math.max(50, electionMin / 4));
    }

    @Override
    public RpcType getRpcType() {
        return rpcType;
    }

    @Override
    public synchronized void start() throws IOException {
        if (binding != null) {
            return;
        }
        try {
            binding = network.bind(address, new RequestDispatcher(server, sender.peers(), observer));
        } catch (IllegalStateException e) {
            throw new java.net.BindException(e.getMessage());
        }
    }

    @Override
    public synchronized void close() throws IOException {
        Closeable b = binding;
        binding = null;
        if (b != null) {
            b.close();
        }
        sender.close();
    }

    /** The address as a socket address (unresolved: nothing listens on it). */
    @Override
    public InetSocketAddress getInetSocketAddress() {
        int colon = address.lastIndexOf(':');
        if (colon < 0) {
            return InetSocketAddress.createUnresolved(address, 0);
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return InetSocketAddress.createUnresolved(host, Integer.parseInt(address.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            return InetSocketAddress.createUnresolved(address, 0);
        }
    }

    @Override
    public void addRaftPeers(Collection<RaftPeer> peers) {
        sender.peers().add(peers);
    }

    @Override
    public void handleException(RaftPeerId serverId, Exception e, boolean reconnect) {
        // nothing to reconnect: every call is independent
    }

    @Override
    public RaftServerAsynchronousProtocol async() {
        return this;
    }

    @Override
    public AppendEntriesReplyProto appendEntries(AppendEntriesRequestProto request) throws IOException {
        return await(call(request.getServerRequest(), Call.APPEND_ENTRIES, request, AppendEntriesReplyProto.parser(),
                timeoutMillis));
    }

    @Override
    public RequestVoteReplyProto requestVote(RequestVoteRequestProto request) throws IOException {
        return await(call(request.getServerRequest(), Call.REQUEST_VOTE, request, RequestVoteReplyProto.parser(),
                timeoutMillis));
    }

    @Override
    public InstallSnapshotReplyProto installSnapshot(InstallSnapshotRequestProto request) throws IOException {
        return await(call(request.getServerRequest(), Call.INSTALL_SNAPSHOT, request,
                InstallSnapshotReplyProto.parser(), requestTimeoutMillis * 10));
    }

    @Override
    public StartLeaderElectionReplyProto startLeaderElection(StartLeaderElectionRequestProto request)
            throws IOException {
        return await(call(request.getServerRequest(), Call.START_LEADER_ELECTION, request,
                StartLeaderElectionReplyProto.parser(), timeoutMillis));
    }

    @Override
    public CompletableFuture<AppendEntriesReplyProto> appendEntriesAsync(AppendEntriesRequestProto request) {
        return call(request.getServerRequest(), Call.APPEND_ENTRIES_ASYNC, request, AppendEntriesReplyProto.parser(),
                timeoutMillis);
    }

    @Override
    public CompletableFuture<ReadIndexReplyProto> readIndexAsync(ReadIndexRequestProto request) {
        // a leader answers ReadIndex only after a heartbeat round to a majority: Ratis' request timeout, not the short one
        return call(request.getServerRequest(), Call.READ_INDEX, request, ReadIndexReplyProto.parser(),
                requestTimeoutMillis);
    }

    private <R> CompletableFuture<R> call(RaftRpcRequestProto rpc, Call call, MessageLite request, Parser<R> parser,
            long timeout) {
        return sender.call(RaftPeerId.valueOf(rpc.getReplyId()), call, request, parser, timeout);
    }

    /** Waits for a reply (the call's own timeout bounds the wait). */
    static <R> R await(CompletableFuture<R> reply) throws IOException {
        try {
            return reply.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException ie = new InterruptedIOException("interrupted waiting for a reply");
            ie.initCause(e);
            throw ie;
        } catch (ExecutionException e) {
            throw Frames.asIOException(e);
        }
    }

    @Override
    public String toString() {
        return "MemoryServerRpc[" + address + "]";
    }
}
