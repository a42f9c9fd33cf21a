package io.chronik.transport.memory.internal;

import org.apache.ratis.client.ClientFactory;
import org.apache.ratis.client.RaftClientRpc;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerRpc;
import org.apache.ratis.server.ServerFactory;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;

import io.chronik.ratis.rpc.TransportObserver;
import io.chronik.ratis.rpc.TransportRpcType;
import io.chronik.transport.memory.MemoryNetwork;

/**
 * Ratis' RPC factory for one node on the memory network: its server RPC binds the node's address, its client RPCs
 * send from that address (so that faults between two nodes cut their client traffic too). The log appender is
 * {@link MemoryLogAppender} (one outstanding append per follower). Thread-safe.
 */
final class MemoryRpcFactory implements ServerFactory, ClientFactory {
    private final MemoryNetwork network;
    private final String address;
    private final TransportObserver observer;
    private final RpcType rpcType = new TransportRpcType();

    MemoryRpcFactory(MemoryNetwork network, String address, TransportObserver observer) {
        this.network = network;
        this.address = address;
        this.observer = observer;
    }

    @Override
    public RpcType getRpcType() {
        return rpcType;
    }

    @Override
    public LogAppender newLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
        return new MemoryLogAppender(server, state, follower);
    }

    @Override
    public RaftServerRpc newRaftServerRpc(RaftServer server) {
        return new MemoryServerRpc(server, network, address, rpcType, observer);
    }

    @Override
    public RaftClientRpc newRaftClientRpc(ClientId clientId, RaftProperties properties) {
        return new MemoryClientRpc(new Sender(network, address, new Peers(), observer), properties);
    }

    @Override
    public String toString() {
        return "MemoryRpcFactory[" + address + "]";
    }
}
