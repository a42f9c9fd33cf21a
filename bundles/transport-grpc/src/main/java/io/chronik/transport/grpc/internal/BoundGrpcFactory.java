package io.chronik.transport.grpc.internal;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.server.RaftServer;

/**
 * Ratis' {@link GrpcFactory} that binds the server to the address given to the transport. The gRPC server reads
 * its host and port from the server's {@link RaftProperties} when it is created, so they are set there just
 * before (client and admin services share the server port, Ratis' default).
 */
final class BoundGrpcFactory extends GrpcFactory {
    private final String host;
    private final int port;

    BoundGrpcFactory(Parameters parameters, String host, int port) {
        super(parameters);
        this.host = host;
        this.port = port;
    }

    @Override
    public GrpcServices newRaftServerRpc(RaftServer server) {
        RaftProperties properties = server.getProperties();
        if (port >= 0) {
            GrpcConfigKeys.Server.setPort(properties, port);
        }
        if (host != null) {
            GrpcConfigKeys.Server.setHost(properties, host);
        }
        return super.newRaftServerRpc(server);
    }
}
