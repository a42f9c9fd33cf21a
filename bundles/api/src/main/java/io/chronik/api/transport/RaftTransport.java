package io.chronik.api.transport;

import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A network transport for the consensus provider's Raft traffic, registered as a service with the
 * {@value #TRANSPORT_NAME} property ({@code grpc}, {@code memory}). The consensus provider picks one by a
 * target filter from its configuration; stopping the transport bundle takes the consensus provider's servers
 * down until a transport is bound again.
 *
 * <p>The transport is specific to one consensus implementation, named by the {@value #CONSENSUS_IMPL}
 * property (for example {@code ratis}). Its factory object is of that implementation's own type and is handed
 * over opaquely so that this API carries no third-party types; only the matching consensus provider may call
 * {@link #newFactory}.
 *
 * <p><b>Thread-safety.</b> Implementations are thread-safe. {@link #newFactory} does not block.
 */
@ConsumerType
public interface RaftTransport {

    /** Service property naming the transport. */
    String TRANSPORT_NAME = "transport.name";

    /** Service property naming the consensus implementation the transport is built for. */
    String CONSENSUS_IMPL = "consensus.impl";

    /** The transport's name, equal to its {@value #TRANSPORT_NAME} property. */
    String name();

    /**
     * Creates the consensus implementation's transport factory.
     *
     * @param parameters  the implementation's own parameters object (for Ratis, {@code Parameters})
     * @param properties  transport settings (addresses, TLS, buffer sizes) as string properties
     * @return the implementation's factory object (for Ratis, an {@code RpcFactory})
     * @throws IllegalArgumentException if {@code parameters} is not of the expected implementation type
     */
    Object newFactory(Object parameters, Map<String, String> properties);
}
