package io.chronik.transport.grpc.internal;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.server.RaftServer;

import io.chronik.api.net.HostPort;

/**
 * Ratis' {@link GrpcFactory} that binds the server to the address given to the transport (an empty host: every
 * interface; no address: Ratis' own {@code raft.grpc.server.*} properties). The gRPC server reads
 * its host and port from the server's {@link RaftProperties} when it is created, so they are set there just
 * before (client and admin services share the server port, Ratis' default).
 */
final class BoundGrpcFactory extends GrpcFactory {
    private final HostPort address;

    /** @param address the address to bind, or null to leave Ratis' properties as they are */
    BoundGrpcFactory(Parameters parameters, HostPort address) {
        super(parameters);
        this.address = address;
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
        return super.newRaftServerRpc(server);
    }
}
