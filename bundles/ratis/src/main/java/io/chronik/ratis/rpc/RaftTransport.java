package io.chronik.ratis.rpc;

import java.util.Map;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.rpc.RpcFactory;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A network transport for the Ratis consensus provider's Raft traffic, registered as an OSGi service with the
 * {@value #TRANSPORT_NAME} property (for example {@code grpc}). The consensus provider picks one by a target filter
 * from its configuration, creates the transport's {@link RpcFactory} with {@link #newFactory} and plugs it into Ratis
 * with {@link TransportRpcType#install}. Stopping the transport bundle takes the provider's Raft server down until a
 * transport is bound again.
 *
 * <p>The transport lives in its own bundle (with its Ratis RPC implementation, such as ratis-grpc, embedded
 * privately) and sees Ratis through this bundle's exports, so the factory crosses bundles as Ratis' own
 * {@link RpcFactory} type.
 *
 * <p><b>Thread-safety.</b> Implementations are thread-safe. {@link #newFactory} does not block and opens no sockets:
 * the factory's server binds when Ratis starts it.
 */
@ConsumerType
public interface RaftTransport {

    /** Service property naming the transport. */
    String TRANSPORT_NAME = "transport.name";

    /**
     * Transport property: the {@code host:port} the Raft server binds to (the node's {@code raft.addr}), in the form
     * of {@code io.chronik.api.net.HostPort#parseListen}. Without it the transport's own Ratis properties apply.
     */
    String ADDRESS = "address";

    /** The transport's name, equal to its {@value #TRANSPORT_NAME} property. */
    String name();

    /**
     * Creates a transport factory for one Raft server and its clients.
     *
     * @param parameters the {@link Parameters} that the server and clients are built with; the factory may read them
     *                   (TLS settings, for example) and is stored in them by {@link TransportRpcType#install}
     * @param properties transport settings as string properties ({@value #ADDRESS}; unknown keys are ignored)
     * @return a new factory, never null
     * @throws IllegalArgumentException if a property is malformed; the message names it
     */
    RpcFactory newFactory(Parameters parameters, Map<String, String> properties);
}
