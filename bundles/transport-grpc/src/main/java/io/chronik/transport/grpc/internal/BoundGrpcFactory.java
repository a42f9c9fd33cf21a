package io.chronik.transport.grpc.internal;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;

import io.chronik.api.net.HostPort;
import io.chronik.ratis.rpc.TransportObserver;

/**
 * Ratis' {@link GrpcFactory} that binds the server to the address given to the transport (an empty host: every
 * interface; no address: Ratis' own {@code raft.grpc.server.*} properties). The gRPC server reads
 * its host and port from the server's {@link RaftProperties} when it is created, so they are set there just
 * before (client and admin services share the server port, Ratis' default).
 *
 * <p>The traffic is reported to the {@link TransportObserver} of the parameters: what the server sends itself through
 * {@link ObservedServerRpc}, what the leader's log appenders send through {@link ObservedLogAppender}, and what arrives
 * through the services' customizer {@link ObservingServices}, which {@link GrpcRaftTransport} puts into the parameters
 * before this factory reads them. Thread-safe.
 */
final class BoundGrpcFactory extends GrpcFactory {
    private final HostPort address;
    private final TransportObserver observer;

    /** @param address the address to bind, or null to leave Ratis' properties as they are */
    BoundGrpcFactory(Parameters parameters, HostPort address) {
        super(parameters);
        this.address = address;
        this.observer = TransportObserver.of(parameters);
    }

    @Override
    public LogAppender newLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo f) {
        return ObservedLogAppender.create(server, state, f, observer);
    }

    @Override
    public GrpcServices newRaftServerRpc(RaftServer server) {
        RaftProperties properties = server.getProperties();
        if (address != null) {
            GrpcConfigKeys.Server.setPort(properties, address.port());
            if (!address.host().isEmpty()) {
                GrpcConfigKeys.Server.setHost(properties, address.host());
            }
        }
        return new ObservedServerRpc(super.newRaftServerRpc(server), observer);
    }
}
